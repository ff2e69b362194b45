"""What the tests share: stores the alert engine hears, the real server on a free port and its API,
signing in, waiting, and proving that a refused request wrote nothing.

Everything a test makes (database, server, port, log) lives under its own tmp_path or a free port,
so the suite runs on several pytest-xdist workers at once.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import sqlite_utils

from monitor.alerts import triggers
from monitor.store.db import Store

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The real sample files of ../shared/data (see its SOURCES.md), copied byte for byte so that a
# clone tests on its own; tests/interop/test_samples_copy.py checks the copy against ../shared/data.
SAMPLES = ROOT / "tests" / "samples"
PASSWORDS = {"nurse": "nurse-password-1", "clinician": "clinician-password-1", "admin": "admin-password-1"}
ZONE = ZoneInfo("Europe/London")  # the clinic's zone in every test app and server (MONITOR_TIMEZONE)
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


# The database

def open_store(path, **options) -> Store:
    """A store for writing, as the composition roots build one: the alert engine hears its writes."""
    return triggers.listen(Store(path, **options))


class FakeClock:
    """A clock the test moves by hand; starts at the real time so clinical times are not 'future'."""

    def __init__(self, moment: datetime | None = None):
        self.moment = moment or datetime.now(timezone.utc)
        self.frozen = moment is not None

    def __call__(self) -> datetime:
        return self.moment if self.frozen else datetime.now(timezone.utc)

    def set(self, moment: datetime) -> None:
        self.moment, self.frozen = moment, True

    def advance(self, **delta) -> None:
        self.set(self() + timedelta(**delta))


def counts(db_path) -> dict:
    """Row counts of every table and the last seq: to prove a refused request wrote nothing."""
    db = sqlite_utils.Database(db_path)
    try:
        tables = {t: db[t].count for t in db.table_names()}
        tables["last_seq"] = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        return tables
    finally:
        db.close()


def refused(response, status: int, db_path, before: dict, code: str | None = None) -> dict:
    """A refusal as the API promises it: this status (and code), a JSON error, and nothing written (row counts
    and the last event seq as they were before the request). Returns the error."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    error = response.get_json()["error"]
    if code is not None:
        assert error["code"] == code, error
    assert counts(db_path) == before
    return error


def monitor(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run a `monitor` command as a person does: its own process, output captured."""
    return subprocess.run([str(BIN / "monitor"), *args], env=env, capture_output=True, text=True, cwd=ROOT)


# Waiting

def wait_until(predicate, seconds: float = 5.0, every: float = 0.02) -> bool:
    """Whether `predicate()` came true within `seconds` (checked every `every` seconds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


# The real server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """Starts, stops (gently or with SIGKILL) and restarts the production server on one database."""

    def __init__(self, directory: Path, extra_env: dict | None = None, name: str = "server"):
        self.directory = directory
        self.db = directory / "sessions.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"{name}.log"
        self.env = os.environ | {
            "MONITOR_DB": str(self.db), "MONITOR_PORT": str(self.port), "MONITOR_HOST": "127.0.0.1",
            "MONITOR_ALLOWED_ORIGINS": self.url, "MONITOR_TIMEZONE": "Europe/London",
        } | (extra_env or {})
        self.process: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}
        self.file_size_limit: int | None = None  # bytes any file the server writes may reach (a full disk)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "monitor"), *args], env=self.env, input=stdin, capture_output=True,
                                text=True, cwd=ROOT)
        if result.returncode:
            raise RuntimeError(f"monitor {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def start(self) -> None:
        limit = self.file_size_limit
        self.process = subprocess.Popen([str(BIN / "monitor"), "serve"], env=self.env, cwd=ROOT,
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True,
                                        preexec_fn=limit and (lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                                                         (limit, limit))))
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                requests.get(self.url + "/healthz", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz")

    def stop(self, kill: bool = False) -> None:
        """SIGTERM the server, or SIGKILL its whole process group (master and worker) like a crash."""
        if self.process and self.process.poll() is None:
            if kill:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def server_on(template: tuple[Path, dict], directory: Path, extra_env: dict | None = None) -> LiveServer:
    """A server (not started) on a copy of the suite's template database: its nurse, clinician, admin and tokens."""
    shutil.copyfile(template[0], directory / "sessions.db")
    server = LiveServer(directory, extra_env)
    server.tokens = dict(template[1])
    return server


def servers_on(template: tuple[Path, dict], directory: Path, count: int, queue_url: str,
               extra_env: dict | None = None) -> list[LiveServer]:
    """`count` servers (not started), each its own process on its own port, on one copy of the template
    database and one message queue: one clinic, as CONTRACT.md §1 "Several processes, one clinic" says."""
    shutil.copyfile(template[0], directory / "sessions.db")
    servers = [LiveServer(directory, {"MONITOR_MESSAGE_QUEUE": queue_url} | (extra_env or {}), name=f"server-{i}")
               for i in range(count)]
    origins = ",".join(s.url for s in servers)
    for server in servers:
        server.env["MONITOR_ALLOWED_ORIGINS"] = origins
        server.tokens = dict(template[1])
    return servers


def start_all(servers: list[LiveServer]) -> None:
    """Start several servers at once (each takes a second or two to import and fork)."""
    threads = [threading.Thread(target=server.start) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(server.process and server.process.poll() is None for server in servers), "a server did not start"


def events_after(server: LiveServer, since: int) -> list[dict]:
    """The whole event log after `since`, page by page, as `GET /api/events` gives it."""
    found, cursor = [], since
    while batch := call(server, "GET", f"/api/events?since={cursor}&limit=1000")["events"]:
        found += batch
        cursor = batch[-1]["seq"]
    return found


def assert_every_event_once_in_order(dashboards: list, server: LiveServer, seconds: float = 10) -> list[dict]:
    """Every dashboard receives every logged event after its first subscribe, once and in seq order."""
    logged = events_after(server, min(d.since for d in dashboards))
    for dashboard in dashboards:
        expected = [e["seq"] for e in logged if e["seq"] > dashboard.since]
        wait_until(lambda d=dashboard, n=len(expected): len(d.seqs()) >= n, seconds=seconds)
        assert dashboard.seqs() == expected
    return logged


class RedisServer:
    """A real redis-server on a free loopback port with its own temporary directory; stop() and start()
    again on the same port (a Redis outage). Under CI=true a missing redis-server fails the test run."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    @staticmethod
    def binary() -> str | None:
        return shutil.which("redis-server") or next((p for p in ("/usr/bin/redis-server",) if Path(p).exists()), None)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
            stdout=open(self.directory / "redis.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Dashboard:
    """A dashboard subscribed to the whole clinic on /live, read frame by frame in wire order (a bare
    websocket speaking just enough Socket.IO; python-socketio's client handles each message on a thread of
    its own, so its arrival order is not the wire's). It can carry on on another server from the last seq
    it has, as the browser does after a drop."""

    def __init__(self, server: LiveServer, role: str = "clinician"):
        self.token = server.tokens[role]
        self.events: list[dict] = []
        self.statuses: list[dict] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.ws = None
        self.ack = self.join(server)

    def last_seq(self) -> int:
        with self.lock:
            return self.events[-1]["seq"] if self.events else self.since

    def join(self, server: LiveServer, since: int | None = None) -> dict:
        """Connect to `server` and subscribe (from `since`, or from now); returns the ack."""
        import websocket

        self.server, self.since = server, since if since is not None else 0
        self.closed.clear()
        self.acked = threading.Event()
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
                                              timeout=10, suppress_origin=True, skip_utf8_validation=True)
        assert self.ws.recv().startswith("0{")
        self.ws.send("40/live," + json.dumps({"token": self.token}))
        assert self.ws.recv().startswith("40/live,"), "the server refused the dashboard"
        threading.Thread(target=self.read, args=(self.ws,), daemon=True).start()
        body = {"dashboard": True} | ({"since": since} if since is not None else {})
        self.ws.send("42/live,1" + json.dumps(["subscribe", body]))
        assert self.acked.wait(10), "no subscribe ack"
        if since is None:
            self.since = self.ack["last_seq"]
        return self.ack

    def read(self, ws) -> None:
        """Keep every frame of `ws`, in order, until it closes; answer the server's pings."""
        try:
            while True:
                message = ws.recv()
                if message == "2":
                    ws.send("3")
                elif message.startswith("43/live,1"):
                    self.ack = json.loads(message[len("43/live,1"):])[0]
                    self.acked.set()
                elif message.startswith("42/live,"):
                    name, body = json.loads(message[len("42/live,"):])[:2]
                    with self.lock:
                        (self.events if name == "event" else self.statuses).append(body)
                elif message.startswith("41/live") or message == "":
                    break
        except Exception:  # the server went away, or this side closed the socket
            pass
        if ws is self.ws:
            self.closed.set()

    def move_to(self, server: LiveServer) -> dict:
        """After its server died: connect to another and subscribe from the last seq received."""
        self.close()
        first = self.since
        ack = self.join(server, since=self.last_seq())
        self.since = first  # the events expected are still those after the first subscribe
        return ack

    def seqs(self) -> list[int]:
        with self.lock:
            return [e["seq"] for e in self.events]

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


def call(server: LiveServer, method: str, path: str, body=None, role: str = "nurse", expect: int | None = None):
    """Call the real server's API with a user's token and return the JSON answer; the status must be a
    success, or `expect` when given."""
    response = requests.request(method, server.url + path, json=body, timeout=10,
                                headers={"Authorization": f"Bearer {server.tokens[role]}"})
    if expect is None:
        assert response.status_code < 300, (method, path, response.status_code, response.text)
    else:
        assert response.status_code == expect, (method, path, response.status_code, response.text)
    return response.json()


NUMBERS = itertools.count(1)


class LiveApi:
    """The real server's API as the test users, for setting the scene and checking the record."""

    def __init__(self, server: LiveServer):
        self.server = server

    def call(self, method: str, path: str, body=None, role: str = "nurse", expect: int | None = None):
        return call(self.server, method, path, body, role=role, expect=expect)

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


# The app in-process (Flask's test client)

class ApiClient:
    """Calls the in-process app's API as one of the test users."""

    def __init__(self, client, tokens):
        self.client, self.tokens = client, tokens
        self.numbers = itertools.count(1000)

    def _headers(self, role, headers=None):
        out = dict(headers or {})
        if role:
            out["Authorization"] = f"Bearer {self.tokens[role]}"
        return out

    def get(self, path, role="nurse", **kwargs):
        return self.client.get(path, headers=self._headers(role, kwargs.pop("headers", None)), **kwargs)

    def post(self, path, json=None, role="nurse", **kwargs):
        return self.client.post(path, json=json, headers=self._headers(role, kwargs.pop("headers", None)), **kwargs)

    def put(self, path, json=None, role="clinician", **kwargs):
        return self.client.put(path, json=json, headers=self._headers(role, kwargs.pop("headers", None)), **kwargs)

    def patient(self, mrn="MRN-1", **fields):
        body = {"mrn": mrn, "family_name": "Okafor", "given_name": "Grace", "birth_date": "1979-03-14",
                "weight_kg": 68} | fields
        response = self.post("/api/patients", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def session(self, patient_id=None, **fields):
        if patient_id is None:
            patient_id = self.patient(mrn=f"MRN-{next(self.numbers)}")["id"]
        body = {"patient_id": patient_id, "chair": "1", "drug": "ketamine", "route": "iv",
                "dose_mg_per_kg": 0.5, "planned_minutes": 40} | fields
        response = self.post("/api/sessions", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def transition(self, session_id, to, **fields):
        return self.post(f"/api/sessions/{session_id}/transitions", {"to": to} | fields)

    def vitals(self, session_id, body, **kwargs):
        return self.post(f"/api/sessions/{session_id}/vitals", body, **kwargs)


# Signing in through the login form

def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page hands the browser (the login form field or the meta tag)."""
    html = client.get(path).get_data(as_text=True)
    found = CSRF_FIELD.search(html) or CSRF_META.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, username: str, password: str | None = None):
    """Post the login form with a Flask test client, as a browser would; returns the response."""
    password = PASSWORDS.get(username, "") if password is None else password
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


SIGNED_IN: dict[tuple[str, str], list] = {}


def sign_in_page(page, role: str, password: str | None = None, *, fresh: bool = True) -> None:
    """Sign a browser page in through the login form. `fresh=False` reuses that login's cookie after the
    first time (for tests about the page behind the login, not the sign-in itself)."""
    reused = not fresh and password is None
    key = (page.watch.base_url, role) if reused else None
    if reused and key in SIGNED_IN:
        page.context.add_cookies(SIGNED_IN[key])
        return
    page.goto("/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", password or PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if reused:  # only a login kept for reuse: a fresh one may be signed out later
        SIGNED_IN[key] = page.context.cookies()


# Pages in a real browser

class PageWatch:
    """What a page did wrong: console errors, page errors and requests that left the app."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.outside: list[str] = []

    def attach(self, context, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

        def guard(route):
            url = route.request.url
            if url.startswith(self.base_url) or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        context.route("**/*", guard)

    def check(self) -> None:
        """Fail on a request that left the app or a console error (a refused connection aside)."""
        allowed = [e for e in self.console_errors if "ERR_CONNECTION_REFUSED" not in e
                   and "Failed to load resource" not in e and "WebSocket" not in e]
        assert not self.outside, f"requests left the app: {self.outside}"
        assert not allowed, f"console errors: {allowed}"


@contextmanager
def watched_page(browser, server: LiveServer, width: int = 1280, height: int = 900, timeout_ms: int | None = 10_000,
                 touch: bool = False):
    """A fresh browser context on the server; fails on console errors and on requests leaving the app.
    `touch`: a touch screen (a tablet), so the test can tap."""
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height}, has_touch=touch)
    page = context.new_page()
    watch = PageWatch(server.url)
    watch.attach(context, page)
    page.watch = watch
    if timeout_ms is not None:
        page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()
    watch.check()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (served by the app) in the page; return the violations of the given impacts."""
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in impacts]


def minute_now() -> datetime:
    """Now on the clinic's clock, to the whole minute (times typed in the pages have no seconds)."""
    return datetime.now(ZONE).replace(second=0, microsecond=0)


def typed(moment: datetime) -> str:
    """A moment as a nurse types it: YYYY-MM-DD HH:MM clinic time."""
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


def ago(minutes: float, base: datetime | None = None) -> datetime:
    return (base or minute_now()) - timedelta(minutes=minutes)
