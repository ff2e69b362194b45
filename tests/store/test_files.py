"""The files that hold patient data (issue 10 point 10): the database, its WAL and SHM and a `monitor backup`
copy are created readable by their owner only (0600), like the secret, whatever the umask."""
from __future__ import annotations

import os
import stat
from contextlib import contextmanager

from monitor.store.db import SYSTEM
from tests.helpers import monitor, open_store


@contextmanager
def usual_umask():
    """0022, under which a file is created world-readable (0644) unless its creator says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_its_wal_and_its_shm_are_owner_only(tmp_path):
    with usual_umask():
        store = open_store(tmp_path / "clinic.db")
        store.migrate()
        with store.write(SYSTEM) as tx:
            tx.audit("test", "nothing", None)
        names = ("clinic.db", "clinic.db-wal", "clinic.db-shm")
        assert {name: mode(tmp_path / name) for name in names} == dict.fromkeys(names, 0o600)
        store.close()


def test_a_backup_is_owner_only(clinic, tmp_path):
    env, _ = clinic
    with usual_umask():
        result = monitor(env, "backup", str(tmp_path / "copy.db"))
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "copy.db") == 0o600
    assert not (tmp_path / "copy.db.partial").exists()
