"""The wake-up between server processes: a Redis channel that says "the event log has grown".

Every process tails the event log itself (web/live.py), so Redis carries no event, only the seq
a process has just committed. A lost or doubled wake-up costs nothing: the publisher reads the log
from its own last seq either way, and polls it anyway when no wake-up comes. A heartbeat goes round
the channel every second, so a stopped or paused Redis is noticed within a few seconds
(`down_since`), which /healthz and the dashboards report until it answers again.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0
SILENT_SECONDS = 3.0  # no message on the channel for this long (not even our heartbeat): Redis is down
TIMEOUT_SECONDS = 1.0
RETRY_SECONDS = 0.5


def channel_for(db_path) -> str:
    """One channel per database, so two clinics sharing a Redis never wake each other."""
    return "monitor:events:" + hashlib.sha256(str(db_path).encode()).hexdigest()[:16]


class QueueLink:
    """Publishes this process's new seqs and calls `on_wake(seq)` for every seq another process announces."""

    def __init__(self, url: str, channel: str, on_wake: Callable[[int], None],
                 on_change: Callable[[datetime | None], None] = lambda since: None):
        import redis  # only a server with MONITOR_MESSAGE_QUEUE needs the client

        self.redis = redis
        self.url, self.channel, self.on_wake, self.on_change = url, channel, on_wake, on_change
        self.down_since: datetime | None = None
        self.latest = 0
        self.announce = threading.Event()
        self.stopping = threading.Event()
        self.heard_at = time.monotonic()
        self.threads: list[threading.Thread] = []

    def client(self):
        return self.redis.Redis.from_url(self.url, socket_timeout=TIMEOUT_SECONDS,
                                         socket_connect_timeout=TIMEOUT_SECONDS)

    def start(self) -> None:
        for name, target in (("queue-listener", self.listen), ("queue-announcer", self.announcer)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        self.announce.set()

    def committed(self, seq: int) -> None:
        """This process committed up to `seq`: tell the others (off the request's path)."""
        self.latest = max(self.latest, seq)
        self.announce.set()

    def announcer(self) -> None:
        """Sends the newest seq at once after a commit, and as a heartbeat every second."""
        client = self.client()
        while not self.stopping.is_set():
            self.announce.wait(HEARTBEAT_SECONDS)
            self.announce.clear()
            try:
                client.publish(self.channel, str(self.latest))
            except self.redis.RedisError as error:
                self.went_down(error)

    def listen(self) -> None:
        while not self.stopping.is_set():
            try:
                self.listen_once()
            except self.redis.RedisError as error:
                self.went_down(error)
                self.stopping.wait(RETRY_SECONDS)

    def listen_once(self) -> None:
        pubsub = self.client().pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel)
            self.heard_at = time.monotonic()
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=HEARTBEAT_SECONDS)
                now = time.monotonic()
                if message is not None:
                    self.heard_at = now
                    self.came_back()
                    data = message.get("data")
                    if isinstance(data, bytes) and data.isdigit():
                        self.on_wake(int(data))
                elif now - self.heard_at > SILENT_SECONDS:
                    raise self.redis.ConnectionError("no message on the channel, not even the heartbeat")
        finally:
            pubsub.close()

    def went_down(self, error: Exception) -> None:
        if self.down_since is None:
            self.down_since = datetime.now(timezone.utc)
            log.warning("message queue unreachable: live events from other processes come by polling",
                        extra={"event": "queue.down", "error": type(error).__name__})
            self.on_change(self.down_since)

    def came_back(self) -> None:
        if self.down_since is not None:
            self.down_since = None
            log.warning("message queue reachable again", extra={"event": "queue.up"})
            self.on_change(None)
