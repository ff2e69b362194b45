"""Save-to-dashboard latency of the live stream, next to a bare Flask-SocketIO app, in the same run.

N dashboards connect over websocket (plain websockets speaking Socket.IO, multiplexed on one thread
in each of a few processes, so the clients' own work does not become the measurement), vitals are
saved at a fixed rate through the API, and for each save the time from sending it to its arrival at
the slowest dashboard is taken. The bare app (bench/bare_app.py, route /bare-insert: insert one
SQLite row and emit) runs under the same gunicorn settings and is measured the same way. Printed:
p50/p95/p99, deliveries lost and doubled, and the server's resident memory. Figures, not assertions.

Run: .venv/bin/python bench/live_latency.py [--dashboards 50 --rate 20 --seconds 15] [--also 100:100]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import selectors
import tempfile
import time
from pathlib import Path

from common import bench_session, bench_user, free_port, rss_mb, start_bare, start_monitor, tally

CLIENT_PROCESSES = 2
DRAIN_SECONDS = 3.0
WARM_UP_SAVES = 20
VITALS = {"hr": 78, "sbp": 124, "dbp": 79, "spo2": 98, "rr": 15, "temp_c": 36.8}


MARKER = re.compile(r'"(?:note|marker)": ?"([^"]+)"')


def open_dashboard(port: int, token: str | None):
    """A websocket speaking just enough Socket.IO to join /live (and subscribe, with a token)."""
    import websocket

    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=30, suppress_origin=True, skip_utf8_validation=True)
    assert ws.recv().startswith("0{"), "no Engine.IO open packet"
    ws.send("40/live," + (json.dumps({"token": token}) if token else ""))
    expect_reply(ws, "40/live,")
    if token:
        ws.send('42/live,1["subscribe",{"dashboard":true}]')
        expect_reply(ws, "43/live,1")
    return ws


def expect_reply(ws, prefix: str) -> str:
    while True:
        message = ws.recv()
        if message == "2":
            ws.send("3")
        elif message.startswith(prefix):
            return message
        elif message.startswith("44/live"):
            raise RuntimeError(f"refused: {message}")


def dashboards(port: int, token: str | None, count: int, ready, done, results) -> None:
    """One client process: `count` dashboards on one thread (select over their sockets), each noting when
    each marked save reaches it. Events are recognised by their marker, not decoded, so the clients' own
    work stays small next to the servers'."""
    sockets = [open_dashboard(port, token) for _ in range(count)]
    arrivals: list[dict[str, float]] = [{} for _ in sockets]
    doubled = 0
    selector = selectors.DefaultSelector()
    for index, ws in enumerate(sockets):
        selector.register(ws.sock, selectors.EVENT_READ, index)
    ready.put(count)
    quiet_until = None
    while quiet_until is None or time.monotonic() < quiet_until:
        if quiet_until is None and done.is_set():
            quiet_until = time.monotonic() + DRAIN_SECONDS
        for key, _ in selector.select(timeout=0.1):
            ws = sockets[key.data]
            message = ws.recv()
            at = time.monotonic()
            if message == "2":
                ws.send("3")
            elif message.startswith('42/live,["event"') and (found := MARKER.search(message)):
                got = arrivals[key.data]
                if found.group(1) in got:
                    doubled += 1
                else:
                    got[found.group(1)] = at
    results.put((arrivals, doubled))
    for ws in sockets:
        ws.close()


def save_at_rate(port: int, path: str, headers: dict, body_for, count: int, rate: float) -> dict[str, float]:
    """Send `count` saves at `rate` per second over one keep-alive connection; the send time of each."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    sent: dict[str, float] = {}
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        marker, body = body_for(i)
        sent[marker] = time.monotonic()
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 201, (response.status, path)
    conn.close()
    return sent


def measure(name: str, url: str, port: int, pid: int, token: str | None, path: str, headers: dict, body_for,
            n_dashboards: int, rate: float, seconds: float) -> dict:
    context = multiprocessing.get_context("fork")
    ready, done, results = context.Queue(), context.Event(), context.Queue()
    shares = [n_dashboards // CLIENT_PROCESSES + (1 if i < n_dashboards % CLIENT_PROCESSES else 0)
              for i in range(CLIENT_PROCESSES)]
    workers = [context.Process(target=dashboards, args=(port, token, share, ready, done, results))
               for share in shares if share]
    for worker in workers:
        worker.start()
    connected = sum(ready.get(timeout=120) for _ in workers)
    assert connected == n_dashboards
    save_at_rate(port, path, headers, lambda i: body_for(f"warm-{i}"), WARM_UP_SAVES, rate)
    count = int(rate * seconds)
    sent = save_at_rate(port, path, headers, lambda i: body_for(f"m-{i}"), count, rate)
    memory = rss_mb(pid)
    done.set()
    gathered = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join()
    return {"name": name, "saves": count, "deliveries": count * n_dashboards, **tally(sent, gathered), "rss": memory}


def run(n_dashboards: int, rate: float, seconds: float) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        token = bench_user(db)
        port, bare_port = free_port(), free_port()
        server = start_monitor(db, port, log=Path(tmp) / "monitor.log")
        bare = start_bare(bare_port, Path(tmp) / "bare.db", Path(tmp) / "bare.log")
        try:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            session_id = bench_session(port, headers)
            bare_figures = measure("bare Flask-SocketIO", f"http://127.0.0.1:{bare_port}", bare_port, bare.pid, None,
                                   "/bare-insert", {"Content-Type": "application/json"},
                                   lambda marker: (marker, VITALS | {"marker": marker}), n_dashboards, rate, seconds)
            print(f"(monitor server pid {server.pid}, for a profiler)", flush=True)
            figures = measure("monitor (POST vitals)", f"http://127.0.0.1:{port}", port, server.pid, token,
                              f"/api/sessions/{session_id}/vitals", headers,
                              lambda marker: (marker, VITALS | {"note": marker}), n_dashboards, rate, seconds)
        finally:
            for process in (server, bare):
                process.terminate()
                process.wait()
    return bare_figures, figures


def report(n_dashboards: int, rate: float, bare: dict, ours: dict) -> float:
    print(f"\n{n_dashboards} dashboards, {rate:g} saves/s, {ours['saves']} saves "
          f"({ours['deliveries']} deliveries each app); latency from sending a save to its arrival at the "
          "slowest dashboard")
    print(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'lost':>7}{'doubled':>9}{'RSS MB':>9}")
    for row in (bare, ours):
        print(f"{row['name']:<24}{row['p50']:9.2f}{row['p95']:9.2f}{row['p99']:9.2f}{row['lost']:7d}"
              f"{row['doubled']:9d}{row['rss']:9.1f}")
    ratio = ours["p95"] / bare["p95"] if bare["p95"] else float("inf")
    print(f"p95 ratio to bare: {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboards", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--also", default="100:100", help="another DASHBOARDS:RATE run ('' for none)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; one gunicorn gevent worker per app; clients in {CLIENT_PROCESSES} processes")
    runs = [(args.dashboards, args.rate)] + ([tuple(map(float, args.also.split(":")))] if args.also else [])
    for n, rate in runs:
        bare, ours = run(int(n), rate, args.seconds)
        ratio = report(int(n), rate, bare, ours)
        if (int(n), rate) == (50, 20):
            met = ours["p95"] <= 25 and ratio <= 2 and ours["lost"] == 0
            verdict = "met" if met else "NOT met"
            print(f"goal at 50 dashboards / 20 saves/s: p95 <= 25 ms, <= 2x bare, 0 lost: {verdict}")


if __name__ == "__main__":
    main()
