"""Supply chain: every dependency pinned, the Socket.IO libraries past their fixed CVEs, and the
pip-audit step's verdicts (vulnerable, accepted, not audited, service unreachable)."""
from __future__ import annotations

import configparser
import http.server
import importlib.util
import threading
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.helpers import ROOT, free_port

spec = importlib.util.spec_from_file_location("audit_dependencies", ROOT / "scripts" / "audit_dependencies.py")
audit_dependencies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit_dependencies)


def requirements() -> list[Requirement]:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    lines = setup["options"]["install_requires"].splitlines()
    for extra in setup["options.extras_require"].values():
        lines += extra.splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def test_every_dependency_is_pinned_to_one_version():
    unpinned = [str(r) for r in requirements() if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    assert unpinned == []


def test_the_installed_versions_are_the_pinned_ones():
    wrong = {r.name: version(r.name) for r in requirements() if version(r.name) not in r.specifier}
    assert wrong == {}


@pytest.mark.parametrize("name, first_fixed", [("python-engineio", "4.13.3"), ("python-socketio", "5.16.3")])
def test_the_socketio_libraries_are_past_their_fixed_cves(name, first_fixed):
    pinned = next(r for r in requirements() if r.name == name)
    assert Version(next(iter(pinned.specifier)).version) >= Version(first_fixed)
    assert Version(version(name)) >= Version(first_fixed)


def report(*deps) -> dict:
    return {"dependencies": list(deps), "fixes": []}


def test_a_known_vulnerability_fails_the_audit():
    passed, lines = audit_dependencies.verdict(report(
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "python-engineio", "version": "4.13.2", "vulns": [
            {"id": "GHSA-aaaa-bbbb-cccc", "fix_versions": ["4.13.3"], "aliases": ["CVE-2099-1"]}]}), set())
    assert passed is False
    assert lines == ["VULNERABLE python-engineio 4.13.2: GHSA-aaaa-bbbb-cccc (fixed in 4.13.3)",
                     "pip-audit: 2 packages audited"]


def test_a_vulnerability_accepted_in_security_md_passes_by_any_of_its_ids():
    passed, lines = audit_dependencies.verdict(report(
        {"name": "gunicorn", "version": "27.0.1", "vulns": [
            {"id": "PYSEC-2099-7", "fix_versions": [], "aliases": ["CVE-2099-7"]}]}), {"CVE-2099-7"})
    assert passed is True
    assert lines[0] == "accepted PYSEC-2099-7 in gunicorn 27.0.1 (see docs/SECURITY.md)"


def test_a_package_that_could_not_be_audited_fails_rather_than_passing_silently():
    passed, lines = audit_dependencies.verdict(report(
        {"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}), set())
    assert passed is False
    assert lines[0] == "NOT AUDITED flask 3.1.3: Dependency not found on PyPI"


def test_the_accepted_table_is_read_from_the_security_document(tmp_path):
    doc = tmp_path / "SECURITY.md"
    doc.write_text("| advisory | package | why |\n|---|---|---|\n| GHSA-1234-5678-9abc | x | not reachable |\n"
                   "| PYSEC-2099-1 | y | dev only |\n")
    assert audit_dependencies.accepted_vulnerabilities(doc) == {"GHSA-1234-5678-9abc", "PYSEC-2099-1"}
    assert audit_dependencies.accepted_vulnerabilities() == set()  # docs/SECURITY.md accepts none today


class NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(404)

    def log_message(self, *args):
        pass


def test_an_unreachable_vulnerability_service_is_named_not_passed():
    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/pypi/pip-audit/2.10.1/json"
        assert audit_dependencies.service_problem(url) == f"{url} answered HTTP 404"
    finally:
        server.shutdown()
    closed = f"http://127.0.0.1:{free_port()}/pypi/x/1/json"
    assert audit_dependencies.service_problem(closed, timeout=2).startswith(f"{closed} could not be reached")
