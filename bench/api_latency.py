"""Latency and throughput of vitals saves from one keep-alive client, next to a bare Flask route.

Run: .venv/bin/python bench/api_latency.py [--n 2000]. Both servers run under the same
gunicorn (one process, threads) in this run; the figures are printed, not asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import tempfile
import time
from pathlib import Path

from common import bench_session, bench_user, free_port, percentile, start_bare, start_monitor


def measure(port: int, path: str, body: dict, n: int, headers: dict) -> tuple[list[float], float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    payload = json.dumps(body)
    for _ in range(50):  # warm up
        conn.request("POST", path, payload, headers)
        conn.getresponse().read()
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status == 201, response.status
    return times, n / (time.perf_counter() - start)


def report(name: str, times: list[float], rate: float) -> None:
    print(f"{name:<22} p50 {percentile(times, 50):6.2f} ms   p99 {percentile(times, 99):6.2f} ms   "
          f"{rate:7.0f} saves/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        token = bench_user(db)
        port, bare_port = free_port(), free_port()
        server = start_monitor(db, port)
        bare = start_bare(bare_port, Path(tmp) / "bare.db")
        try:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            session_id = bench_session(port, headers)
            vitals = {"hr": 82, "sbp": 128, "dbp": 79, "spo2": 98, "rr": 15, "temp_c": 36.8}
            bare_times, bare_rate = measure(bare_port, "/bare", vitals, args.n, {"Content-Type": "application/json"})
            times, rate = measure(port, f"/api/sessions/{session_id}/vitals", vitals, args.n, headers)
        finally:
            server.terminate()
            bare.terminate()
            server.wait()
            bare.wait()
    print(f"{args.n} sequential saves over one keep-alive connection")
    report("bare Flask route", bare_times, bare_rate)
    report("POST vitals", times, rate)
    print(f"ratio p99 {percentile(times, 99) / percentile(bare_times, 99):.1f}x, "
          f"throughput {rate / bare_rate:.2f} of bare")
    print(f"goal: p99 <= 10 ms ({'met' if percentile(times, 99) <= 10 else 'NOT met'}), "
          f">= 500 saves/s ({'met' if rate >= 500 else 'NOT met'})")


if __name__ == "__main__":
    main()
