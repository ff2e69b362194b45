"""Two server processes, one clinic (CONTRACT.md §1): a real redis-server, two `monitor serve` processes
on their own ports and one database. Events reach every dashboard on both once and in order, replay
is the same on either, and the time-driven rules run in one process at a time."""
from __future__ import annotations

import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from tests.helpers import (
    Dashboard,
    LiveApi,
    LiveServer,
    assert_every_event_once_in_order,
    call,
    events_after,
    wait_until,
)


def test_several_workers_without_a_message_queue_are_refused_with_what_to_set():
    from monitor.config import Config, problems_for_production

    config = Config(secret_key="a-long-and-varied-secret-key-0123456789")
    assert problems_for_production(config.with_overrides(workers=2)) == [
        "several workers need MONITOR_MESSAGE_QUEUE (e.g. redis://127.0.0.1:6379/0) to wake each other"]
    assert problems_for_production(config.with_overrides(workers=2, message_queue="redis://127.0.0.1:6379/0")) == []
    assert problems_for_production(config.with_overrides(workers=0)) == ["MONITOR_WORKERS is 0: it must be at least 1"]


def session_in(server: LiveServer, **fields) -> int:
    return LiveApi(server).session(**fields)["id"]


def test_a_dashboard_on_one_process_sees_a_save_made_through_the_other_within_a_second(clinic):
    a, b = clinic
    session_id = session_in(a)
    on_b = Dashboard(b)
    try:
        started = time.monotonic()
        saved = call(a, "POST", f"/api/sessions/{session_id}/vitals", {"hr": 77})
        assert wait_until(lambda: saved["seq"] in on_b.seqs(), seconds=1)
        assert time.monotonic() - started < 1
    finally:
        on_b.close()


def test_a_thousand_saves_over_both_processes_reach_every_dashboard_once_and_in_order(clinic):
    a, b = clinic
    sessions = [session_in(a), session_in(b)]
    dashboards = [Dashboard(server) for server in (a, b, a, b)]
    start = min(d.since for d in dashboards)

    def save_through(server: LiveServer, session_id: int, count: int) -> None:
        http = requests.Session()  # one keep-alive connection per nurse
        for i in range(count):
            answer = http.post(f"{server.url}/api/sessions/{session_id}/vitals", json={"hr": 60 + i % 50},
                               headers={"Authorization": f"Bearer {server.tokens['nurse']}"}, timeout=10)
            assert answer.status_code == 201, answer.text

    savers = [threading.Thread(target=save_through, args=(server, session_id, 500))
              for server, session_id in zip((a, b), sessions)]
    try:
        for saver in savers:
            saver.start()
        for saver in savers:
            saver.join()
        logged = assert_every_event_once_in_order(dashboards, a)
        assert len([e for e in logged if e["seq"] > start]) >= 1000
    finally:
        for dashboard in dashboards:
            dashboard.close()


def test_replay_after_since_is_the_same_on_either_process(clinic):
    a, b = clinic
    session_id = session_in(a)
    since = call(a, "GET", "/api/events?since=0&limit=1")["last_seq"]
    for hr in (61, 62, 63):
        call(b if hr % 2 else a, "POST", f"/api/sessions/{session_id}/vitals", {"hr": hr})
    logged = events_after(a, since)
    replays = []
    for server in (a, b):
        dashboard = Dashboard(server)
        dashboard.close()
        dashboard.events.clear()
        assert dashboard.join(server, since=since)["ok"] is True
        wait_until(lambda d=dashboard: len(d.events) >= len(logged), seconds=3)
        replays.append(dashboard.events[:len(logged)])
        dashboard.close()
    assert replays[0] == replays[1] == logged


def holder_of_the_schedule(db: Path) -> int:
    """The worker process that runs the time-driven rules (0 while none has taken the lease yet)."""
    lease = Path(str(db) + ".scheduler")
    text = lease.read_text().strip() if lease.exists() else ""
    return int(text) if text.isdigit() else 0


def worker_of(server: LiveServer) -> int:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return int(children[0]) if children else 0


def overtime_soon(server: LiveServer) -> int:
    """An IV session whose infusion runs into overtime (planned 40 + 15 minutes) three seconds from now."""
    api = LiveApi(server)
    session_id = api.session(planned_minutes=40)["id"]
    started = datetime.now(timezone.utc) - timedelta(minutes=55) + timedelta(seconds=3)
    api.to(session_id, "baseline", at=started - timedelta(minutes=5))
    api.to(session_id, "infusing", at=started)
    return session_id


def overtime_raised(server: LiveServer, session_id: int) -> list[dict]:
    found = call(server, "GET", f"/api/events?since=0&session_id={session_id}&limit=1000")["events"]
    return [e for e in found if e["type"] == "alert.raised" and e["data"].get("key") == "infusion_overtime"]


def test_a_time_driven_alert_is_raised_once_and_the_schedule_moves_when_its_process_dies(clinic):
    a, b = clinic
    assert wait_until(lambda: holder_of_the_schedule(a.db) in {worker_of(a), worker_of(b)}, seconds=3)
    first = overtime_soon(a)
    assert wait_until(lambda: overtime_raised(a, first), seconds=8)
    time.sleep(1.5)  # two more ticks of each process: still one
    assert len(overtime_raised(a, first)) == 1

    holder = next(s for s in clinic if worker_of(s) == holder_of_the_schedule(a.db))
    survivor = b if holder is a else a
    os.killpg(holder.process.pid, signal.SIGKILL)
    holder.process.wait()
    try:
        assert wait_until(lambda: holder_of_the_schedule(a.db) == worker_of(survivor), seconds=3)
        second = overtime_soon(survivor)
        assert wait_until(lambda: overtime_raised(survivor, second), seconds=8)
        time.sleep(1.5)
        assert len(overtime_raised(survivor, second)) == 1
    finally:
        holder.process = None
        holder.start()
