"""Baselines for the benchmarks: a bare Flask route, and a bare Flask-SocketIO app that inserts one row and emits.

BARE_ASYNC picks Flask-SocketIO's async mode (threading under gthread, gevent under gevent workers) and
BARE_QUEUE a Redis URL to share emits between processes, Flask-SocketIO's own way (bench/live_scale.py).
"""
import os
import sqlite3
import threading

from flask import Flask, jsonify, request
from flask_socketio import SocketIO

app = Flask(__name__)
socketio = SocketIO(app, async_mode=os.environ.get("BARE_ASYNC", "threading"), cors_allowed_origins=[],
                    message_queue=os.environ.get("BARE_QUEUE") or None)
_db = sqlite3.connect(os.environ.get("BARE_DB", ":memory:"), check_same_thread=False, isolation_level=None)
_db.execute("PRAGMA journal_mode=WAL")
_db.execute("PRAGMA synchronous=FULL")
_db.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT)")
_lock = threading.Lock()


@app.post("/bare")
def bare():
    """Parse the JSON and answer it: the floor for any API route."""
    return jsonify(request.get_json()), 201


@app.post("/bare-insert")
def bare_insert():
    """Insert one SQLite row and emit it to every client: the floor for a live save."""
    body = request.get_data(as_text=True)
    with _lock:
        cursor = _db.execute("INSERT INTO rows (body) VALUES (?)", (body,))
    socketio.emit("event", {"seq": cursor.lastrowid, "data": request.get_json()}, namespace="/live")
    return jsonify({"id": cursor.lastrowid}), 201


@socketio.on("connect", namespace="/live")
def connect(auth=None):
    return True
