"""Start a real server process (gunicorn) on a free port, for the benchmarks."""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception as error:
            if getattr(error, "code", None):
                return
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def output_to(log: Path | None) -> dict:
    """Send a server's output to `log` (kept out of the figures), or leave it on the terminal."""
    return {"stdout": open(log, "ab"), "stderr": subprocess.STDOUT} if log else {}


def start_monitor(db: Path, port: int, workers: int = 1, log: Path | None = None,
                  extra_env: dict | None = None) -> subprocess.Popen:
    """`monitor serve` (gunicorn, gevent workers) on `port`."""
    env = os.environ | {"MONITOR_DB": str(db), "MONITOR_PORT": str(port), "MONITOR_WORKERS": str(workers),
                        "MONITOR_ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
                        "MONITOR_SOCKETS_PER_ADDRESS": "10000"} | (extra_env or {})
    process = subprocess.Popen([str(BIN / "monitor"), "serve"], env=env, cwd=ROOT,
                               **output_to(log))
    wait_for(f"http://127.0.0.1:{port}/healthz")
    return process


def start_bare(port: int, db: Path, log: Path | None = None, workers: int = 1,
               queue: str | None = None) -> subprocess.Popen:
    """bench/bare_app.py under the same gunicorn settings as `monitor serve` (gevent workers)."""
    env = os.environ | {"BARE_DB": str(db), "PYTHONPATH": str(ROOT / "bench"), "BARE_ASYNC": "gevent",
                        "BARE_QUEUE": queue or ""}
    process = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-k", "gevent", "--keep-alive", "5",
                                "--worker-connections", "2000", "--timeout", "60", "--log-level", "warning",
                                "-b", f"127.0.0.1:{port}", "bare_app:app"], env=env, cwd=ROOT / "bench",
                               **output_to(log))
    wait_for(f"http://127.0.0.1:{port}/nothing")
    return process


def worker_pids(master_pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]


def rss_mb(master_pid: int) -> float:
    """Resident memory of all of gunicorn's workers (the master's children), in MB."""
    total = 0.0
    for pid in worker_pids(master_pid) or [master_pid]:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def bench_user(db: Path) -> str:
    """Create the database and a nurse for the benchmark; return the nurse's API token."""
    monitor_cli(db, "init-db")
    monitor_cli(db, "user", "add", "bench", "--role", "nurse", "--password-stdin", stdin="bench-password\n")
    return monitor_cli(db, "token", "create", "bench").strip()


def bench_session(port: int, headers: dict) -> int:
    """A patient and an IV session on the running server, to save vitals into; returns the session id."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/api/patients", json.dumps({"mrn": "B1", "family_name": "Bench", "given_name": "B",
                                                      "birth_date": "1980-01-01"}), headers)
    patient = json.loads(conn.getresponse().read())
    conn.request("POST", "/api/sessions", json.dumps({"patient_id": patient["id"], "chair": "1",
                                                      "drug": "ketamine", "route": "iv"}), headers)
    session = json.loads(conn.getresponse().read())
    conn.close()
    return session["id"]


def monitor_cli(db: Path, *args: str, stdin: str | None = None) -> str:
    env = os.environ | {"MONITOR_DB": str(db)}
    return subprocess.run([str(BIN / "monitor"), *args], env=env, input=stdin, capture_output=True, text=True,
                          check=True).stdout


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def tally(sent: dict[str, float], gathered: list[tuple[list[dict], int]]) -> dict:
    """Save -> slowest dashboard for every marker sent, and how many deliveries were lost or doubled.

    `sent` maps a save's marker to when it was sent; `gathered` holds each client process's
    (arrivals per dashboard, doubled count)."""
    arrivals = [got for batch, _ in gathered for got in batch]
    latencies, lost = [], 0
    for marker, at in sent.items():
        reached = [got[marker] for got in arrivals if marker in got]
        lost += len(arrivals) - len(reached)
        if reached:
            latencies.append((max(reached) - at) * 1000)
    return {"lost": lost, "doubled": sum(d for _, d in gathered),
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99)}
