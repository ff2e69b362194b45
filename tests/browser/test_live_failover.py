"""The dashboard as deployed with several workers (`monitor serve --workers 2` and a real redis-server):
it keeps updating when the worker holding its socket is killed, reconnecting to the shared port; and a
page whose sign-in times out is cleared to the login (issue 12, issue 10 point 5)."""
from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import LiveApi, server_on, sign_in_page, wait_until, watched_page

from ..security.test_socket_edges import age_logins


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, template_db, module_redis):
    server = server_on(template_db, tmp_path_factory.mktemp("deployed"),
                       {"MONITOR_WORKERS": "2", "MONITOR_MESSAGE_QUEUE": module_redis.url})
    server.start()
    yield server
    server.stop()


def workers(server) -> list[int]:
    pid = server.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def infusing(api: LiveApi) -> int:
    session_id = api.session(chair="7")["id"]
    api.to(session_id, "baseline")
    api.vitals(session_id, {"hr": 70, "sbp": 120, "dbp": 80})
    api.to(session_id, "infusing")
    return session_id


def test_the_dashboard_keeps_updating_when_the_worker_holding_its_socket_is_killed(browser, deployed):
    api = LiveApi(deployed)
    session_id = infusing(api)
    assert wait_until(lambda: len(workers(deployed)) == 2, seconds=10)
    with watched_page(browser, deployed, timeout_ms=20_000) as page:
        sign_in_page(page, "clinician")
        hr = page.locator(f'.tile[data-session-id="{session_id}"] [data-measure="hr"] .value')
        expect(hr).to_have_text("70")
        expect(page.locator("#connection")).to_have_text("Live")
        page.evaluate("window.loadedOnce = true")  # gone if the page reloads
        for round_, worker in enumerate(list(workers(deployed))):  # one of them holds the page's socket
            os.kill(worker, signal.SIGKILL)
            assert wait_until(lambda w=worker: w not in workers(deployed) and len(workers(deployed)) == 2,
                              seconds=15), "gunicorn starts a new worker"
            api.vitals(session_id, {"hr": 90 + round_})
            expect(hr).to_have_text(str(90 + round_))
            expect(page.locator("#connection")).to_have_text("Live")
        assert page.evaluate("window.loadedOnce") is True, "the same page throughout, never reloaded"


def test_a_page_whose_sign_in_times_out_is_cleared_to_the_login(browser, deployed):
    api = LiveApi(deployed)
    session_id = infusing(api)
    with watched_page(browser, deployed) as page:
        sign_in_page(page, "clinician")
        expect(page.locator(f'.tile[data-session-id="{session_id}"]')).to_be_visible()
        expect(page.locator("#connection")).to_have_text("Live")
        age_logins(deployed.db, last_seen=timedelta(minutes=16))
        page.wait_for_url("**/login?next=%2F", timeout=5000)
        expect(page.locator(f'.tile[data-session-id="{session_id}"]')).to_have_count(0)
