"""Online backups: SQLite's backup API gives a consistent copy while writers go on."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .db import create_private


def backup(source: Path, dest: Path) -> int:
    """Copy the database to `dest` (via a temporary file), keeping it only if integrity_check is ok."""
    dest = Path(dest)
    if dest.exists():
        raise ValueError(f"{dest} exists; choose a new file")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)  # left by a copy that was cut off; never a file of another mode
    create_private(partial)  # 0600 like the database: the copy holds the same patient data
    src = sqlite3.connect(str(source), timeout=10)
    out = sqlite3.connect(str(partial))
    try:
        src.backup(out)
        result = out.execute("PRAGMA integrity_check").fetchone()[0]
        pages = out.execute("PRAGMA page_count").fetchone()[0]
        out.execute("PRAGMA journal_mode=DELETE")
    finally:
        out.close()
        src.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise ValueError(f"the copy failed its integrity check: {result}")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    partial.rename(dest)
    return pages
