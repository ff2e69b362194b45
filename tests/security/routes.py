"""Every route the app serves, found by walking the OpenAPI document and Flask's url_map (never a list).

A route added later is covered without editing this file; an id parameter nobody has seeded
fails loudly, naming what to add.
"""
from __future__ import annotations

import re

import pytest

from monitor.web.api.openapi import openapi_path

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
OPENAPI_PARAM = re.compile(r"\{(\w+)\}")
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def seeded_ids(store, seeded: dict) -> dict:
    """A real id for every path parameter, from the sentinel session and the database."""
    def first(sql, default=1):
        row = store.db.execute(sql).fetchone()
        return row[0] if row and row[0] is not None else default

    return {
        "patient_id": seeded["patient"]["id"], "session_id": seeded["session"]["id"],
        "vitals_id": seeded["vitals"]["id"], "side_effect_id": seeded["side_effect"]["id"],
        "alert_id": first("SELECT MIN(id) FROM alerts WHERE id IS NOT NULL"),
        "user_id": first("SELECT id FROM users WHERE username = 'nurse'"),
        "handover_id": first("SELECT MIN(id) FROM handovers"),
        "filename": "css/app.css",
    }


def fill(path: str, ids: dict, pattern: re.Pattern = OPENAPI_PARAM) -> str:
    """The path with each parameter replaced by a seeded id."""
    def value(match):
        name = match.group(match.lastindex)
        if name not in ids:
            pytest.fail(f"no seeded value for path parameter <{name}> in {path}: add one to "
                        "tests/security/routes.py seeded_ids()")
        return str(ids[name])

    return pattern.sub(value, path)


def api_operations(document: dict) -> list[tuple[str, str, dict]]:
    """(METHOD, /api/path/{param}, operation) for every operation in the OpenAPI document."""
    return [(method.upper(), path, op) for path, ops in sorted(document["paths"].items())
            for method, op in sorted(ops.items())]


def page_rules(app) -> list[tuple[str, str]]:
    """(METHOD, rule) for every route that is not the API, a static file or the Socket.IO transport."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static/")) or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((method, rule.rule))
    return sorted(found)


def every_url(app, ids: dict) -> list[tuple[str, str]]:
    """(METHOD, concrete URL) for every rule in the url_map, the API included."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((method, fill(rule.rule, ids, CONVERTER)))
    return sorted(found)


def documented(app) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) for every /api rule the app serves."""
    return {(m, openapi_path(r.rule)) for r in app.url_map.iter_rules() if r.rule.startswith("/api/")
            for m in r.methods - SKIPPED_METHODS}
