"""Defences every request and response share: security headers, cookie settings and size limits.

The headers are added by a small WSGI wrapper around the whole application, so that
error pages, static files and the Socket.IO transport carry them as well as the views.
"""
from __future__ import annotations

import json

from flask import Flask, current_app, jsonify, request
from werkzeug.routing import IntegerConverter

from ..config import Config
from ..errors import error_body
from .api.openapi import MAX_ID

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
# Sent on every response, replacing whatever a view set; a view may set its own (stricter)
# Content-Security-Policy, which the header tests check on every route like the default one.
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
CACHEABLE_PREFIX = "/static/"
REPLACED = {name.lower() for name in ALWAYS}
NOT_CACHED = {"cache-control", "pragma", "expires"}


def init_app(app: Flask, config: Config) -> None:
    """Cookie flags, body limits and bounded ids; call before the blueprints are registered and
    before the other request hooks, so the limits apply first."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.tls,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        MAX_FORM_MEMORY_SIZE=config.max_request_bytes,
    )
    app.url_map.converters["int"] = RecordId
    app.extensions["monitor.body_limits"] = (config.max_request_bytes, config.max_upload_bytes)
    app.before_request(limit_body)
    app.register_error_handler(413, too_large)


class RecordId(IntegerConverter):
    """`<int:...>` in every route: an id SQLite can hold, so a huge one is 404, never an overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def limit_body() -> None:
    """JSON bodies and forms get the small limit; only a multipart upload may be larger."""
    small, upload = current_app.extensions["monitor.body_limits"]
    request.max_content_length = upload if request.mimetype == "multipart/form-data" else small


def too_large(error):
    """413 is always the contract's JSON error, for pages as for the API."""
    limit = request.max_content_length
    message = f"the body is over the size limit of {limit} bytes" if limit else "the body is over the size limit"
    return jsonify(error_body("too_large", message)), 413


def response_headers(path: str, existing: list[tuple[str, str]], secure: bool) -> list[tuple[str, str]]:
    """The headers to add to a response for `path` that already has `existing`."""
    present = {name.lower() for name, _ in existing}
    added = list(ALWAYS.items())
    if "content-security-policy" not in present:
        added.append(("Content-Security-Policy", CSP))
    if not path.startswith(CACHEABLE_PREFIX):
        added.append(("Cache-Control", "no-store"))
        added.append(("Pragma", "no-cache"))
    if secure:
        added.append(("Strict-Transport-Security", HSTS))
    return added


class SecurityHeaders:
    """WSGI wrapper: every response, whoever produced it, leaves with the security headers."""

    def __init__(self, wsgi_app, tls: bool):
        self.wsgi_app, self.tls = wsgi_app, tls

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        secure = self.tls or environ.get("wsgi.url_scheme") == "https"

        def start(status, headers, exc_info=None):
            replaced = REPLACED if path.startswith(CACHEABLE_PREFIX) else REPLACED | NOT_CACHED
            headers = [(n, v) for n, v in headers if n.lower() not in replaced]
            return start_response(status, headers + response_headers(path, headers, secure), exc_info)

        return self.wsgi_app(environ, start)


class SocketMessageLimit:
    """WSGI wrapper: a Socket.IO long-polling post over the message limit is answered 413 before
    Engine.IO reads it (over a websocket, Engine.IO itself closes the socket on such a message)."""

    def __init__(self, wsgi_app, limit: int, path: str = "/socket.io/"):
        self.wsgi_app, self.limit, self.path = wsgi_app, limit, path

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.path) and environ.get("REQUEST_METHOD") == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = self.limit + 1
            if length > self.limit:
                body = json.dumps(error_body("too_large", f"a socket message is limited to {self.limit} bytes"))
                start_response("413 Request Entity Too Large", [("Content-Type", "application/json"),
                                                                ("Content-Length", str(len(body)))])
                return [body.encode()]
        return self.wsgi_app(environ, start_response)


def wrap(app: Flask, config: Config) -> None:
    """Put the wrappers outermost; call last in the factory, after the live stream wraps the app."""
    app.wsgi_app = SecurityHeaders(SocketMessageLimit(app.wsgi_app, config.max_socket_message_bytes), config.tls)
