"""What a socket must do to stay open: authenticate within seconds, share its address fairly, and speak
Socket.IO. These hooks sit on the Engine.IO connection under `/live` (CONTRACT.md §3).

- A connection that has not joined `/live` as a user within AUTH_SECONDS is closed, so anonymous
  sockets cannot pile up.
- One address holds at most `sockets_per_address` open connections (MONITOR_SOCKETS_PER_ADDRESS);
  behind a proxy the address is the one the proxy saw (MONITOR_PROXY_HOPS, via ProxyFix).
- A malformed frame is dropped and logged at debug level: a hostile client cannot flood the log.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from socketio import packet

log = logging.getLogger(__name__)
AUTH_SECONDS = 3.0
# What a client of /live may send: the server never asks a client for an acknowledgement and no event of
# CONTRACT.md §3 carries binary data, so anything else is junk.
CLIENT_PACKETS = {packet.CONNECT, packet.DISCONNECT, packet.EVENT}
ENGINE_IO_TYPES = "0123456"


class Doors:
    """Wraps the Engine.IO connect, message and disconnect handlers of a python-socketio server."""

    def __init__(self, server, per_address: int, authenticated: Callable[[str], bool],
                 auth_seconds: float = AUTH_SECONDS):
        self.server, self.per_address, self.authenticated = server, per_address, authenticated
        self.auth_seconds = auth_seconds
        self.lock = threading.Lock()
        self.open_by_address: Counter[str] = Counter()
        self.address_of: dict[str, str] = {}
        self.waiting: dict[str, float] = {}  # eio sid -> when it must have authenticated
        self.inner = {name: server.eio.handlers[name] for name in ("connect", "message", "disconnect")}
        server.eio._async = dict(server.eio._async, websocket=frames_checked(server.eio._async["websocket"]))
        server.eio.on("connect", self.connect)
        server.eio.on("message", self.message)
        server.eio.on("disconnect", self.disconnect)

    def connect(self, eio_sid: str, environ: dict):
        """Engine.IO handshake: refuse past the address's allowance, else start the authentication clock."""
        address = environ.get("REMOTE_ADDR") or "unknown"
        with self.lock:
            if self.open_by_address[address] >= self.per_address:
                log.info("socket refused: too many from one address", extra={"event": "socket.too_many"})
                return False
            self.open_by_address[address] += 1
            self.address_of[eio_sid] = address
            self.waiting[eio_sid] = time.monotonic() + self.auth_seconds
        return self.inner["connect"](eio_sid, environ)

    def message(self, eio_sid: str, data):
        """Drop a frame that is not a Socket.IO packet a client may send, quietly (debug)."""
        if not isinstance(data, str):  # binary, or a payload Engine.IO read as a JSON number or object
            log.debug("socket frame that is not Socket.IO text dropped")
            return None
        try:
            decoded = self.server.packet_class(encoded_packet=data)
        except Exception as error:  # any decoding failure is the client's, not ours
            log.debug("malformed socket frame dropped", extra={"error": type(error).__name__})
            return None
        if not well_formed(decoded):
            log.debug("socket frame of a kind or shape clients do not send dropped")
            return None
        return self.inner["message"](eio_sid, data)

    def disconnect(self, eio_sid: str, *args):
        with self.lock:
            self.waiting.pop(eio_sid, None)
            address = self.address_of.pop(eio_sid, None)
            if address is not None:
                self.open_by_address[address] -= 1
                if self.open_by_address[address] <= 0:
                    del self.open_by_address[address]
        return self.inner["disconnect"](eio_sid, *args)

    def close_the_unauthenticated(self) -> int:
        """Close every connection whose time to authenticate is up and that has no user; how many."""
        now = time.monotonic()
        with self.lock:
            due = [sid for sid, deadline in self.waiting.items() if deadline <= now]
            for sid in due:
                del self.waiting[sid]
        late = [sid for sid in due if not self.authenticated(sid)]
        for sid in late:
            self.server.eio.disconnect(sid)
        return len(late)


def well_formed(decoded) -> bool:
    """A packet a client may send; an event's data must be [name, ...] with a text name."""
    if decoded.packet_type not in CLIENT_PACKETS:
        return False
    if decoded.packet_type == packet.EVENT:
        data = decoded.data
        return isinstance(data, list) and bool(data) and isinstance(data[0], str)
    return True


def frames_checked(websocket_class):
    """Engine.IO's websocket class for this server, dropping (at debug level) a frame that is not an Engine.IO
    packet: Engine.IO itself would fail on it and the server log an error for every such frame."""

    class FramesChecked(websocket_class):
        def wait(self):
            while True:
                frame = super().wait()
                if frame is None or isinstance(frame, bytes) or frame[:1] in tuple(ENGINE_IO_TYPES):
                    return frame
                log.debug("malformed Engine.IO frame dropped")

    return FramesChecked
