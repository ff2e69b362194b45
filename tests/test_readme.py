"""The README says what the code does: every setting the code reads and every command it has are
documented there, so a newcomer does not meet one that the README leaves out."""
from __future__ import annotations

import re
from pathlib import Path

from monitor.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_the_code_reads_is_in_the_readme():
    read = set(re.findall(r"MONITOR_[A-Z_]+", (ROOT / "monitor" / "config.py").read_text()))
    documented = set(re.findall(r"`(MONITOR_[A-Z_]+)`", README))
    assert read - documented == set()


def test_every_command_is_in_the_readme():
    documented = set(re.findall(r"`monitor ([a-z-]+)", README))
    assert set(main.commands) - documented == set()
