"""Shared fixtures: a real SQLite file per test, the real app, users with tokens, the real server."""
from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3

import pytest

from monitor.config import Config
from monitor.record import patients, sessions, users
from monitor.store.db import SYSTEM
from monitor.web.app import create_app
from tests.helpers import PASSWORDS, ZONE, ApiClient, FakeClock, RedisServer, open_store, server_on


def pytest_collection_modifyitems(items):
    """For `make test`'s two xdist workers (`--dist loadgroup`): a module's tests stay together on one worker
    (its module-scoped server, and tests that read what the module's earlier tests counted), and every
    browser test runs on the same worker, so one Chromium at a time shares the two cores with the rest."""
    for item in items:
        browser = "tests/browser/" in str(item.fspath)
        item.add_marker(pytest.mark.xdist_group("browser" if browser else item.module.__name__))


@pytest.fixture(scope="module", autouse=True)
def browser_first(request):
    """On xdist workers the browser tests, whose waits are timed, get the cores first: the other test modules
    (and the servers they start) run at a lower priority. Set per module, before its other fixtures, so a
    module's server has its tests' priority. Raising it again needs root; elsewhere it stays low."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, 0 if "tests/browser/" in str(request.node.fspath) else 10)
    yield


def pytest_report_header(config):
    from importlib.metadata import version

    return [f"SQLite {sqlite3.sqlite_version}, sqlite-utils {version('sqlite-utils')}"]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated database with one user of each role and their tokens, made once (per xdist worker) and
    copied per test (argon2 hashing is slow by design; doing it three times per test would dominate)."""
    path = tmp_path_factory.mktemp("template") / "sessions.db"
    store = open_store(path)
    store.migrate()
    made = {}
    with store.write(SYSTEM) as tx:
        for role, password in PASSWORDS.items():
            user_id = users.add(tx, role, role, password)
            made[role] = users.create_token(tx, user_id)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path, made


@pytest.fixture
def db_path(tmp_path, template_db):
    path = tmp_path / "sessions.db"
    shutil.copyfile(template_db[0], path)
    return path


@pytest.fixture
def store(db_path, clock):
    store = open_store(db_path, clock=clock)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def config(db_path):
    return Config(db_path=db_path, secret_key="test-secret-" + "k3y" * 12, timezone=ZONE)


@pytest.fixture
def app(config, store):
    app = create_app(config, store=store)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(store, template_db):
    """One user of each role (in every test database), and a bearer token for each."""
    return dict(template_db[1])


@pytest.fixture
def api(client, tokens):
    return ApiClient(client, tokens)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, template_db):
    """The production server on a free port, one per test module, with a nurse, a clinician and an admin
    and their tokens. Each test makes its own patients and sessions, so tests sharing it stay apart."""
    server = server_on(template_db, tmp_path_factory.mktemp("server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clinic(db_path):
    """The test database with one session; the environment a `monitor` process needs to use it."""
    store = open_store(db_path)
    with store.write(SYSTEM) as tx:
        patient = patients.create(tx, {"mrn": "CLI-7", "family_name": "Nakamura", "given_name": "Aiko",
                                       "birth_date": "1972-11-30"})
        session = sessions.create(tx, {"patient_id": patient["id"], "chair": "3", "drug": "ketamine", "route": "iv"})
    store.close()
    env = os.environ | {"MONITOR_DB": str(db_path), "MONITOR_TIMEZONE": "Europe/London"}
    return env, session["id"]


def started_redis(directory) -> RedisServer:
    """A real redis-server of its own; missing, it skips the test, or fails it under CI=true."""
    if RedisServer.binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing (.ci/run installs it with apt-get)")
        pytest.skip("redis-server is not installed")
    server = RedisServer(directory)
    server.start()
    return server


@pytest.fixture
def redis_server(tmp_path):
    server = started_redis(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_redis(tmp_path_factory):
    server = started_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()
