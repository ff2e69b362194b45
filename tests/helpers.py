"""What the tests share: stores that the alert engine hears, the real server on a free port, calling its API."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from monitor.alerts import triggers
from monitor.store.db import Store

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORDS = {"nurse": "nurse-password-1", "clinician": "clinician-password-1", "admin": "admin-password-1"}


def open_store(path, **options) -> Store:
    """A store for writing, as the composition roots build one: the alert engine hears its writes."""
    return triggers.listen(Store(path, **options))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """Starts, stops (gently or with SIGKILL) and restarts the production server on one database."""

    def __init__(self, directory: Path, extra_env: dict | None = None):
        self.directory = directory
        self.db = directory / "sessions.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "server.log"
        self.env = os.environ | {
            "MONITOR_DB": str(self.db), "MONITOR_PORT": str(self.port), "MONITOR_HOST": "127.0.0.1",
            "MONITOR_ALLOWED_ORIGINS": self.url, "MONITOR_TIMEZONE": "Europe/London",
        } | (extra_env or {})
        self.process: subprocess.Popen | None = None
        self.tokens: dict[str, str] = {}

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "monitor"), *args], env=self.env, input=stdin, capture_output=True,
                                text=True, cwd=ROOT)
        if result.returncode:
            raise RuntimeError(f"monitor {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def add_users(self) -> None:
        for role, password in PASSWORDS.items():
            self.cli("user", "add", role, "--role", role, "--password-stdin", stdin=password + "\n")
            self.tokens[role] = self.cli("token", "create", role).strip()

    def start(self) -> None:
        self.process = subprocess.Popen([str(BIN / "monitor"), "serve", "--threads", "64"], env=self.env, cwd=ROOT,
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("server did not answer /healthz")

    def stop(self, kill: bool = False) -> None:
        """SIGTERM the server, or SIGKILL its whole process group (master and worker) like a crash."""
        if self.process and self.process.poll() is None:
            if kill:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


def running_server(directory: Path):
    """Yield a started server with the three users (for module-scoped fixtures), then stop it."""
    server = LiveServer(directory)
    server.cli("init-db")
    server.add_users()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def call(server: LiveServer, method: str, path: str, body=None, role: str = "nurse"):
    """Call the real server's API with a user's token; the JSON answer (an error raises)."""
    request = urllib.request.Request(server.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {server.tokens[role]}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
