"""The production server: gunicorn with one process and many threads (Flask-SocketIO's threading mode).

One process keeps Socket.IO sessions in memory without sticky routing; several
processes share events through MONITOR_MESSAGE_QUEUE.
"""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from .config import Config


class Server(BaseApplication):
    def __init__(self, app, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Runs in the worker after the fork: start the live publisher and the alert scheduler there."""
        from .web.live import start_background

        start_background(self.application)
        return self.application


def run(config: Config, threads: int = 64) -> None:
    from . import logs
    from .web.app import create_app

    logs.setup()
    app = create_app(config)
    options = {
        "bind": f"{config.host}:{config.port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 0,
        "graceful_timeout": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "logger_class": "monitor.logs.GunicornLogger",
    }
    Server(app, options).run()
