"""The application factory: wires configuration, the store, the blueprints and the live stream."""
from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

from flask import Flask, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import config as config_module
from .. import logs
from ..alerts import triggers
from ..errors import ApiError, error_body
from ..record import users
from ..store.db import Store, unavailable
from . import api, auth, live, pages, security, tablet
from .api.common import RequestJson

ROOT = Path(__file__).resolve().parents[2]
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "bad_request", 409: "conflict", 413: "too_large", 422: "validation_failed"}


def create_app(config: config_module.Config | None = None, store: Store | None = None) -> Flask:
    """Build the app; nothing is built at import time."""
    config = config or config_module.from_env()
    logs.setup()
    app = Flask("monitor", template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.json = RequestJson(app)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="monitor_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.absolute_timeout_hours),
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=config.tls,
        JSON_SORT_KEYS=False,
    )
    store = triggers.listen(store or Store(config.db_path, synchronous=config.synchronous))
    store.migrate()
    app.extensions["monitor.config"] = config
    app.extensions["monitor.store"] = store
    app.extensions.setdefault("monitor.on_logout", lambda login_id: None)
    app.extensions.setdefault("monitor.on_user_disabled", lambda user_id: None)
    app.logger.setLevel(logging.INFO)

    users.dummy_hash()  # made now, so an unknown user's first login takes as long as a known one's
    security.init_app(app, config)
    auth.csrf.init_app(app)
    app.before_request(auth.load_user)
    app.before_request(tablet.guard)  # after load_user: the self-report mode holds the nurse's login
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(tablet.blueprint)
    live.init_app(app, store)
    register_errors(app)
    app.after_request(logs.log_request)
    app.teardown_request(lambda error: store.release())  # the connection serves the next request

    @app.get("/healthz")
    def healthz():
        problem = store.writable()  # a real write: a read-only or full database is not healthy
        if problem is not None:
            return jsonify({"status": "unavailable"} | problem.to_json()), 503
        degraded = live.message_queue_health(app)  # saves still work; live events of other processes lag
        return jsonify({"status": "degraded"} | degraded if degraded else {"status": "ok"})

    security.wrap(app, config)  # last: outermost, so every response gets the headers
    return app


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api" or request.is_json


def register_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        retry = getattr(error, "retry_after", None)
        return jsonify(error.to_json()), error.status, ({"Retry-After": str(retry)} if retry else {})

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        body = error_body("forbidden", f"CSRF check failed: {error.description}",
                          {"X-CSRFToken": "missing or invalid"})
        return jsonify(body), 403

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not wants_json():
            return error
        code = HTTP_CODES.get(error.code, "bad_request")
        return jsonify(error_body(code, error.description)), error.code

    @app.errorhandler(sqlite3.OperationalError)
    def storage_error(error: sqlite3.OperationalError):
        """A read that met a full disk or an I/O error (writes say so themselves): 503, not a bug."""
        problem = unavailable(error)
        return api_error(problem) if problem else unexpected(error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.url_rule)
        return jsonify(error_body("internal", "unexpected error")), 500
