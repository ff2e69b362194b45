"""What the tests of several processes share: one clinic of two server processes per module."""
from __future__ import annotations

import pytest

from tests.helpers import servers_on, start_all


@pytest.fixture(scope="module")
def clinic(tmp_path_factory, template_db, module_redis):
    """Two processes on one database and one Redis for the whole module; a test that kills one starts it again."""
    servers = servers_on(template_db, tmp_path_factory.mktemp("clinic"), 2, module_redis.url)
    start_all(servers)
    yield servers
    for server in servers:
        server.stop()
