"""Durability: the real server killed with SIGKILL while four clients save vitals loses nothing it
acknowledged; an online backup taken during writes is sound, opens in the app and restores as
docs/RESTORE.md says."""
from __future__ import annotations

import random
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from monitor.config import Config
from monitor.store import audit
from monitor.web.app import create_app
from tests.helpers import BIN, ROOT, LiveServer, open_store

SEEDS = (11, 23, 37, 41)
CLIENTS = 4
RESTORE_DOC = ROOT / "docs" / "RESTORE.md"


@pytest.fixture(scope="module")
def template(template_db):
    """The suite's database with the three users and their tokens (made once per run)."""
    return template_db


def server_from(template, directory: Path) -> LiveServer:
    shutil.copyfile(template[0], directory / "sessions.db")
    server = LiveServer(directory)
    server.tokens = dict(template[1])
    return server


def bearer(server, role="nurse") -> dict:
    return {"Authorization": f"Bearer {server.tokens[role]}"}


def open_sessions(server, count: int) -> list[int]:
    ids = []
    for n in range(count):
        patient = requests.post(server.url + "/api/patients", headers=bearer(server), json={
            "mrn": f"D-{n}", "family_name": "Durable", "given_name": f"Client {n}", "birth_date": "1980-01-01"})
        session = requests.post(server.url + "/api/sessions", headers=bearer(server), json={
            "patient_id": patient.json()["id"], "chair": str(n + 1), "drug": "ketamine", "route": "iv"})
        ids.append(session.json()["id"])
    return ids


class Writers:
    """Four clients saving vitals as fast as the server answers, each remembering what got a 201."""

    def __init__(self, server, session_ids: list[int]):
        self.server, self.session_ids = server, session_ids
        self.acknowledged: list[dict] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.save, args=(sid, n)) for n, sid in enumerate(session_ids)]

    def save(self, session_id: int, n: int) -> None:
        http = requests.Session()
        http.headers.update(bearer(self.server))
        beat = 0
        while not self.stop.is_set():
            beat += 1
            body = {"hr": 50 + (beat % 60), "spo2": 90 + n, "note": f"client {n} beat {beat}"}
            try:
                response = http.post(f"{self.server.url}/api/sessions/{session_id}/vitals", json=body, timeout=10)
            except requests.RequestException:
                return  # the server is gone: this save was never acknowledged
            if response.status_code == 201:
                with self.lock:
                    self.acknowledged.append(response.json() | {"sent": body})

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)


def assert_sound(db_file: Path) -> dict:
    """integrity_check ok, the audit chain verifies, seq has no gap; returns the stored vitals by id
    and the last seq."""
    store = open_store(db_file)
    try:
        db = store.db
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        checked, broken = audit.verify(db)
        assert broken is None and checked > 0
        seqs = [row[0] for row in db.execute("SELECT seq FROM events ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        stored = {row[0]: row[1:] for row in db.execute("SELECT id, hr, spo2, note, seq FROM vitals")}
        return stored | {"last_seq": seqs[-1]}
    finally:
        store.close()


def assert_every_acknowledged_save_is_there(acknowledged: list[dict], stored: dict) -> None:
    for saved in acknowledged:
        assert saved["id"] in stored, f"vitals {saved['id']} was answered 201 but is missing"
        sent = saved["sent"]
        assert stored[saved["id"]] == (sent["hr"], sent["spo2"], sent["note"], saved["seq"])


@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_during_writes_loses_no_acknowledged_save(template, tmp_path, seed):
    rng = random.Random(seed)
    server = server_from(template, tmp_path)
    server.start()
    try:
        session_ids = open_sessions(server, CLIENTS)
        with Writers(server, session_ids) as writers:
            time.sleep(rng.uniform(0.4, 1.2))
            server.stop(kill=True)
        acknowledged = writers.acknowledged
        assert len(acknowledged) >= 20, "the clients saved too little for the kill to land mid-write"
        server.start()
        stored = assert_sound(server.db)
        assert_every_acknowledged_save_is_there(acknowledged, stored)
        after = requests.post(f"{server.url}/api/sessions/{session_ids[0]}/vitals", headers=bearer(server),
                              json={"hr": 77})
        assert after.status_code == 201
        assert after.json()["seq"] == stored["last_seq"] + 1
        print(f"SIGKILL seed {seed}: {len(acknowledged)} saves answered 201, {len(stored) - 1} stored, all present")
    finally:
        server.stop()
    assert_sound(server.db)


def run_backup(server, dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "monitor"), "backup", str(dest)], env=server.env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def backup_during_writes(template, tmp_path_factory):
    """A backup taken by `monitor backup` while four clients write; with what was acknowledged before it."""
    tmp_path = tmp_path_factory.mktemp("backup")
    server = server_from(template, tmp_path)
    server.start()
    dest = tmp_path / "backup.db"
    try:
        with Writers(server, open_sessions(server, CLIENTS)) as writers:
            time.sleep(0.4)
            with writers.lock:
                before = list(writers.acknowledged)
            result = run_backup(server, dest)
            time.sleep(0.2)
        assert result.returncode == 0, result.stderr
        assert re.fullmatch(rf"backup written to {re.escape(str(dest))} \(\d+ pages, integrity ok\)\n", result.stdout)
    finally:
        server.stop()
    return server, dest, before, writers.acknowledged


def test_a_backup_taken_during_writes_is_sound_and_holds_what_was_acknowledged_before_it(backup_during_writes):
    _, dest, before, during = backup_during_writes
    stored = assert_sound(dest)
    assert len(before) >= 10 and len(during) > len(before)
    assert len(stored) - 1 >= len(before)
    assert_every_acknowledged_save_is_there(before, stored)
    assert not Path(str(dest) + "-wal").exists() or Path(str(dest) + "-wal").stat().st_size == 0


def test_a_backup_opens_in_the_app(backup_during_writes):
    server, dest, before, _ = backup_during_writes
    config = Config(db_path=dest, secret_key="backup-check-" + "s3cr3t" * 6)
    client = create_app(config).test_client()
    listed = client.get("/api/sessions?state=all", headers=bearer(server))
    assert listed.status_code == 200
    assert {s["chair"] for s in listed.get_json()["items"]} == {"1", "2", "3", "4"}
    vitals = client.get(f"/api/vitals/{before[0]['id']}", headers=bearer(server))
    assert vitals.status_code == 200 and vitals.get_json()["hr"] == before[0]["sent"]["hr"]


def restore_steps() -> str:
    """The shell block of docs/RESTORE.md, run here exactly as an operator would."""
    text = RESTORE_DOC.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert blocks, "docs/RESTORE.md must hold the restore steps in a ```sh block"
    return blocks[0]


def test_a_backup_restores_as_documented(backup_during_writes):
    server, dest, _, during = backup_during_writes
    in_backup = assert_sound(dest)
    env = server.env | {"BACKUP": str(dest), "PATH": f"{BIN}:/usr/bin:/bin"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", restore_steps()], env=env, cwd=server.directory,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit chain ok" in result.stdout
    assert Path(str(server.db) + ".before-restore").exists()
    assert assert_sound(server.db) == in_backup
    server.start()
    try:
        newest = max(k for k in in_backup if k != "last_seq")
        assert requests.get(f"{server.url}/api/vitals/{newest}", headers=bearer(server)).status_code == 200
        lost_by_restore = [v["id"] for v in during if v["id"] not in in_backup]
        assert lost_by_restore, "saves after the backup are (rightly) not in the restored database"
        assert requests.get(f"{server.url}/api/vitals/{lost_by_restore[-1]}",
                            headers=bearer(server)).status_code == 404
    finally:
        server.stop()
