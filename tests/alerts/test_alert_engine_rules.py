"""Every default rule of CLINICAL.md §4 at its edges, as the engine raises it from a real save."""
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts import scheduler

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NORMAL = {"hr": 72, "sbp": 120, "dbp": 80, "spo2": 98, "rr": 14, "temp_c": 36.8, "consciousness": "A", "moaas": 5}


def open_alerts(api, session_id) -> dict:
    alerts = api.get(f"/api/alerts?session_id={session_id}").get_json()["items"]
    return {a["key"]: (a["priority"], a["message"]) for a in alerts}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def before_infusion(api, clock):
    """A session in baseline with no vitals yet: each case's reading is the only one."""
    clock.set(START)
    session_id = api.session()["id"]
    assert api.transition(session_id, "baseline").status_code == 200
    return session_id


@pytest.fixture
def infusing(api, clock):
    """A session infusing since START after a normal baseline (120/80)."""
    clock.set(START - timedelta(minutes=5))
    session_id = api.session(planned_minutes=40)["id"]
    api.transition(session_id, "baseline")
    assert api.vitals(session_id, NORMAL).status_code == 201
    clock.set(START)
    assert api.transition(session_id, "infusing").status_code == 200
    return session_id


SINGLE_3 = ("medium", "NEWS2 3 with a single parameter scoring 3")


@pytest.mark.parametrize(("reading", "expected"), [
    ({"sbp": 179}, {}),
    ({"sbp": 180}, {"bp_high": ("high", "SBP 180 ≥ 180")}),
    ({"dbp": 109}, {}),
    ({"dbp": 110}, {"bp_high": ("high", "DBP 110 ≥ 110")}),
    ({"sbp": 91}, {}),
    ({"sbp": 90}, {"sbp_low": ("high", "SBP 90 ≤ 90"), "news2": SINGLE_3}),
    ({"hr": 44}, {"hr": ("high", "HR 44 < 45")}),
    ({"hr": 45}, {}),
    ({"hr": 110}, {}),
    ({"hr": 111}, {"hr": ("medium", "HR 111 > 110")}),
    ({"hr": 130}, {"hr": ("medium", "HR 130 > 110")}),
    ({"hr": 131}, {"hr": ("high", "HR 131 > 130"), "news2": SINGLE_3}),
    ({"spo2": 91}, {"spo2": ("high", "SpO2 91 ≤ 91"), "news2": SINGLE_3}),
    ({"spo2": 92}, {"spo2": ("medium", "SpO2 92 ≤ 93")}),
    ({"spo2": 93}, {"spo2": ("medium", "SpO2 93 ≤ 93")}),
    ({"spo2": 94}, {}),
    ({"rr": 8}, {"rr": ("high", "RR 8 ≤ 8"), "news2": SINGLE_3}),
    ({"rr": 9}, {}),
    ({"rr": 20}, {}),
    ({"rr": 21}, {"rr": ("medium", "RR 21 > 20")}),
    ({"rr": 24}, {"rr": ("medium", "RR 24 > 20")}),
    ({"rr": 25}, {"rr": ("high", "RR 25 ≥ 25"), "news2": SINGLE_3}),
    ({"temp_c": 35.0}, {"temp": ("medium", "Temp 35.0 ≤ 35.0"), "news2": SINGLE_3}),
    ({"temp_c": 35.1}, {}),
    ({"temp_c": 39.0}, {}),
    ({"temp_c": 39.1}, {"temp": ("medium", "Temp 39.1 ≥ 39.1")}),
    ({"moaas": 2}, {"sedation": ("high", "MOAA/S 2 ≤ 2")}),
    ({"moaas": 3}, {"sedation": ("medium", "MOAA/S 3 ≤ 3")}),
    ({"moaas": 4}, {}),
    ({"consciousness": "A"}, {}),
    ({"consciousness": "V"}, {"sedation": ("high", "ACVPU V ≠ A"), "news2": SINGLE_3}),
    ({"hr": 111, "rr": 21, "sbp": 101}, {"hr": ("medium", "HR 111 > 110"), "rr": ("medium", "RR 21 > 20"),
                                         "news2": ("medium", "NEWS2 5 ≥ 5")}),
    ({"hr": 111, "rr": 21, "sbp": 101, "spo2": 95}, {"hr": ("medium", "HR 111 > 110"),
                                                     "rr": ("medium", "RR 21 > 20"),
                                                     "news2": ("medium", "NEWS2 6 ≥ 5")}),
    ({"hr": 111, "rr": 21, "sbp": 101, "spo2": 93}, {"hr": ("medium", "HR 111 > 110"),
                                                     "rr": ("medium", "RR 21 > 20"),
                                                     "spo2": ("medium", "SpO2 93 ≤ 93"),
                                                     "news2": ("high", "NEWS2 7 ≥ 7")}),
])
def test_a_saved_reading_raises_exactly_the_alerts_of_its_rules(api, before_infusion, reading, expected):
    assert api.vitals(before_infusion, reading).status_code == 201
    assert open_alerts(api, before_infusion) == expected


@pytest.mark.parametrize(("reading", "expected"), [
    ({"sbp": 159, "dbp": 104}, {}),
    ({"sbp": 160, "dbp": 80}, {"bp_rise": ("medium", "SBP rise 40 ≥ 40")}),
    ({"sbp": 120, "dbp": 105}, {"bp_rise": ("medium", "DBP rise 25 ≥ 25")}),
])
def test_the_bp_rise_is_measured_from_the_last_vitals_before_the_infusion(api, clock, infusing, reading,
                                                                        expected):
    clock.advance(minutes=10)
    assert api.vitals(infusing, reading).status_code == 201
    assert open_alerts(api, infusing) == expected


def test_the_rise_alert_keeps_the_baseline_it_was_measured_from(api, clock, infusing):
    clock.advance(minutes=10)
    api.vitals(infusing, {"sbp": 165, "dbp": 85})
    [alert] = api.get(f"/api/alerts?session_id={infusing}").get_json()["items"]
    assert (alert["value"], alert["limits"]) == (45, {"sbp_rise": {"at_least": 40}, "dbp_rise": {"at_least": 25},
                                                      "baseline": {"sbp": 120, "dbp": 80}})
    assert alert["rules_version"] == 0


@pytest.mark.parametrize(("severity", "serious", "expected"), [
    ("mild", False, {}),
    ("moderate", False, {"side_effect": ("low", "Moderate nausea")}),
    ("severe", False, {"side_effect": ("high", "Severe nausea")}),
    ("mild", True, {"side_effect": ("high", "Mild nausea, serious adverse event")}),
])
def test_side_effects_raise_by_severity_and_seriousness(api, infusing, severity, serious, expected):
    response = api.post(f"/api/sessions/{infusing}/side-effects",
                        {"kind": "nausea", "severity": severity, "serious": serious})
    assert response.status_code == 201
    assert open_alerts(api, infusing) == expected


def test_the_worst_unresolved_side_effect_decides_and_resolving_it_clears(api, infusing):
    moderate = api.post(f"/api/sessions/{infusing}/side-effects", {"kind": "nausea", "severity": "moderate"})
    api.post(f"/api/sessions/{infusing}/side-effects", {"kind": "headache", "severity": "mild"})
    assert open_alerts(api, infusing) == {"side_effect": ("low", "Moderate nausea")}
    assert api.post(f"/api/side-effects/{moderate.get_json()['id']}/resolve", {}).status_code == 200
    assert open_alerts(api, infusing) == {}


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("escalation", "BP 190/115, calling Dr Smith",
     {"escalation": ("high", "Escalation: BP 190/115, calling Dr Smith")}),
    ("note", "patient comfortable", {}),
    ("rate_change", "rate halved", {}),
])
def test_an_escalation_note_raises_a_high_alert(api, infusing, kind, text, expected):
    assert api.post(f"/api/sessions/{infusing}/notes", {"kind": kind, "text": text}).status_code == 201
    assert open_alerts(api, infusing) == expected


def test_a_moaas_assessment_counts_as_a_sedation_reading(api, infusing):
    response = api.post(f"/api/sessions/{infusing}/assessments", {"instrument": "moaas", "items": {"score": 2}})
    assert response.status_code == 201
    assert open_alerts(api, infusing) == {"sedation": ("high", "MOAA/S 2 ≤ 2")}


@pytest.mark.parametrize(("baseline", "needs_confirming", "expected"), [
    ({"sbp": 140, "dbp": 90}, False, {}),
    ({"sbp": 141, "dbp": 90}, True, {"baseline_bp": ("low", "SBP 141 > 140")}),
    ({"sbp": 140, "dbp": 91}, True, {"baseline_bp": ("low", "DBP 91 > 90")}),
])
def test_a_high_baseline_needs_confirming_and_raises_a_low_alert(api, clock, baseline, needs_confirming, expected):
    clock.set(START)
    session_id = api.session()["id"]
    api.transition(session_id, "baseline")
    api.vitals(session_id, baseline | {"hr": 70})
    unconfirmed = api.transition(session_id, "infusing")
    if needs_confirming:
        assert unconfirmed.get_json()["error"]["code"] == "needs_confirmation"
        assert open_alerts(api, session_id) == {}
        assert api.transition(session_id, "infusing", confirm=True).status_code == 200
    else:
        assert unconfirmed.status_code == 200
    assert open_alerts(api, session_id) == expected


@pytest.mark.parametrize(("state", "minutes", "expected"), [
    ("infusing", 15, {}),
    ("infusing", 15.1, {"vitals_overdue": ("medium", "Vitals overdue: last 15.1 min ago > 15")}),
    ("paused", 15.1, {"vitals_overdue": ("medium", "Vitals overdue: last 15.1 min ago > 15")}),
    ("recovery", 20, {}),
    ("recovery", 20.1, {"vitals_overdue": ("medium", "Vitals overdue: last 20.1 min ago > 20")}),
    ("ready", 60, {}),
])
def test_vitals_overdue_follows_the_schedule_of_the_state(api, store, clock, infusing, state, minutes, expected):
    for step in {"infusing": [], "paused": ["paused"], "recovery": ["recovery"], "ready": ["recovery", "ready"]}[state]:
        assert api.transition(infusing, step).status_code == 200
    api.vitals(infusing, {"hr": 75})
    clock.advance(minutes=minutes)
    scheduler.tick(store, clock())
    assert open_alerts(api, infusing) == expected


@pytest.mark.parametrize(("minutes", "expected"), [
    (54.9, {}),
    (55, {"infusion_overtime": ("low", "Infusion 55 min ≥ 55 (planned 40 + 15)")}),
])
def test_infusion_overtime_is_planned_time_plus_15_minutes(api, store, clock, infusing, minutes, expected):
    for step in range(0, int(minutes), 10):  # vitals on time, so only the overtime rule can fire
        clock.set(START + timedelta(minutes=step))
        api.vitals(infusing, {"hr": 75})
    clock.set(START + timedelta(minutes=minutes))
    scheduler.tick(store, clock())
    assert open_alerts(api, infusing) == expected


def test_pauses_do_not_count_towards_overtime(api, store, clock, infusing):
    clock.set(START + timedelta(minutes=30))
    api.transition(infusing, "paused")
    clock.set(START + timedelta(minutes=50))
    api.vitals(infusing, {"hr": 75})
    api.transition(infusing, "infusing")
    clock.set(START + timedelta(minutes=60))
    api.vitals(infusing, {"hr": 75})
    scheduler.tick(store, clock())
    assert open_alerts(api, infusing) == {}  # 40 minutes infusing of 60 elapsed
    clock.set(START + timedelta(minutes=75))
    api.vitals(infusing, {"hr": 75})
    scheduler.tick(store, clock())
    assert open_alerts(api, infusing) == {"infusion_overtime": ("low", "Infusion 55 min ≥ 55 (planned 40 + 15)")}


@pytest.mark.parametrize(("minutes", "allowed"), [(119, False), (120, True)])
def test_esketamine_discharge_before_120_minutes_from_first_dose_is_refused(api, clock, minutes, allowed):
    clock.set(START)
    session_id = api.session(drug="esketamine", route="intranasal", dose_mg=56)["id"]
    api.transition(session_id, "baseline")
    api.vitals(session_id, NORMAL)
    api.transition(session_id, "infusing")
    clock.set(START + timedelta(minutes=40))
    api.transition(session_id, "recovery")
    api.transition(session_id, "ready")
    clock.set(START + timedelta(minutes=minutes))
    response = api.transition(session_id, "discharged")
    assert response.status_code == (200 if allowed else 409)


def test_a_clinician_may_override_the_esketamine_observation_with_a_reason(api, clock):
    clock.set(START)
    session_id = api.session(drug="esketamine", route="intranasal", dose_mg=56)["id"]
    for step in ("baseline", "infusing", "recovery", "ready"):
        api.transition(session_id, step)
    clock.set(START + timedelta(minutes=90))
    body = {"to": "discharged", "override": True, "reason": "transferred to hospital by ambulance"}
    path = f"/api/sessions/{session_id}/transitions"
    assert api.post(path, body, role="nurse").status_code == 403
    assert api.post(path, body, role="clinician").status_code == 200
