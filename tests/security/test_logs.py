"""Logs are structured JSON and never hold patient names, MRNs, tokens or passwords: the real server's
output is captured while every endpoint is exercised with sentinel values, then searched."""
from __future__ import annotations

import io
import json
import logging
import re
import shutil

import pytest
import requests

from monitor import logs

from .routes import CONVERTER, OPENAPI_PARAM, api_operations, fill

PATIENT = {"family_name": "Quillfeather", "given_name": "Ottoline", "mrn": "SNTL-40417"}
SECRET_PASSWORD = "Pw-Sentinel-7781-zz"
SECRET_TOKEN = "tok_Sentinel_4d9a1c"
SENTINELS = [*PATIENT.values(), SECRET_PASSWORD, SECRET_TOKEN]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def sentinel_body() -> dict:
    """A body with a sentinel in every field an endpoint might echo or log."""
    return PATIENT | {"text": PATIENT["family_name"], "note": PATIENT["mrn"], "reason": PATIENT["given_name"],
                      "comment": PATIENT["family_name"], "meaning": PATIENT["mrn"], "kind": PATIENT["given_name"],
                      "password": SECRET_PASSWORD, "username": PATIENT["family_name"], "token": SECRET_TOKEN}


class Browser(requests.Session):
    """A signed-in browser session against the live server."""

    def __init__(self, server, username: str, password: str):
        super().__init__()
        self.url = server.url
        page = self.get(self.url + "/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.post(self.url + "/login", data={"username": username, "password": password, "csrf_token": token})
        meta = re.search(r'name="csrf-token" content="([^"]+)"', self.get(self.url + "/").text)
        self.headers["X-CSRFToken"] = meta.group(1) if meta else ""


def exercise_the_record(server, bearer) -> dict:
    """The clinical happy path with sentinel patient data, through the real API."""
    url = server.url
    patient = requests.post(url + "/api/patients", headers=bearer("nurse"), json=PATIENT | {
        "birth_date": "1970-01-01"}).json()
    session = requests.post(url + "/api/sessions", headers=bearer("nurse"), json={
        "patient_id": patient["id"], "chair": "2", "drug": "ketamine", "route": "iv"}).json()
    sid = session["id"]
    vitals = requests.post(f"{url}/api/sessions/{sid}/vitals", headers=bearer("nurse"),
                           json={"hr": 80, "note": f"{PATIENT['family_name']} settled"}).json()
    requests.post(f"{url}/api/vitals/{vitals['id']}/amend", headers=bearer("nurse"),
                  json={"hr": 81, "reason": f"typo for {PATIENT['given_name']}"})
    effect = requests.post(f"{url}/api/sessions/{sid}/side-effects", headers=bearer("nurse"),
                           json={"kind": "nausea", "severity": "mild", "note": PATIENT["mrn"]}).json()
    requests.post(f"{url}/api/sessions/{sid}/notes", headers=bearer("nurse"),
                  json={"kind": "note", "text": f"{PATIENT['family_name']} {PATIENT['mrn']}"})
    requests.post(f"{url}/api/sessions/{sid}/sign", headers=bearer("clinician"),
                  json={"password": SECRET_PASSWORD, "meaning": "reviewed"})
    requests.post(url + "/api/users", headers=bearer("admin"),
                  json={"username": "sentinel-nurse", "role": "nurse", "password": SECRET_PASSWORD})
    return {"patient_id": patient["id"], "session_id": sid, "vitals_id": vitals["id"],
            "side_effect_id": effect["id"], "alert_id": 1, "user_id": 1, "handover_id": 1,
            "filename": "css/app.css"}


def exercise_everything(server) -> int:
    """Every API operation (as each role, by token and by cookie, with sentinel bodies and queries),
    every page, and sign-ins with sentinel passwords and tokens; returns the number of requests."""
    def bearer(role):
        return {"Authorization": f"Bearer {server.tokens[role]}"}

    ids = exercise_the_record(server, bearer)
    document = requests.get(server.url + "/api/openapi.json").json()
    query = f"?q={PATIENT['family_name']}&mrn={PATIENT['mrn']}&token={SECRET_TOKEN}&password={SECRET_PASSWORD}"
    sent = 0
    callers = [requests.Session() for _ in range(4)]
    for caller, role in zip(callers, ("nurse", "clinician", "admin")):
        caller.headers.update(bearer(role))
    callers[3].headers["Authorization"] = f"Bearer {SECRET_TOKEN}"
    callers.append(Browser(server, "nurse", "nurse-password-1"))
    callers.append(Browser(server, "sentinel-nurse", SECRET_PASSWORD))
    for caller in callers:
        for method, path, _ in api_operations(document):
            url = server.url + fill(path, ids, OPENAPI_PARAM) + query
            caller.request(method, url, json=sentinel_body() if method in UNSAFE else None)
            sent += 1
        for rule in ("/", "/login", "/sessions/<int:session_id>", "/patients/<int:patient_id>", "/reports"):
            caller.get(server.url + fill(rule, ids, CONVERTER) + query)
            sent += 1
    for username, password in ((PATIENT["family_name"], SECRET_PASSWORD), ("nurse", SECRET_PASSWORD),
                               (SECRET_PASSWORD, SECRET_TOKEN)):
        for _ in range(6):  # past the lockout too
            Browser(server, username, password)
            sent += 1
    return sent


@pytest.fixture(scope="module")
def server_output(tmp_path_factory, template_db):
    from tests.helpers import LiveServer

    directory = tmp_path_factory.mktemp("logs")
    shutil.copyfile(template_db[0], directory / "sessions.db")
    server = LiveServer(directory)
    server.tokens = dict(template_db[1])
    server.start()
    try:
        sent = exercise_everything(server)
    finally:
        server.stop()
    return server, server.log.read_text(), sent


def test_every_log_line_is_a_json_object(server_output):
    _, output, sent = server_output
    lines = [line for line in output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    requests_logged = [e for e in entries if e.get("event") == "request"]
    assert len(requests_logged) >= sent
    assert {"login.refused", "login.locked_out"} <= {e.get("event") for e in entries}


def test_no_patient_data_token_or_password_is_in_the_logs(server_output):
    server, output, sent = server_output
    assert sent > 200
    for value in [*SENTINELS, *server.tokens.values(), "nurse-password-1", "clinician-password-1"]:
        assert value not in output, value


def test_request_lines_name_the_route_pattern_not_the_path_or_query(server_output):
    _, output, _ = server_output
    routes = {json.loads(line).get("route") for line in output.splitlines() if '"event": "request"' in line}
    assert "/api/sessions/<int:session_id>/vitals" in routes
    assert not any("?" in route for route in routes if route)


def capture(message: str, *args, exc: BaseException | None = None) -> dict:
    stream = io.StringIO()
    logger = logging.getLogger("test.scrub")
    logger.propagate = False
    logger.handlers = [logs.json_handler(stream)]
    try:
        if exc is None:
            logger.warning(message, *args)
        else:
            try:
                raise exc
            except type(exc):
                logger.exception(message, *args)
    finally:
        logger.handlers = []
    return json.loads(stream.getvalue())


@pytest.mark.parametrize("message, args, expected", [
    ("Authorization: Bearer %s", ("abc.DEF-123",), "Authorization: [redacted] [redacted]"),
    ("sent password=%s and token=%s", ("hunter2", "xyz"), "sent password=[redacted] and token=[redacted]"),
    ("body %s", ({"mrn": "SNTL-1", "family_name": "Quill", "hr": 80},),
     "body {'mrn': [redacted], 'family_name': [redacted], 'hr': 80}"),
    ("cookie monitor_session=%s", ("eyJsb2dpbiI6Ij.abc",), "cookie monitor_session=[redacted]"),
])
def test_the_scrub_filter_blanks_secrets_that_slip_into_a_message(message, args, expected):
    assert capture(message, *args)["message"] == expected


def test_an_exception_is_logged_with_where_it_happened_but_not_its_message():
    entry = capture("unexpected error", exc=KeyError("Quillfeather SNTL-40417"))
    assert entry["level"] == "error"
    assert "KeyError: [message withheld]" in entry["exception"]
    assert 'File "' in entry["exception"]
    assert "Quillfeather" not in json.dumps(entry)
