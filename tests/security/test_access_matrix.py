"""Who may call what: every API operation in the OpenAPI document and every page, as anonymous,
nurse, clinician and admin, by token and by login cookie, against the allow table below.

A route without an entry in the table fails the test, naming the route: decide who may use it
and add it here. An entry for a route that no longer exists fails too.
"""
from __future__ import annotations

import pytest

from tests.helpers import counts, csrf_token, sign_in

from .conftest import SENTINELS
from .routes import CONVERTER, api_operations, documented, every_url, fill, page_rules, seeded_ids

ROLES = ("nurse", "clinician", "admin")
EVERYONE = frozenset(ROLES)
RECORDERS = frozenset({"nurse", "clinician"})
REVIEWERS = frozenset({"clinician", "admin"})
CLINICIAN = frozenset({"clinician"})
ADMIN = frozenset({"admin"})
PUBLIC = "public"  # answers without credentials and shows no patient data
FORM = "form"  # the login form and logout: their behaviour is proven in test_login.py

# (METHOD, path as in the OpenAPI document / url_map) -> who may use it.
API = {
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/me"): EVERYONE,
    ("POST", "/api/patients"): EVERYONE,
    ("GET", "/api/patients"): EVERYONE,
    ("GET", "/api/patients/{patient_id}"): EVERYONE,
    ("POST", "/api/sessions"): RECORDERS,
    ("GET", "/api/sessions"): EVERYONE,
    ("GET", "/api/sessions/{session_id}"): EVERYONE,
    ("POST", "/api/sessions/{session_id}/transitions"): RECORDERS,
    ("POST", "/api/sessions/{session_id}/vitals"): RECORDERS,
    ("GET", "/api/vitals/{vitals_id}"): EVERYONE,
    ("POST", "/api/vitals/{vitals_id}/amend"): RECORDERS,
    ("POST", "/api/vitals/{vitals_id}/void"): RECORDERS,
    ("POST", "/api/sessions/{session_id}/side-effects"): RECORDERS,
    ("POST", "/api/side-effects/{side_effect_id}/resolve"): RECORDERS,
    ("POST", "/api/sessions/{session_id}/assessments"): RECORDERS,
    ("POST", "/api/sessions/{session_id}/notes"): RECORDERS,
    ("POST", "/api/sessions/{session_id}/sign"): CLINICIAN,
    ("POST", "/api/sessions/{session_id}/addenda"): RECORDERS,
    ("GET", "/api/events"): EVERYONE,
    ("GET", "/api/audit"): REVIEWERS,
    ("GET", "/api/reports/alarms"): REVIEWERS,
    ("GET", "/api/me/chairs"): EVERYONE,
    ("PUT", "/api/me/chairs"): RECORDERS,
    ("GET", "/api/handovers"): EVERYONE,
    ("POST", "/api/handovers"): RECORDERS,
    ("POST", "/api/handovers/{handover_id}/accept"): RECORDERS,
    ("GET", "/api/users"): ADMIN,
    ("POST", "/api/users"): ADMIN,
    ("POST", "/api/users/{user_id}"): ADMIN,
    ("GET", "/api/alerts"): EVERYONE,
    ("POST", "/api/alerts/{alert_id}/acknowledge"): RECORDERS,
    ("POST", "/api/alerts/{alert_id}/silence"): RECORDERS,
    ("GET", "/api/alert-rules"): EVERYONE,
    ("PUT", "/api/alert-rules"): REVIEWERS,
    ("POST", "/api/sessions/{session_id}/imports"): RECORDERS,
    ("GET", "/api/imports/progress"): RECORDERS,
    ("GET", "/api/sessions/{session_id}/export"): EVERYONE,
    ("GET", "/api/sessions/{session_id}/rems"): EVERYONE,
    ("POST", "/api/sessions/{session_id}/rems/submitted"): EVERYONE,
    ("POST", "/api/sessions/{session_id}/rems/answers"): RECORDERS,
    ("GET", "/api/rems"): EVERYONE,
    ("GET", "/api/patients/{patient_id}/export"): EVERYONE,
    ("GET", "/api/reports/outcomes"): EVERYONE,
    ("GET", "/api/worklist"): EVERYONE,
}
PAGES = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): FORM,
    ("POST", "/logout"): FORM,
    ("GET", "/"): EVERYONE,
    ("GET", "/sessions/new"): RECORDERS,
    ("GET", "/sessions/<int:session_id>"): EVERYONE,
    ("GET", "/sessions/<int:session_id>/panels"): EVERYONE,
    ("GET", "/sessions/<int:session_id>/trends"): EVERYONE,
    ("GET", "/sessions/<int:session_id>/record"): EVERYONE,
    ("GET", "/patients/<int:patient_id>"): EVERYONE,
    ("GET", "/reports"): EVERYONE,
    ("GET", "/handover"): RECORDERS,
    ("GET", "/handover/blocks"): RECORDERS,
    ("GET", "/admin"): REVIEWERS,
    ("GET", "/sessions/<int:session_id>/import"): RECORDERS,
    ("GET", "/sessions/<int:session_id>/rems"): EVERYONE,
    ("GET", "/rems"): EVERYONE,
    ("GET", "/sessions/<int:session_id>/self-report"): RECORDERS,
    ("POST", "/self-report/leave"): FORM,  # the tablet mode's end: proven in web/test_tablet_guard.py
    ("GET", "/sessions"): EVERYONE,
    ("GET", "/worklist"): EVERYONE,
    ("GET", "/worklist/panel"): EVERYONE,
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def seeded(store, sentinel_session):
    return seeded_ids(store, sentinel_session)


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


class Caller:
    """One way of calling: anonymous, a role's bearer token, or a role's login cookie (with CSRF)."""

    def __init__(self, app, tokens, role: str | None, via: str):
        self.role, self.via = role, via
        self.client = app.test_client()
        self.headers = {}
        if role and via == "token":
            self.headers["Authorization"] = f"Bearer {tokens[role]}"
        elif role and via == "cookie":
            assert sign_in(self.client, role).status_code == 302
            self.headers["X-CSRFToken"] = csrf_token(self.client, "/")

    def call(self, method: str, url: str):
        body = {} if method in UNSAFE else None
        return self.client.open(url, method=method, json=body, headers=self.headers)


def callers(app, tokens):
    yield Caller(app, tokens, None, "anonymous")
    for via in ("token", "cookie"):
        for role in ROLES:
            yield Caller(app, tokens, role, via)


def expected_outcome(allowed, role: str | None) -> str:
    if allowed == PUBLIC:
        return "answered"
    if role is None:
        return "unauthenticated"
    return "answered" if role in allowed else "forbidden"


def api_outcome(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)
    return {401: "unauthenticated", 403: "forbidden"}.get(response.status_code, "answered")


def page_outcome(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 302 and response.headers["Location"].startswith("/login"):
        return "unauthenticated"
    return {401: "unauthenticated", 403: "forbidden"}.get(response.status_code, "answered")


def test_the_allow_table_names_every_api_operation_and_only_those(app, document):
    served = {(method, path) for method, path, _ in api_operations(document)}
    assert documented(app) == served, "every /api route must be in the OpenAPI document"
    missing = sorted(served - API.keys())
    assert not missing, f"API operations with no entry in the allow table (add who may call them): {missing}"
    stale = sorted(API.keys() - served)
    assert not stale, f"allow table entries for operations that no longer exist: {stale}"


def test_the_document_states_the_same_roles_as_the_allow_table(document):
    for method, path, op in api_operations(document):
        allowed = API[(method, path)]
        assert set(op["x-roles"]) == (set() if allowed == PUBLIC else set(allowed)), (method, path)


def test_every_api_operation_answers_each_role_as_the_table_says(app, tokens, document, seeded):
    checked = 0
    for caller in callers(app, tokens):
        for method, path, _ in api_operations(document):
            response = caller.call(method, fill(path, seeded))
            got = api_outcome(response)
            want = expected_outcome(API[(method, path)], caller.role)
            assert got == want, (caller.via, caller.role, method, path, response.status_code,
                                 response.get_data(as_text=True)[:300])
            checked += 1
    assert checked == len(API) * 7


def test_the_allow_table_names_every_page_and_only_those(app):
    served = set(page_rules(app)) - {("GET", r) for r in ("/socket.io/",)}
    missing = sorted(served - PAGES.keys())
    assert not missing, f"pages with no entry in the allow table (add who may see them): {missing}"
    stale = sorted(PAGES.keys() - served)
    assert not stale, f"allow table entries for pages that no longer exist: {stale}"


def test_every_page_answers_each_role_as_the_table_says(app, tokens, seeded):
    for caller in callers(app, tokens):
        if caller.via == "token":
            continue  # pages are for people: the login cookie
        for method, rule in page_rules(app):
            allowed = PAGES[(method, rule)]
            if allowed == FORM:
                continue
            response = caller.call(method, fill(rule, seeded, CONVERTER))
            assert page_outcome(response) == expected_outcome(allowed, caller.role), (
                caller.role, method, rule, response.status_code)


def test_an_anonymous_page_request_is_sent_to_login_and_back(app, seeded):
    for (method, rule), allowed in PAGES.items():
        if allowed in (PUBLIC, FORM) or method != "GET":
            continue
        url = fill(rule, seeded, CONVERTER)
        response = app.test_client().get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/login?next={url}"


def test_every_cookie_write_without_a_csrf_token_is_refused_and_changes_nothing(app, tokens, document, seeded,
                                                                               db_path):
    writes = [(m, fill(p, seeded)) for m, p, _ in api_operations(document) if m in UNSAFE]
    writes += [(m, fill(r, seeded, CONVERTER)) for m, r in page_rules(app) if m in UNSAFE]
    callers = [Caller(app, tokens, role, "cookie") for role in ROLES]
    before = counts(db_path)
    for caller in callers:
        caller.headers.pop("X-CSRFToken")
        for method, url in writes:
            response = caller.call(method, url)
            assert response.status_code == 403, (caller.role, method, url)
            assert "CSRF" in response.get_json()["error"]["message"]
    assert counts(db_path) == before
    assert len(writes) >= 15


def anonymous_bodies(app, document, seeded):
    """Every answer an anonymous caller can get from the API and the pages, with and without queries."""
    client = app.test_client()
    for method, url in every_url(app, seeded):
        for query in ("", f"?q={SENTINELS['family_name'][:5]}&session_id={seeded['session_id']}&state=all&since=0"):
            body = {"q": SENTINELS["mrn"][:4]} if method in UNSAFE else None
            response = client.open(url + query, method=method, json=body)
            yield method, url + query, response


def test_no_anonymous_answer_contains_patient_data(app, document, seeded):
    checked = 0
    for method, url, response in anonymous_bodies(app, document, seeded):
        text = response.get_data(as_text=True) + str(response.headers)
        for value in SENTINELS.values():
            assert value not in text, (method, url, value)
        checked += 1
    assert checked >= 2 * (len(API) + len(PAGES))
