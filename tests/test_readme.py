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


def architecture_map() -> str:
    return README.split("## Architecture", 1)[1].split("```", 2)[1]


def test_the_architecture_map_names_every_package_and_module_of_monitor():
    shown = architecture_map()
    packages = {p.name + "/" for p in (ROOT / "monitor").iterdir() if (p / "__init__.py").exists()}
    packages |= {p.name + "/" for p in (ROOT / "monitor").glob("*/*") if (p / "__init__.py").exists()}
    modules = {p.name for p in (ROOT / "monitor").rglob("*.py")} - {"__init__.py", "__main__.py"}
    assert {name for name in packages | modules if not re.search(rf"(?<![\w.]){re.escape(name)}", shown)} == set()


def test_the_architecture_map_names_every_test_package():
    shown = architecture_map().split("tests/", 1)[1]
    packages = {p.name + "/" for p in (ROOT / "tests").iterdir() if (p / "__init__.py").exists()}
    assert {name for name in packages if name not in shown} == set()
