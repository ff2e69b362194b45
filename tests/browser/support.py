"""Shared by the bedside browser tests: one real server per module, watched pages, the API over HTTP.

A server per module (not per test) keeps the browser suite fast; each test makes its own patients
and sessions, so tests sharing a server do not depend on one another.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from ..helpers import LiveServer, running_server
from .conftest import PageWatch, login

CLINIC = ZoneInfo("Europe/London")  # the live server's MONITOR_TIMEZONE
NUMBERS = itertools.count(1)


def start_server(tmp_path_factory):
    """A `monitor serve` process with a nurse, a clinician and an admin; stopped when the module ends."""
    yield from running_server(tmp_path_factory.mktemp("server"))


class LiveApi:
    """The real server's API with the test users' tokens, for setting the scene and checking the record."""

    def __init__(self, server: LiveServer):
        self.server = server

    def call(self, method: str, path: str, body=None, role: str = "nurse", expect: int | None = None):
        response = requests.request(method, self.server.url + path, json=body, timeout=10,
                                    headers={"Authorization": f"Bearer {self.server.tokens[role]}"})
        if expect is not None:
            assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json()

    def get(self, path: str, role: str = "nurse"):
        return self.call("GET", path, role=role, expect=200)

    def post(self, path: str, body=None, role: str = "nurse", expect: int | None = None):
        return self.call("POST", path, body, role=role, expect=expect)

    def patient(self, **fields) -> dict:
        number = next(NUMBERS)
        body = {"mrn": f"MRN-T{number:04d}", "family_name": "Okafor", "given_name": "Grace",
                "birth_date": "1979-03-14", "weight_kg": 68} | fields
        return self.post("/api/patients", body, expect=201)

    def session(self, **fields) -> dict:
        patient = fields.pop("patient_id", None) or self.patient()["id"]
        body = {"patient_id": patient, "chair": "3", "drug": "ketamine", "route": "iv", "dose_mg_per_kg": 0.5,
                "planned_minutes": 40} | fields
        return self.post("/api/sessions", body, expect=201)

    def to(self, session_id: int, state: str, at: datetime | None = None, role: str = "nurse", **fields) -> dict:
        body = {"to": state} | ({"at": at.isoformat()} if at else {}) | fields
        return self.post(f"/api/sessions/{session_id}/transitions", body, role=role, expect=200)

    def vitals(self, session_id: int, body: dict) -> dict:
        return self.post(f"/api/sessions/{session_id}/vitals", body, expect=201)

    def record(self, session_id: int) -> dict:
        return self.get(f"/api/sessions/{session_id}")


SIGNED_IN: dict[tuple[str, str], list] = {}


def sign_in(page, role: str) -> None:
    """Sign in as one of the server's users: through the login form the first time, then by reusing that
    login's cookie (the dashboard a real sign-in lands on is not what these tests are about)."""
    key = (page.watch.base_url, role)
    if key in SIGNED_IN:
        page.context.add_cookies(SIGNED_IN[key])
        return
    login(page, role)
    SIGNED_IN[key] = page.context.cookies()


def minute_now() -> datetime:
    """Now on the clinic's clock, to the whole minute (times typed in the pages have no seconds)."""
    return datetime.now(CLINIC).replace(second=0, microsecond=0)


def typed(moment: datetime) -> str:
    """A moment as a nurse types it: YYYY-MM-DD HH:MM clinic time."""
    return moment.astimezone(CLINIC).strftime("%Y-%m-%d %H:%M")


@contextmanager
def watched_page(browser, server: LiveServer, width: int = 1280, height: int = 900):
    """A fresh browser context on the server; fails on console errors and on requests leaving the app."""
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(server.url)
    watch.attach(context, page)
    page.watch = watch
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()
    allowed = [e for e in watch.console_errors if "ERR_CONNECTION_REFUSED" not in e
               and "Failed to load resource" not in e and "WebSocket" not in e]
    assert not watch.outside, f"requests left the app: {watch.outside}"
    assert not allowed, f"console errors: {allowed}"


def ago(minutes: float, base: datetime | None = None) -> datetime:
    return (base or minute_now()) - timedelta(minutes=minutes)
