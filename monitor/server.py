"""The production server: gunicorn with gevent workers, HTTP and Socket.IO on one port.

gevent, not threads: a live socket costs a greenlet (tens of KB) instead of an OS thread, so one
process holds hundreds of dashboards and an idle or hostile socket takes nothing from the others
(bench/live_latency.py and bench/live_scale.py measured both; README "Performance"). Each worker
builds its own app after the fork, once gevent has patched the standard library, so every lock,
thread-local connection and background thread in it is a gevent one. With `--workers N` the workers
share the port (the kernel hands each new connection to one of them) and the message queue wakes
them; the browser uses the websocket transport only, so no request needs to reach the same worker
as the one before it (no sticky sessions).
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication
from gunicorn.workers.ggevent import GeventWorker

from .config import Config

# Headers must arrive within this many seconds (gunicorn's keep-alive timer covers every request's
# headers under gevent), so half-sent requests cannot pile up.
HEADER_TIMEOUT_SECONDS = 5
CONNECTIONS_PER_WORKER = 2000


class Worker(GeventWorker):
    """gunicorn's gevent worker (named here so the server's choice is written once)."""


class Server(BaseApplication):
    def __init__(self, config: Config, options: dict):
        self.config, self.options = config, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Runs in each worker after the fork and after gevent's patching: build the app, start the live
        stream's publisher, queue link, sweeper and the alert scheduler there."""
        from . import logs
        from .web.app import create_app
        from .web.live import start_background

        logs.setup()
        app = create_app(self.config)
        start_background(app)
        return app


def run(config: Config) -> None:
    """Migrate once here, before the workers start, then serve."""
    from .store.db import Store

    store = Store(config.db_path, synchronous=config.synchronous)
    store.migrate()
    store.close()
    options = {
        "bind": f"{config.host}:{config.port}",
        "workers": config.workers,
        "worker_class": f"{__name__}.Worker",
        "worker_connections": CONNECTIONS_PER_WORKER,
        "keepalive": HEADER_TIMEOUT_SECONDS,
        "timeout": 60,
        "graceful_timeout": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "logger_class": "monitor.logs.GunicornLogger",
    }
    Server(config, options).run()
