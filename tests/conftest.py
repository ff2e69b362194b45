"""Shared fixtures: a real SQLite file per test, the real app, users with tokens, an API helper."""
from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from monitor.config import Config
from monitor.record import patients, sessions, users
from monitor.store.db import SYSTEM
from monitor.web.app import create_app
from tests.helpers import BIN, PASSWORDS, ROOT, open_store

# The real sample files of ../shared/data (see its SOURCES.md), copied byte for byte so that a
# clone tests on its own; tests/test_samples_copy.py checks the copy against ../shared/data.
SAMPLES = ROOT / "tests" / "samples"

ZONE = ZoneInfo("Europe/London")


def pytest_report_header(config):
    from importlib.metadata import version

    return [f"SQLite {sqlite3.sqlite_version}, sqlite-utils {version('sqlite-utils')}"]


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


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """A migrated database with one user of each role and their tokens, made once and copied per test
    (argon2 hashing is slow by design; doing it three times per test would dominate the suite)."""
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


class ApiClient:
    """Calls the API as one of the test users."""

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


@pytest.fixture
def api(client, tokens):
    return ApiClient(client, tokens)


@pytest.fixture
def live_server(tmp_path):
    """The production server on a real port, with a nurse, a clinician and an admin (and their tokens)."""
    from .helpers import LiveServer

    server = LiveServer(tmp_path)
    server.cli("init-db")
    server.add_users()
    server.start()
    yield server
    server.stop()


def counts(db_path) -> dict:
    """Row counts of every table and the last seq: to prove a refused request wrote nothing."""
    db = sqlite_utils.Database(db_path)
    try:
        tables = {t: db[t].count for t in db.table_names()}
        tables["last_seq"] = db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        return tables
    finally:
        db.close()


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


def monitor(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run a `monitor` command as a person does: its own process, output captured."""
    return subprocess.run([str(BIN / "monitor"), *args], env=env, capture_output=True, text=True, cwd=ROOT)
