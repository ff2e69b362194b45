"""Faults with two server processes on one database and a real redis-server (issue 12, "Faults").

A process SIGKILLed during a storm of saves: its dashboards reconnect to the other and have every
event once, in order, with no gap, every acknowledged save is in the log, and the time-driven rules
move to the survivor. Redis stopped: saves still answer 201, /healthz says `degraded` naming the
queue, the dashboards are told since when they are behind; Redis back: they have caught up exactly.
"""
from __future__ import annotations

import os
import random
import signal
import threading
import time

import pytest
import requests

from tests.helpers import (
    Dashboard,
    LiveApi,
    LiveServer,
    assert_every_event_once_in_order,
    start_all,
    wait_until,
)

from .test_processes import holder_of_the_schedule, worker_of


@pytest.fixture
def both(clinic):
    """The module's two processes, both running (a server an earlier test killed is started again)."""
    dead = [server for server in clinic if server.process is None or server.process.poll() is not None]
    for server in dead:
        server.process = None
    start_all(dead)
    return clinic


class Storm:
    """Savers that keep posting vitals to the servers a seeded chooser picks; only a 201 counts as acknowledged."""

    def __init__(self, servers: list[LiveServer], session_id: int, seed: int, savers: int = 2):
        self.servers, self.session_id, self.random = servers, session_id, random.Random(seed)
        self.acknowledged: list[str] = []
        self.refused = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.save, args=(n,)) for n in range(savers)]

    def save(self, saver: int) -> None:
        http, number = requests.Session(), 0
        while not self.stopping.is_set():
            with self.lock:
                server = self.random.choice(self.servers)
            marker, number = f"storm-{saver}-{number}", number + 1
            try:
                answer = http.post(f"{server.url}/api/sessions/{self.session_id}/vitals", timeout=5,
                                   json={"hr": 60 + number % 40, "note": marker},
                                   headers={"Authorization": f"Bearer {server.tokens['nurse']}"})
            except requests.RequestException:
                self.refused += 1
                continue
            if answer.status_code == 201:
                with self.lock:
                    self.acknowledged.append(marker)
            else:
                self.refused += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


@pytest.mark.parametrize("seed", [11, 23, 47])
def test_sigkill_of_a_process_during_a_storm_of_saves_loses_and_doubles_nothing(both, seed):
    chooser = random.Random(seed)
    a, b = both
    session_id = LiveApi(a).session()["id"]
    dashboards = [Dashboard(server) for server in (a, b, a, b)]
    victim, survivor = (a, b) if chooser.random() < 0.5 else (b, a)
    assert wait_until(lambda: holder_of_the_schedule(a.db) in {worker_of(a), worker_of(b)}, seconds=3)
    scheduler_was_the_victims = holder_of_the_schedule(a.db) == worker_of(victim)
    with Storm([a, b], session_id, seed) as storm:
        time.sleep(chooser.uniform(0.3, 1.0))
        os.killpg(victim.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.process.wait()
        victim.process = None
        with storm.lock:
            storm.servers = [survivor]
        orphans = [d for d in dashboards if d.server is victim]
        assert all(d.closed.wait(5) for d in orphans)
        for dashboard in orphans:
            assert dashboard.move_to(survivor)["ok"] is True
        takeover = time.monotonic() - killed_at
        time.sleep(0.5)
    assert takeover < 5, f"the dashboards were back after {takeover:.1f} s"
    logged = assert_every_event_once_in_order(dashboards, survivor)
    stored = {e["data"].get("note") for e in logged if e["type"] == "vitals.recorded"}
    assert len(storm.acknowledged) > 20
    assert set(storm.acknowledged) <= stored, "an acknowledged save is missing from the log"
    if scheduler_was_the_victims:
        assert wait_until(lambda: holder_of_the_schedule(a.db) == worker_of(survivor), seconds=5)
    for dashboard in dashboards:
        dashboard.close()


def health(server: LiveServer) -> dict:
    return requests.get(server.url + "/healthz", timeout=2).json()


@pytest.mark.parametrize("seed", [5, 31])
def test_with_redis_stopped_saves_succeed_health_is_degraded_and_dashboards_catch_up_when_it_is_back(
        both, module_redis, seed):
    redis_server = module_redis
    a, b = both
    session_id = LiveApi(a).session()["id"]
    dashboards = [Dashboard(a), Dashboard(b)]
    chooser = random.Random(seed)
    redis_server.stop()
    with Storm([a, b], session_id, seed, savers=1) as storm:
        assert wait_until(lambda: all(health(s)["status"] == "degraded" for s in (a, b)), seconds=10)
        assert all(d.statuses and d.statuses[-1]["behind_since"] for d in dashboards)
        time.sleep(chooser.uniform(0.2, 0.8))
    assert storm.refused == 0 and len(storm.acknowledged) > 5, "every save answers 201 while the queue is down"
    for server in (a, b):
        found = health(server)
        assert found["status"] == "degraded" and found["message_queue"].startswith("unreachable since ")
    joined_late = Dashboard(b)
    assert joined_late.ack["behind_since"], "a dashboard that subscribes meanwhile is told too"

    redis_server.start()
    assert wait_until(lambda: all(health(s) == {"status": "ok"} for s in (a, b)), seconds=10)
    assert all(d.statuses[-1] == {"behind_since": None} for d in dashboards + [joined_late])
    logged = assert_every_event_once_in_order(dashboards, a)
    stored = {e["data"].get("note") for e in logged if e["type"] == "vitals.recorded"}
    assert set(storm.acknowledged) <= stored
    for dashboard in dashboards + [joined_late]:
        dashboard.close()
