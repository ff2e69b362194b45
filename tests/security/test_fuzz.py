"""Fuzzing the API from its own OpenAPI document (schemathesis): no 5xx, and every answer matches the
document (status, content type, body schema), for valid and invalid requests alike.

Bounded for CI: a few examples per operation and mode, no example database, no deadline per case.
The hostile bodies of issue 10 point 7 (deep nesting, a lone surrogate in a text, an id of 2^63) are
sent to every JSON operation, each made from a body the operation would take.
"""
from __future__ import annotations

import json
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from monitor.record import users
from monitor.store.db import SYSTEM
from monitor.web.app import create_app
from tests.helpers import ZONE, counts, open_store

EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
CASES = {"run": 0, "by_status": {}}


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory, template_db):
    """A database of its own with a seeded session, so some generated ids land on real records."""
    path = tmp_path_factory.mktemp("fuzz") / "sessions.db"
    shutil.copyfile(template_db[0], path)
    store = open_store(path)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_store):
    from monitor.config import Config

    app = create_app(Config(db_path=fuzz_store.path, secret_key="fuzz-secret-" + "f9z" * 12, timezone=ZONE),
                     store=fuzz_store)
    client = app.test_client()
    token = {"Authorization": f"Bearer {fresh_token(fuzz_store, 'nurse')}"}
    patient = client.post("/api/patients", headers=token, json={
        "mrn": "FUZZ-1", "family_name": "Fuzz", "given_name": "Case", "birth_date": "1980-02-02"}).get_json()
    session = client.post("/api/sessions", headers=token, json={
        "patient_id": patient["id"], "chair": "1", "drug": "ketamine", "route": "iv"}).get_json()
    vitals = client.post(f"/api/sessions/{session['id']}/vitals", headers=token, json={"hr": 80, "spo2": 97})
    effect = client.post(f"/api/sessions/{session['id']}/side-effects", headers=token,
                         json={"kind": "nausea", "severity": "mild"})
    alert = fuzz_store.db.execute("SELECT MIN(id) FROM alerts").fetchone()[0]
    app.extensions["fuzz.ids"] = {
        "patient_id": patient["id"], "session_id": session["id"], "vitals_id": vitals.get_json()["id"],
        "side_effect_id": effect.get_json()["id"], "alert_id": alert or 1,
        "user_id": users.by_name(fuzz_store.db, "nurse")["id"], "handover_id": 1}
    return app


def fresh_token(store, role: str) -> str:
    """A token for the role's user, enabled again first: a generated request may have disabled it."""
    user = users.by_name(store.db, role)
    with store.write(SYSTEM) as tx:
        if user["disabled"]:
            users.set_disabled(tx, user["id"], False)
        return users.create_token(tx, user["id"])


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)


def fuzz(operation, mode: GenerationMode, store, ids: dict | None = None) -> list[str]:
    """Run the bounded examples of one operation in one mode (with `ids`: on the seeded records);
    the failures, described."""
    failures = []
    names = [p.name for p in operation.path_parameters] if ids else []
    fixed = {name: ids[name] for name in names if name in ids}

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        role = "admin" if case.path.startswith("/api/users") else "clinician"
        token = fresh_token(store, role)
        try:
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
        except (Exception, FailureGroup) as failure:  # one error naming every failed check
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {failure}"[:3000])
            return
        CASES["run"] += 1
        CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1

    run()
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_its_document_says(api_schema, fuzz_store, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    failures = [f for operation in operations for f in fuzz(operation, mode, fuzz_store)]
    assert not failures, "\n\n".join(failures)
    assert len(operations) >= 20


def test_every_operation_on_the_seeded_records_answers_as_its_document_says(api_schema, fuzz_store, fuzz_app):
    """The same with real ids in the path, so requests reach the domain rather than a 404."""
    ids = fuzz_app.extensions["fuzz.ids"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    seeded = [op for op in operations if list(op.path_parameters)]
    failures = [f for operation in seeded for f in fuzz(operation, GenerationMode.POSITIVE, fuzz_store, ids)]
    assert not failures, "\n\n".join(failures)


def test_the_fuzzing_ran_cases_and_never_a_server_error(api_schema):
    """Runs after the fuzz tests of this module: they must have generated cases, not skipped them all."""
    operations = sum(1 for _ in api_schema.get_all_operations())
    print(f"schemathesis: {CASES['run']} cases over {operations} operations, by status {CASES['by_status']}")
    assert CASES["run"] >= operations * 2 * 5
    assert not any(status >= 500 for status in CASES["by_status"])


HOSTILE_EXAMPLES_PER_OPERATION = 4
DEEP = 100_000  # levels: past what Python's json (and jsonschema) can recurse through


def leaves_replaced(body, kind: type, replace):
    """`body` with every leaf of `kind` (never a bool) replaced; None when it has none."""
    found = False

    def walk(value):
        nonlocal found
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, kind) and not isinstance(value, bool):
            found = True
            return replace(value)
        return value

    changed = walk(body)
    return changed if found else None


def hostile_variants(body) -> dict:
    """The hostile bodies made from one generated `body`, by name (JSON text, as a client sends it)."""
    variants = {"lone surrogate": leaves_replaced(body, str, lambda text: text + "\ud800"),
                "id of 2^63": leaves_replaced(body, int, lambda number: 2**63)}
    return {name: json.dumps(value) for name, value in variants.items() if value is not None}


def json_operations(api_schema) -> list:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    return [op for op in operations if "application/json" in (op.definition.raw.get("requestBody") or {})
            .get("content", {})]


def send_hostile(client, store, operation, path: str, body_text: str) -> str | None:
    """Send one hostile body; what went wrong, or None when it was a clean 400 that changed nothing."""
    role = (operation.definition.raw.get("x-roles") or ["clinician"])[0]
    headers = {"Authorization": f"Bearer {fresh_token(store, role)}", "Content-Type": "application/json"}
    before = counts(store.path)
    response = client.open(path, method=operation.method.upper(), data=body_text, headers=headers)
    problem = None
    if response.status_code != 400 or (response.get_json() or {}).get("error", {}).get("code") != "bad_request":
        problem = f"answered {response.status_code} {response.get_data(as_text=True)[:200]}"
    elif counts(store.path) != before:
        problem = "changed the database"
    return problem and f"{operation.method.upper()} {path}: {problem}"


def test_every_json_operation_refuses_hostile_bodies_cleanly_and_changes_nothing(api_schema, fuzz_store, fuzz_app):
    """Issue 10 point 7: deep nesting, a lone surrogate in any text and an id of 2^63 are a 400 JSON error
    on every JSON operation, and the database (row counts, last event seq) is unchanged."""
    ids = fuzz_app.extensions["fuzz.ids"]
    client = fuzz_app.test_client()
    operations = json_operations(api_schema)
    failures, sent = [], {"deep": 0, "lone surrogate": 0, "id of 2^63": 0}
    for operation in operations:
        fixed = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids} or None
        path = operation.path.format(**(fixed or {}))
        for deep in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP):
            failures.append(send_hostile(client, fuzz_store, operation, path, deep))
            sent["deep"] += 1

        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=fixed))
        @settings(max_examples=HOSTILE_EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            for name, text in hostile_variants(case.body).items():
                failures.append(send_hostile(client, fuzz_store, case.operation, case.formatted_path, text))
                sent[name] += 1

        run()
    failures = [f for f in failures if f]
    assert not failures, "\n".join(failures[:20])
    assert len(operations) >= 15
    assert sent["deep"] == 2 * len(operations) and sent["lone surrogate"] >= len(operations), sent
    assert sent["id of 2^63"] >= 10, sent  # the operations with a whole number in their body
