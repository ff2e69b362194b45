"""A database that cannot take a write (issue 10 point 9): a full disk or a read-only database answers 503
with a code saying which and changes nothing, /healthz proves a write commits, and `monitor serve` refuses
to start on a database it cannot write."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest
import requests

from tests.helpers import LiveApi, counts, monitor, server_on

VITALS = {"hr": 80, "sbp": 120, "dbp": 78, "spo2": 97, "note": "settled in chair three"}


def test_a_read_only_database_answers_503_saying_so_and_healthz_says_unavailable(app, api, db_path, store):
    sid = api.session()["id"]
    store.db.execute("PRAGMA query_only = ON")  # the app's own connection (the test client runs on this thread)
    before = counts(db_path)
    response = api.vitals(sid, VITALS)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_read_only"
    assert "Nothing was saved" in response.get_json()["error"]["message"]
    assert counts(db_path) == before
    health = app.test_client().get("/healthz")
    assert (health.status_code, health.get_json()["status"], health.get_json()["error"]["code"]) == (
        503, "unavailable", "database_read_only")
    store.db.execute("PRAGMA query_only = OFF")
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
    assert api.vitals(sid, VITALS).status_code == 201


def test_a_full_database_answers_503_disk_full_and_changes_nothing(api, db_path, store):
    """SQLite's own SQLITE_FULL: the database may not grow by another page."""
    sid = api.session()["id"]
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")
    answers = []
    for _ in range(200):
        before = counts(db_path)
        response = api.vitals(sid, VITALS | {"note": "x" * 2000})
        answers.append(response.status_code)
        if response.status_code != 201:
            break
    assert answers[-1] == 503 and set(answers[:-1]) <= {201}
    assert response.get_json()["error"]["code"] == "disk_full"
    assert counts(db_path) == before


def test_a_full_disk_under_the_real_server_answers_503_and_healthz_says_so(tmp_path, template_db):
    """The server's files may grow only a little past their size now (RLIMIT_FSIZE: the kernel refuses the
    write as a full disk would): saves fail cleanly, /healthz answers 503, and the server stays up."""
    server = server_on(template_db, tmp_path)
    server.file_size_limit = os.path.getsize(server.db) + 512 * 1024
    server.start()
    try:
        headers = {"Authorization": f"Bearer {server.tokens['nurse']}"}
        session = LiveApi(server).session()
        for _ in range(400):
            before = counts(server.db)
            response = requests.post(f"{server.url}/api/sessions/{session['id']}/vitals", headers=headers,
                                     json=VITALS | {"note": "y" * 4000}, timeout=10)
            if response.status_code != 201:
                break
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] in ("disk_full", "database_unavailable")
        assert counts(server.db) == before
        health = requests.get(server.url + "/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        assert server.process.poll() is None
    finally:
        server.stop()


@contextlib.contextmanager
def read_only(path):
    """The database file made unwritable: immutable for root (who ignores modes), mode 0444 otherwise."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode:
            pytest.skip("needs chattr +i on this filesystem to make a file read-only for root")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        os.chmod(path, 0o444)
        try:
            yield
        finally:
            os.chmod(path, 0o600)


def test_serve_refuses_to_start_on_a_database_it_cannot_write(clinic, db_path):
    env, _ = clinic
    env = env | {"MONITOR_SECRET_KEY": "a-long-and-varied-Secret-9f3k2m1q8z7x6c5v4b", "MONITOR_PORT": "1"}
    with read_only(db_path):
        result = monitor(env, "serve")
    assert result.returncode != 0
    assert f"the database {db_path} cannot be written (database_read_only)" in result.stderr, result.stderr
