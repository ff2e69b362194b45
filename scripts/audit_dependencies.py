"""Audit the installed Python packages for known vulnerabilities with pip-audit (run by `make test`).

Fails on any known vulnerability not accepted in docs/SECURITY.md. When pip-audit's vulnerability
service cannot be reached from this machine it says so plainly and, unless MONITOR_AUDIT_REQUIRED=1,
does not fail the build: an audit that could not run is reported as not run, never as passed.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECURITY_DOC = ROOT / "docs" / "SECURITY.md"
# pip-audit's default service asks PyPI for each installed version; this is that request for itself.
PROBE = "https://pypi.org/pypi/pip-audit/2.10.1/json"
ACCEPTED_ROW = re.compile(r"^\|\s*((?:GHSA|PYSEC|CVE|OSV)-[\w-]+)\s*\|")


def accepted_vulnerabilities(doc: Path = SECURITY_DOC) -> set[str]:
    """The ids in the accepted-exceptions table of docs/SECURITY.md, each justified there."""
    return {m.group(1) for line in doc.read_text().splitlines() if (m := ACCEPTED_ROW.match(line))}


def service_problem(url: str = PROBE, timeout: float = 20) -> str | None:
    """None when the vulnerability service answers; otherwise what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            json.load(response)
        return None
    except urllib.error.HTTPError as error:
        return f"{url} answered HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"{url} could not be reached ({getattr(error, 'reason', error)})"


def verdict(report: dict, accepted: set[str]) -> tuple[bool, list[str]]:
    """(passed, lines to print) from pip-audit's JSON report."""
    lines, passed = [], True
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            passed = False
            lines.append(f"NOT AUDITED {dep['name']} {dep.get('version', '?')}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            if ids & accepted:
                lines.append(f"accepted {vuln['id']} in {dep['name']} {dep['version']} (see docs/SECURITY.md)")
                continue
            passed = False
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            lines.append(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    audited = [d for d in report.get("dependencies", []) if not d.get("skip_reason")]
    lines.append(f"pip-audit: {len(audited)} packages audited")
    return passed, lines


def run_pip_audit() -> dict:
    command = [str(Path(sys.executable).parent / "pip-audit"), "--local", "--skip-editable", "--format", "json",
               "--progress-spinner", "off", "--timeout", "30"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise SystemExit(f"pip-audit failed to run:\n{result.stderr}")
    return json.loads(result.stdout)


def main() -> int:
    problem = service_problem()
    if problem:
        print(f"pip-audit NOT RUN: its vulnerability service is unreachable from this machine: {problem}.\n"
              "The dependencies were NOT audited. Run `make audit` where pypi.org's JSON API is reachable.",
              file=sys.stderr)
        return 1 if os.environ.get("MONITOR_AUDIT_REQUIRED") == "1" else 0
    passed, lines = verdict(run_pip_audit(), accepted_vulnerabilities())
    print("\n".join(lines), file=sys.stderr if not passed else sys.stdout)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
