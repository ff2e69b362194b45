"""Who may do what: 401 without credentials, roles on writes, signing locks the record."""
import pytest

from monitor.web.api.openapi import openapi_path


def api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield rule.rule, method


def test_every_api_route_but_the_document_answers_401_without_credentials(app, client):
    checked = 0
    for rule, method in api_rules(app):
        path = rule.replace("<int:", "<").replace("<session_id>", "1").replace("<vitals_id>", "1")
        path = path.replace("<side_effect_id>", "1").replace("<patient_id>", "1").replace("<alert_id>", "1")
        path = path.replace("<user_id>", "1").replace("<handover_id>", "1")
        response = client.open(path, method=method, json={})
        if rule == "/api/openapi.json":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, rule)
        assert response.get_json()["error"]["code"] == "unauthenticated"
        checked += 1
    assert checked >= 20


def test_a_bad_token_is_unauthenticated(client):
    response = client.get("/api/sessions", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


@pytest.mark.parametrize("role, status", [("nurse", 403), ("admin", 403), ("clinician", 200)])
def test_only_a_clinician_signs(api, role, status):
    sid = api.session()["id"]
    api.transition(sid, "aborted", reason="patient declined")
    response = api.post(f"/api/sessions/{sid}/sign", {"password": f"{role}-password-1", "meaning": "reviewed"},
                        role=role)
    assert response.status_code == status


def test_signing_needs_the_right_password(api):
    sid = api.session()["id"]
    api.transition(sid, "aborted", reason="patient declined")
    response = api.post(f"/api/sessions/{sid}/sign", {"password": "wrong", "meaning": "reviewed"}, role="clinician")
    assert response.status_code == 422
    assert api.get(f"/api/sessions/{sid}").get_json()["locked"] is False


def test_a_signed_session_refuses_writes_but_takes_addenda(api):
    sid = api.session()["id"]
    stored = api.vitals(sid, {"hr": 80}).get_json()
    api.transition(sid, "aborted", reason="patient declined")
    signed = api.post(f"/api/sessions/{sid}/sign", {"password": "clinician-password-1",
                                                    "meaning": "I reviewed this record"}, role="clinician")
    assert signed.status_code == 200
    assert signed.get_json()["signature"]["signed_by"] == "clinician"
    assert signed.get_json()["signature"]["meaning"] == "I reviewed this record"
    for response in (
        api.vitals(sid, {"hr": 80}),
        api.transition(sid, "aborted", reason="again"),
        api.post(f"/api/vitals/{stored['id']}/amend", {"hr": 81, "reason": "x"}),
        api.post(f"/api/vitals/{stored['id']}/void", {"reason": "x"}),
        api.post(f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "mild"}),
        api.post(f"/api/sessions/{sid}/assessments", {"instrument": "moaas", "items": {"score": 5}}),
        api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": "late note"}),
        api.post(f"/api/sessions/{sid}/sign", {"password": "clinician-password-1", "meaning": "again"},
                 role="clinician"),
    ):
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "conflict"
    addendum = api.post(f"/api/sessions/{sid}/addenda", {"text": "Patient phoned next day: well."})
    assert addendum.status_code == 201
    assert addendum.get_json()["kind"] == "addendum"


@pytest.mark.parametrize("path, body", [
    ("/api/patients", {"mrn": "X1", "family_name": "A", "given_name": "B", "birth_date": "1990-01-01"}),
])
def test_admin_may_add_patients_but_not_record_vitals(api, path, body):
    assert api.post(path, body, role="admin").status_code == 201
    sid = api.session()["id"]
    assert api.vitals(sid, {"hr": 80}, role="admin").status_code == 403


def test_everyone_reads(api):
    sid = api.session()["id"]
    for role in ("nurse", "clinician", "admin"):
        assert api.get(f"/api/sessions/{sid}", role=role).status_code == 200


def test_audit_is_for_clinicians_and_admins(api):
    assert api.get("/api/audit", role="nurse").status_code == 403
    assert api.get("/api/audit", role="clinician").status_code == 200


def test_a_cookie_session_needs_a_csrf_token_for_writes(app, client, tokens):
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"username": "nurse", "password": "nurse-password-1", "csrf_token": token})
    assert response.status_code == 302
    dashboard = client.get("/").get_data(as_text=True)
    token = dashboard.split('name="csrf-token" content="')[1].split('"')[0]
    body = {"mrn": "C1", "family_name": "A", "given_name": "B", "birth_date": "1990-01-01"}
    refused = client.post("/api/patients", json=body)
    assert refused.status_code == 403
    assert client.get("/api/sessions").status_code == 200
    accepted = client.post("/api/patients", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_login_without_csrf_token_is_refused(client, tokens):
    response = client.post("/login", data={"username": "nurse", "password": "nurse-password-1"})
    assert response.status_code == 403


def test_openapi_document_covers_every_api_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    served = {(openapi_path(rule), method.lower()) for rule, method in api_rules(app)}
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert served == documented
