"""The server-rendered pages through the Flask test client: who may see them and what they show."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import lxml.html
import pytest

from monitor.rules.alert_rules import DEFAULT_RULES
from monitor.rules.instruments import INSTRUMENTS
from monitor.views import vocabulary
from tests.helpers import PASSWORDS, csrf_token, sign_in

ROOT = Path(__file__).resolve().parents[2]


def signed_in(client, role: str) -> str:
    """Log in through the form as one of the test users; return a page's CSRF token."""
    response = sign_in(client, role)
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token(client, "/reports")


def html(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


@pytest.fixture
def session_id(api):
    return api.session()["id"]


def walk(api, session_id, *states):
    for state in states:
        response = api.transition(session_id, state, confirm=True)
        assert response.status_code == 200, response.get_json()


PATHS = ("/sessions/new", "/sessions/{id}", "/sessions/{id}/panels", "/sessions/{id}/record", "/patients/{patient}",
         "/reports", "/admin")


@pytest.mark.parametrize("path", PATHS)
def test_every_page_sends_a_visitor_who_is_not_signed_in_to_the_login_form(client, api, path):
    session = api.session()
    target = path.format(id=session["id"], patient=session["patient_id"])
    response = client.get(target)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={target}"


@pytest.mark.parametrize(("role", "path", "status"), [
    ("nurse", "/sessions/new", 200), ("clinician", "/sessions/new", 200), ("admin", "/sessions/new", 403),
    ("nurse", "/admin", 403), ("clinician", "/admin", 200), ("admin", "/admin", 200),
    ("nurse", "/reports", 200), ("admin", "/reports", 200),
    ("admin", "/sessions/{id}", 200), ("nurse", "/sessions/999", 404), ("nurse", "/sessions/999/panels", 404),
    ("nurse", "/sessions/999/record", 404), ("nurse", "/patients/999", 404),
])
def test_who_may_open_which_page(client, session_id, role, path, status):
    signed_in(client, role)
    assert client.get(path.format(id=session_id)).status_code == status


@pytest.mark.parametrize(("states", "buttons"), [
    ((), [("baseline", "Begin baseline"), ("aborted", "Abort session")]),
    (("baseline",), [("infusing", "Start infusion"), ("aborted", "Abort session")]),
    (("baseline", "infusing"),
     [("paused", "Pause infusion"), ("recovery", "End infusion"), ("aborted", "Abort session")]),
    (("baseline", "infusing", "paused"),
     [("infusing", "Resume infusion"), ("recovery", "End infusion"), ("aborted", "Abort session")]),
    (("baseline", "infusing", "recovery"), [("ready", "Ready for discharge"), ("aborted", "Abort session")]),
    (("baseline", "infusing", "recovery", "ready"),
     [("recovery", "Back to recovery"), ("discharged", "Discharge"), ("aborted", "Abort session")]),
    (("baseline", "infusing", "recovery", "ready", "discharged"), []),
])
def test_the_state_buttons_are_only_those_allowed_from_the_current_state(client, api, session_id, states, buttons):
    walk(api, session_id, *states)
    signed_in(client, "nurse")
    panel = html(client.get(f"/sessions/{session_id}/panels"))
    shown = [(b.get("data-transition"), b.text_content().strip()) for b in panel.xpath("//button[@data-transition]")]
    assert shown == buttons


def test_the_reason_is_asked_to_abort_and_offered_to_pause(client, api, session_id):
    walk(api, session_id, "baseline", "infusing")
    signed_in(client, "nurse")
    panel = html(client.get(f"/sessions/{session_id}/panels"))
    assert {b.get("data-transition"): b.get("data-reason") for b in panel.xpath("//button[@data-transition]")} == {
        "paused": "optional", "recovery": "", "aborted": "required"}


def test_the_vitals_form_takes_the_contract_fields_in_its_order_with_a_label_each(client, session_id):
    signed_in(client, "nurse")
    page = html(client.get(f"/sessions/{session_id}"))
    form = page.get_element_by_id("vitals-form")
    names = [e.get("name") for e in form.xpath(".//input|.//select")]
    assert names[:9] == ["taken_at", "hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "pain"]
    labels = {e.get("for") for e in page.xpath("//label[@for]")}
    unlabelled = [e.get("name") for e in page.xpath("//input[not(@type='hidden') and not(@type='radio') and "
                                                       "not(@type='checkbox')]|//select|//textarea")
                  if e.get("id") not in labels]
    assert unlabelled == []
    buttons = {b.text_content().strip() for b in page.xpath("//button")}
    assert {"Save vitals", "Record side effect", "Start infusion"} - buttons == {"Start infusion"}  # scheduled
    assert page.xpath("//div[@id='trends']/@data-session-id") == [str(session_id)]
    # the trends come drawn by the server (plotly figures) and follow bedside.js's one live connection
    trends = json.loads(page.xpath("//div[@id='trends']/@data-trends")[0])
    assert [(c["id"], c["series"]) for c in trends["charts"]] == [
        ("hr", ["hr"]), ("bp", ["sbp", "dbp"]), ("spo2", ["spo2"]), ("rr", ["rr"])]
    assert page.xpath("//script[contains(@src, 'js/bedside.js')]/@type") == ["module"]
    assert "import { mountTrends } from './trends.js'" in (ROOT / "static/js/bedside.js").read_text()


def test_a_signed_session_is_shown_read_only_apart_from_addenda(client, api, session_id):
    walk(api, session_id, "baseline", "infusing", "recovery")
    api.vitals(session_id, {"hr": 70})
    api.transition(session_id, "aborted", reason="patient felt unwell")
    signed = api.post(f"/api/sessions/{session_id}/sign", {"password": PASSWORDS["clinician"], "meaning": "Reviewed"},
                      role="clinician")
    assert signed.status_code == 200, signed.get_json()
    signed_in(client, "nurse")
    page = html(client.get(f"/sessions/{session_id}"))
    recording = page.xpath("//fieldset[@data-recording]")
    assert len(recording) == 3 + len(INSTRUMENTS) and all(f.get("disabled") is not None for f in recording)
    assert page.xpath("//button[@data-transition or @data-amend or @data-void]") == []
    assert page.xpath("//section[@data-when-locked]/@hidden") == []
    assert "The record is locked: add an addendum" in page.xpath("string(//p[@class='locked'])")


def test_an_admin_may_read_a_session_but_gets_no_forms_to_write_it(client, api, session_id):
    walk(api, session_id, "baseline")
    signed_in(client, "admin")
    page = html(client.get(f"/sessions/{session_id}"))
    assert all(f.get("disabled") is not None for f in page.xpath("//fieldset[@data-recording]"))
    assert page.xpath("//button[@data-transition]") == []
    assert page.xpath("//form[@id='addendum-form']") == []


def test_the_esketamine_monitoring_panel_shows_only_for_esketamine(client, api):
    ketamine = api.session()["id"]
    esketamine = api.session(drug="esketamine", route="intranasal", dose_mg=56, dose_mg_per_kg=None,
                             planned_minutes=None, lot_number="L-1")["id"]
    signed_in(client, "nurse")
    assert html(client.get(f"/sessions/{ketamine}/panels")).xpath("//section[@data-panel='rems']/@hidden") == [""]
    panel = html(client.get(f"/sessions/{esketamine}/panels")).xpath("//section[@data-panel='rems']")[0]
    assert panel.get("hidden") is None
    assert [li.text_content().split()[:2] for li in panel.xpath(".//li")] == [
        ["Pre-dose", "BP:"], ["BP", "about"], ["Pre-discharge", "BP:"]]
    assert "Lot L-1." in panel.text_content()


def test_reading_a_session_or_a_patient_page_is_audited(client, api):
    session = api.session()
    signed_in(client, "nurse")
    client.get(f"/sessions/{session['id']}")
    client.get(f"/sessions/{session['id']}/record")
    client.get(f"/patients/{session['patient_id']}")
    entries = api.get("/api/audit", role="admin").get_json()["items"]
    reads = [(e["actor"], e["entity"], e["entity_id"], e["session_id"]) for e in entries if e["action"] == "read"]
    assert reads == [("nurse", "patient", str(session["patient_id"]), None),
                     ("nurse", "session", str(session["id"]), session["id"]),
                     ("nurse", "session", str(session["id"]), session["id"])]


def test_the_bedside_page_refreshing_its_panels_writes_no_read_entry_of_its_own(client, api):
    session = api.session()
    signed_in(client, "nurse")
    client.get(f"/sessions/{session['id']}")
    for _ in range(3):
        assert client.get(f"/sessions/{session['id']}/panels").status_code == 200
    entries = api.get("/api/audit", role="admin").get_json()["items"]
    assert [(e["actor"], e["entity"]) for e in entries if e["action"] == "read"] == [("nurse", "session")]


@pytest.mark.parametrize("path", PATHS + ("/login",))
def test_no_page_carries_an_inline_script_or_event_handler(client, api, path):
    session = api.session()
    if path != "/login":
        signed_in(client, "clinician")
    body = client.get(path.format(id=session["id"], patient=session["patient_id"])).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body) == []
    assert re.findall(r"\son[a-z]+\s*=", body) == []


def test_the_new_session_page_warns_from_the_baseline_limits_in_force(client, api):
    signed_in(client, "nurse")
    form = html(client.get("/sessions/new")).get_element_by_id("new-session")
    assert (form.get("data-baseline-sbp"), form.get("data-baseline-dbp")) == ("140", "90")
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["baseline_bp"]["low"]["sbp"]["above"] = 150
    assert api.put("/api/alert-rules", {"rules": rules, "reason": "clinic protocol"}).status_code == 200
    form = html(client.get("/sessions/new")).get_element_by_id("new-session")
    assert (form.get("data-baseline-sbp"), form.get("data-baseline-dbp")) == ("150", "90")
    flags = form.xpath(".//input[@name='medication_flags']/@value")
    assert flags == ["benzodiazepines", "sedative_hypnotics", "psychostimulants", "maois", "opioids", "lamotrigine"]


def test_the_admin_page_lists_users_for_an_admin_and_only_the_thresholds_for_a_clinician(client):
    signed_in(client, "admin")
    page = html(client.get("/admin"))
    assert page.xpath("//table[@class='users']/tbody/tr/th/text()") == ["admin", "clinician", "nurse"]
    assert page.xpath("//button[@data-user]/@data-disable") == ["true", "true"]  # not yourself
    client.post("/logout", headers={"X-CSRFToken": signed_in(client, "admin")})
    signed_in(client, "clinician")
    page = html(client.get("/admin"))
    assert page.xpath("//table[@class='users']") == []
    assert page.xpath("//input[@name='hr.medium.hr.above']/@value") == ["110"]


def test_the_printed_flowsheet_has_a_column_for_every_measure_the_session_has(client, api, session_id):
    api.vitals(session_id, {"hr": 80, "sbp": 120, "dbp": 80, "spo2": 97, "pain": 3})
    signed_in(client, "nurse")
    page = html(client.get(f"/sessions/{session_id}/record"))
    heads = [th.text.strip() for th in page.xpath("//section[@class='flowsheet']//thead/tr/th")]
    assert heads == ["Time", "HR", "SBP", "DBP", "MAP", "SpO2", "Pain", "NEWS2", "Entered", "Status"]
    assert page.xpath("//section[@class='flowsheet']//tbody/tr/td[@data-field='map']/text()") == ["93"]


def test_the_instrument_forms_come_from_the_scoring_table():
    forms = {f["key"]: f for f in vocabulary.instrument_forms()}
    aldrete = forms["aldrete"]
    assert [i["name"] for i in aldrete["items"]] == ["activity", "respiration", "circulation", "consciousness", "spo2"]
    assert aldrete["items"][0]["choices"] == [(2, "2 · Moves four limbs"), (1, "1 · Moves two limbs"),
                                              (0, "0 · Moves no limbs")]
    assert (aldrete["discharge_min"], aldrete["max"]) == (9, 10)
    assert (forms["padss"]["discharge_min"], forms["moaas"]["max"], forms["cadss"]["total"]) == (9, 5, (0, 92))
    assert len(forms["cadss"]["items"]) == 23


def test_every_number_of_the_alert_rules_is_a_labelled_setting():
    groups = {g["key"]: g for g in vocabulary.threshold_settings(DEFAULT_RULES)}
    assert [(s["path"], s["label"], s["value"]) for s in groups["hr"]["settings"]] == [
        ("hr.high.hr.above", "high: HR >", 130), ("hr.high.hr.below", "high: HR <", 45),
        ("hr.medium.hr.above", "medium: HR >", 110)]
    assert [(s["path"], s["label"]) for s in groups["early_discharge"]["settings"]] == [
        ("early_discharge.minutes", "minutes")]
    assert "side_effect" not in groups and "escalation" not in groups  # no numbers to set there
    count = sum(len(g["settings"]) for g in groups.values())
    assert count == len(list(vocabulary.number_leaves(DEFAULT_RULES)))


def test_the_series_and_report_charts_are_figures_the_server_built_with_plotly(client, api):
    session = api.session()
    signed_in(client, "clinician")
    page = html(client.get(f"/patients/{session['patient_id']}"))
    dose = json.loads(page.get_element_by_id("chart-dose").get("data-figure"))
    assert [(t["type"], t["name"], t["x"], t["y"]) for t in dose["data"]] == [
        ("scatter", "mg/kg", ["Session 1"], [0.5])]
    assert dose["config"]["staticPlot"] is True
    assert dose["layout"]["yaxis"]["title"]["text"] == "mg/kg"
    report = html(client.get("/reports"))
    weeks = json.loads(report.get_element_by_id("chart-weeks").get("data-figure"))
    assert [(t["type"], len(t["x"]), sum(t["y"])) for t in weeks["data"]] == [("bar", 12, 0)]
    rise = report.get_element_by_id("chart-rise")  # no session dosed: nothing to draw
    assert (rise.get("data-figure"), rise.text_content()) == (None, "No data yet.")
