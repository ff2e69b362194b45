"""Structured logs: one JSON object per line on stderr, scrubbed of secrets and patient identifiers.

The first defence is what is logged at all: request lines name the route pattern, never the
path with its query string, and never a body. The `Scrub` filter is the second: it blanks
bearer tokens and any `password=`, `token=`, `mrn=`, name or birth date that slips into a message.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import datetime, timezone

# Fields a log call may pass with `extra=` that are copied into the JSON object as they are.
FIELDS = ("event", "method", "route", "status", "ms", "user_id", "role", "remote", "seconds")
SECRET_KEYS = ("password", "passwd", "token", "secret", "csrf_token", "x-csrftoken", "authorization", "cookie",
               "mrn", "family_name", "given_name", "birth_date", "username", "q")
SCRUBBERS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;\"']+"), r"\1 [redacted]"),
    (re.compile(r"(?i)([\"']?\b(?:" + "|".join(re.escape(k) for k in SECRET_KEYS) + r")\b[\"']?\s*[:=]\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s,;&}\]]+)"), r"\1[redacted]"),
    (re.compile(r"(?i)(monitor_session=)[^\s;,]+"), r"\1[redacted]"),
)
OUR_HANDLER = "monitor.json"
QUIET = ("engineio", "socketio", "engineio.server", "socketio.server", "werkzeug", "urllib3")


def scrub(text: str) -> str:
    """The text with every secret-looking value replaced by [redacted]."""
    for pattern, replacement in SCRUBBERS:
        text = pattern.sub(replacement, text)
    return text


def traceback_without_messages(exc_info) -> str:
    """Where an error happened (frames and exception types), without the exception's message,
    which may quote a value from the request: a patient's name, say."""
    parts = []
    for line in traceback.TracebackException(*exc_info).format():
        if line.startswith(("Traceback", "  ", "\nDuring handling", "\nThe above")):
            parts.append(line)
        else:
            name = line.split(":", 1)[0].strip()
            parts.append(f"{name}: [message withheld]\n")
    return "".join(parts).rstrip("\n")


class Scrub(logging.Filter):
    """Formats the message early and scrubs it, and withholds exception messages; runs on the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        if record.exc_info:
            record.exc_text = scrub(traceback_without_messages(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the known extra fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in FIELDS if hasattr(record, name)})
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(traceback_without_messages(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(OUR_HANDLER)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Scrub())
    return handler


def setup(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as scrubbed JSON; safe to call more than once."""
    root = logging.getLogger()
    if not any(h.get_name() == OUR_HANDLER for h in root.handlers):
        root.addHandler(json_handler())
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def log_request(response):
    """One line per request: the route pattern (no ids, no query), status and who asked; never a body."""
    from flask import g, request

    rule = request.url_rule.rule if request.url_rule else "(no route)"
    user = g.get("user")
    logging.getLogger("monitor.request").info(
        "%s %s %s", request.method, rule, response.status_code,
        extra={"event": "request", "method": request.method, "route": rule, "status": response.status_code,
               "user_id": user["id"] if user else None, "role": user["role"] if user else None})
    return response


try:  # gunicorn is only there for the production server
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's own messages (start, worker, errors) in the same scrubbed JSON form."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(JsonFormatter())
                handler.addFilter(Scrub())
