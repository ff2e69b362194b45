"""Save -> slowest dashboard with several server processes and Redis, next to a bare Flask-SocketIO + Redis
app with the same processes and load, in the same run (issue 12, "bench/live_scale.py").

For each number of processes (gunicorn gevent workers on one port) and of dashboards, both apps get the
same redis-server (started here on a free loopback port), the same dashboards (plain websockets speaking
Socket.IO, multiplexed in two client processes) and the same saves at a fixed rate over one keep-alive
connection. The monitor tails its event log in every worker and uses Redis only to wake the others; the
bare app (bench/bare_app.py) inserts one row and emits through Flask-SocketIO's Redis message queue.
Printed: p50/p95/p99 of the time from sending a save to its arrival at the slowest dashboard, deliveries
lost and doubled, and the workers' resident memory per dashboard (the growth from before the dashboards
connected). Figures, not assertions. Needs redis-server (Debian's package).

Run: .venv/bin/python bench/live_scale.py [--processes 1,2,4] [--dashboards 50,100,200,400] [--rate 20]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import bench_session, bench_user, free_port, rss_mb, start_bare, start_monitor, tally
from live_latency import CLIENT_PROCESSES, VITALS, WARM_UP_SAVES, dashboards, save_at_rate


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                                "--bind", "127.0.0.1", "--dir", str(directory), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


def measure(name: str, port: int, pid: int, token: str | None, path: str, headers: dict, body_for,
            n_dashboards: int, rate: float, seconds: float) -> dict:
    """Connect the dashboards, warm up, send the saves, gather the arrivals."""
    context = multiprocessing.get_context("fork")
    ready, done, results = context.Queue(), context.Event(), context.Queue()
    shares = [n_dashboards // CLIENT_PROCESSES + (1 if i < n_dashboards % CLIENT_PROCESSES else 0)
              for i in range(CLIENT_PROCESSES)]
    before = rss_mb(pid)
    clients = [context.Process(target=dashboards, args=(port, token, share, ready, done, results))
               for share in shares if share]
    for client in clients:
        client.start()
    assert sum(ready.get(timeout=180) for _ in clients) == n_dashboards
    save_at_rate(port, path, headers, lambda i: body_for(f"warm-{i}"), WARM_UP_SAVES, rate)
    count = int(rate * seconds)
    sent = save_at_rate(port, path, headers, lambda i: body_for(f"m-{i}"), count, rate)
    memory = rss_mb(pid) - before
    done.set()
    gathered = [results.get(timeout=120) for _ in clients]
    for client in clients:
        client.join()
    return {"name": name, "saves": count, **tally(sent, gathered), "kb_per_dashboard": memory * 1024 / n_dashboards}


def run(processes: int, n_dashboards: int, rate: float, seconds: float) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        redis, queue = start_redis(tmp)
        db = tmp / "bench.db"
        token = bench_user(db)
        port, bare_port = free_port(), free_port()
        server = start_monitor(db, port, processes, tmp / "monitor.log", {"MONITOR_MESSAGE_QUEUE": queue})
        bare = start_bare(bare_port, tmp / "bare.db", tmp / "bare.log", workers=processes, queue=queue)
        try:
            time.sleep(1)  # every worker up
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            session_id = bench_session(port, headers)
            bare_row = measure("bare Flask-SocketIO+Redis", bare_port, bare.pid, None, "/bare-insert",
                               {"Content-Type": "application/json"},
                               lambda marker: (marker, VITALS | {"marker": marker}), n_dashboards, rate, seconds)
            ours = measure("monitor", port, server.pid, token, f"/api/sessions/{session_id}/vitals", headers,
                           lambda marker: (marker, VITALS | {"note": marker}), n_dashboards, rate, seconds)
        finally:
            for process in (server, bare, redis):
                process.terminate()
                process.wait()
    return bare_row, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--dashboards", default="50,100,200,400")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.rate:g} saves/s for {args.seconds:g} s per row; clients in "
          f"{CLIENT_PROCESSES} processes; latency from sending a save to its arrival at the slowest dashboard")
    print(f"{'proc':>4} {'dash':>5} | {'bare p50':>8} {'p95':>6} {'p99':>6} {'lost':>5} {'KB/d':>6} | "
          f"{'ours p50':>8} {'p95':>6} {'p99':>6} {'lost':>5} {'dbl':>4} {'KB/d':>6} | {'p95 ratio':>9}", flush=True)
    for processes in map(int, args.processes.split(",")):
        for n in map(int, args.dashboards.split(",")):
            bare, ours = run(processes, n, args.rate, args.seconds)
            ratio = ours["p95"] / bare["p95"] if bare["p95"] else float("inf")
            print(f"{processes:>4} {n:>5} | {bare['p50']:8.1f} {bare['p95']:6.1f} {bare['p99']:6.1f} {bare['lost']:5d} "
                  f"{bare['kb_per_dashboard']:6.0f} | {ours['p50']:8.1f} {ours['p95']:6.1f} {ours['p99']:6.1f} "
                  f"{ours['lost']:5d} {ours['doubled']:4d} {ours['kb_per_dashboard']:6.0f} | {ratio:8.2f}x", flush=True)
            if (processes, n) == (2, 200):
                met = ratio <= 1.5 and ours["lost"] == 0 and ours["kb_per_dashboard"] <= 150
                print(f"     goal at 2 processes / 200 dashboards: p95 <= 1.5x bare, 0 lost, <= 150 KB per "
                      f"dashboard: {'met' if met else 'NOT met'}", flush=True)
            if processes == 1 and n == 400:
                print(f"     goal at 1 process / 400 dashboards: p99 <= 50 ms: "
                      f"{'met' if ours['p99'] <= 50 else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()
