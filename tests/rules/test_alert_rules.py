"""The default alert rules of CLINICAL.md §4 at their edges, and the checks on an edited rule set."""
import copy
import json

import pytest

from monitor.errors import BadRequest, ValidationFailed
from monitor.rules.alert_rules import (
    DEFAULT_RULES,
    PRIORITY_RANK,
    Finding,
    evaluate_baseline,
    evaluate_note,
    evaluate_side_effect,
    evaluate_vitals,
    infusion_overtime,
    validate_rules,
    vitals_overdue,
)

BASELINE = {"sbp": 120, "dbp": 80}


def fired(values: dict, *, baseline: dict | None = None, news2: dict | None = None, rules=DEFAULT_RULES) -> dict:
    findings = evaluate_vitals(values, baseline=baseline, news2=news2, rules=rules)
    return {f.key: (f.priority, f.message) for f in findings}


def news2(total: int, single_3: bool = False) -> dict:
    return {"score": total, "band": "unused here", "single_3": single_3, "partial": False}


@pytest.mark.parametrize(("values", "expected"), [
    ({"sbp": 179}, {}),
    ({"sbp": 180}, {"bp_high": ("high", "SBP 180 ≥ 180")}),
    ({"dbp": 109}, {}),
    ({"dbp": 110}, {"bp_high": ("high", "DBP 110 ≥ 110")}),
    ({"sbp": 186, "dbp": 115}, {"bp_high": ("high", "SBP 186 ≥ 180, DBP 115 ≥ 110")}),
    ({"sbp": 91}, {}),
    ({"sbp": 90}, {"sbp_low": ("high", "SBP 90 ≤ 90")}),
    ({"hr": 44}, {"hr": ("high", "HR 44 < 45")}),
    ({"hr": 45}, {}),
    ({"hr": 110}, {}),
    ({"hr": 111}, {"hr": ("medium", "HR 111 > 110")}),
    ({"hr": 130}, {"hr": ("medium", "HR 130 > 110")}),
    ({"hr": 131}, {"hr": ("high", "HR 131 > 130")}),
    ({"spo2": 91}, {"spo2": ("high", "SpO2 91 ≤ 91")}),
    ({"spo2": 92}, {"spo2": ("medium", "SpO2 92 ≤ 93")}),
    ({"spo2": 93}, {"spo2": ("medium", "SpO2 93 ≤ 93")}),
    ({"spo2": 94}, {}),
    ({"rr": 8}, {"rr": ("high", "RR 8 ≤ 8")}),
    ({"rr": 9}, {}),
    ({"rr": 20}, {}),
    ({"rr": 21}, {"rr": ("medium", "RR 21 > 20")}),
    ({"rr": 24}, {"rr": ("medium", "RR 24 > 20")}),
    ({"rr": 25}, {"rr": ("high", "RR 25 ≥ 25")}),
    ({"temp_c": 35.0}, {"temp": ("medium", "Temp 35.0 ≤ 35.0")}),
    ({"temp_c": 35.1}, {}),
    ({"temp_c": 39}, {}),
    ({"temp_c": 39.1}, {"temp": ("medium", "Temp 39.1 ≥ 39.1")}),
    ({"moaas": 2}, {"sedation": ("high", "MOAA/S 2 ≤ 2")}),
    ({"moaas": 3}, {"sedation": ("medium", "MOAA/S 3 ≤ 3")}),
    ({"moaas": 4}, {}),
    ({"consciousness": "A"}, {}),
    ({"consciousness": "C"}, {"sedation": ("high", "ACVPU C ≠ A")}),
    ({"consciousness": "V", "moaas": 3}, {"sedation": ("high", "ACVPU V ≠ A")}),
    ({"consciousness": "U", "moaas": 0}, {"sedation": ("high", "MOAA/S 0 ≤ 2, ACVPU U ≠ A")}),
])
def test_vitals_rules_at_their_edges(values, expected):
    assert fired(values) == expected


@pytest.mark.parametrize(("score", "expected"), [
    (news2(4), {}),
    (news2(5), {"news2": ("medium", "NEWS2 5 ≥ 5")}),
    (news2(6), {"news2": ("medium", "NEWS2 6 ≥ 5")}),
    (news2(7), {"news2": ("high", "NEWS2 7 ≥ 7")}),
    (news2(3, single_3=True), {"news2": ("medium", "NEWS2 3 with a single parameter scoring 3")}),
    (news2(8, single_3=True), {"news2": ("high", "NEWS2 8 ≥ 7")}),
    (None, {}),
])
def test_news2_rule(score, expected):
    assert fired({}, news2=score) == expected


@pytest.mark.parametrize(("values", "expected"), [
    ({"sbp": 159, "dbp": 104}, {}),
    ({"sbp": 160}, {"bp_rise": ("medium", "SBP rise 40 ≥ 40")}),
    ({"dbp": 105}, {"bp_rise": ("medium", "DBP rise 25 ≥ 25")}),
    ({"sbp": 180, "dbp": 105}, {"bp_high": ("high", "SBP 180 ≥ 180"),
                                "bp_rise": ("medium", "SBP rise 60 ≥ 40, DBP rise 25 ≥ 25")}),
])
def test_bp_rise_over_baseline(values, expected):
    assert fired(values, baseline=BASELINE) == expected


@pytest.mark.parametrize("baseline", [None, {}, {"sbp": None, "dbp": None}])
def test_no_rise_without_a_baseline(baseline):
    assert fired({"sbp": 170, "dbp": 109}, baseline=baseline) == {}


def test_a_finding_keeps_the_value_and_the_limits_in_force():
    assert evaluate_vitals({"hr": 131}, baseline=None, news2=None, rules=DEFAULT_RULES) == [
        Finding("hr", "high", "HR 131 > 130", 131, {"hr": {"above": 130, "below": 45}})]
    [rise] = evaluate_vitals({"sbp": 165}, baseline=BASELINE, news2=None, rules=DEFAULT_RULES)
    assert rise.value == 45
    assert rise.limits == {"sbp_rise": {"at_least": 40}, "dbp_rise": {"at_least": 25},
                           "baseline": {"sbp": 120, "dbp": 80}}


def test_missing_measures_are_not_evaluated():
    assert evaluate_vitals({"hr": None, "note": None}, baseline=BASELINE, news2=None, rules=DEFAULT_RULES) == []


def test_edited_thresholds_apply():
    rules = copy.deepcopy(DEFAULT_RULES)
    rules["hr"]["high"]["hr"]["above"] = 140
    assert fired({"hr": 135}, rules=rules) == {"hr": ("medium", "HR 135 > 110")}


@pytest.mark.parametrize(("severity", "serious", "expected"), [
    ("mild", False, None),
    ("moderate", False, ("low", "Moderate nausea")),
    ("severe", False, ("high", "Severe nausea")),
    ("mild", True, ("high", "Mild nausea, serious adverse event")),
    ("moderate", True, ("high", "Moderate nausea, serious adverse event")),
])
def test_side_effects(severity, serious, expected):
    finding = evaluate_side_effect(severity, serious, "nausea", DEFAULT_RULES)
    assert (finding and (finding.priority, finding.message)) == expected


def test_side_effect_kind_reads_as_words():
    finding = evaluate_side_effect("severe", False, "respiratory_depression", DEFAULT_RULES)
    assert finding == Finding("side_effect", "high", "Severe respiratory depression", "severe",
                              {"by_severity": {"mild": None, "moderate": "low", "severe": "high"}, "serious": "high"})


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("escalation", "BP 190/115, calling Dr Smith", ("high", "Escalation: BP 190/115, calling Dr Smith")),
    ("escalation", "  ", ("high", "Escalation: call supervisor")),
    ("note", "patient comfortable", None),
    ("medication", "ondansetron 4 mg", None),
])
def test_escalation_notes(kind, text, expected):
    finding = evaluate_note(kind, text, DEFAULT_RULES)
    assert (finding and (finding.priority, finding.message)) == expected


@pytest.mark.parametrize(("sbp", "dbp", "expected"), [
    (140, 90, None),
    (141, 90, ("low", "SBP 141 > 140")),
    (140, 91, ("low", "DBP 91 > 90")),
    (150, 95, ("low", "SBP 150 > 140, DBP 95 > 90")),
    (None, 91, ("low", "DBP 91 > 90")),
    (None, None, None),
])
def test_baseline_bp(sbp, dbp, expected):
    finding = evaluate_baseline(sbp, dbp, DEFAULT_RULES)
    assert (finding and (finding.priority, finding.message)) == expected


@pytest.mark.parametrize(("state", "minutes", "expected"), [
    ("infusing", 15, None),
    ("infusing", 15.1, ("medium", "Vitals overdue: last 15.1 min ago > 15")),
    ("paused", 16, ("medium", "Vitals overdue: last 16 min ago > 15")),
    ("recovery", 20, None),
    ("recovery", 21, ("medium", "Vitals overdue: last 21 min ago > 20")),
    ("infusing", None, ("medium", "Vitals overdue: none recorded")),
    ("baseline", 60, None),
    ("scheduled", None, None),
    ("ready", 60, None),
    ("discharged", 60, None),
])
def test_vitals_overdue(state, minutes, expected):
    finding = vitals_overdue(state, minutes, DEFAULT_RULES)
    assert (finding and (finding.priority, finding.message)) == expected


@pytest.mark.parametrize(("minutes", "planned", "expected"), [
    (54.9, 40, None),
    (55, 40, ("low", "Infusion 55 min ≥ 55 (planned 40 + 15)")),
    (75.25, 60, ("low", "Infusion 75.2 min ≥ 75 (planned 60 + 15)")),
    (500, None, None),
])
def test_infusion_overtime(minutes, planned, expected):
    finding = infusion_overtime(minutes, planned, DEFAULT_RULES)
    assert (finding and (finding.priority, finding.message)) == expected


def test_schedule_and_timing_defaults():
    assert DEFAULT_RULES["vitals_overdue"] == {"priority": "medium", "infusing_every": 10, "infusing_overdue": 15,
                                              "recovery_every": 15, "recovery_overdue": 20}
    assert DEFAULT_RULES["early_discharge"] == {"minutes": 120}
    assert DEFAULT_RULES["reraise_after_minutes"] == 5
    assert DEFAULT_RULES["max_silence_minutes"] == 10
    assert PRIORITY_RANK == {"high": 3, "medium": 2, "low": 1}


def test_the_defaults_are_valid_json_and_come_back_as_a_copy():
    rules = json.loads(json.dumps(DEFAULT_RULES))
    checked = validate_rules(rules)
    assert checked == DEFAULT_RULES
    assert checked is not rules


def edited(path: str, value) -> dict:
    """The defaults with one setting changed (value DELETE removes it)."""
    rules = copy.deepcopy(DEFAULT_RULES)
    *parents, last = path.split(".")
    target = rules
    for name in parents:
        target = target[name]
    if value == "DELETE":
        del target[last]
    else:
        target[last] = value
    return rules


@pytest.mark.parametrize(("path", "value"), [
    ("hr.high.hr.above", 140),
    ("temp.medium.temp_c.at_least", 38.5),
    ("hr.low", {"hr": {"above": 100}}),
    ("side_effect.by_severity.mild", "low"),
    ("side_effect.by_severity.moderate", None),
    ("sedation.high.consciousness", {"is_not": "A"}),
    ("infusion_overtime.minutes", 10),
    ("max_silence_minutes", 5),
])
def test_valid_edits_are_accepted(path, value):
    assert validate_rules(edited(path, value)) == edited(path, value)


@pytest.mark.parametrize(("path", "value", "field"), [
    ("hr.high.hr.above", "130", "hr.high.hr.above"),
    ("hr.high.hr.above", True, "hr.high.hr.above"),
    ("hr.high.hr.above", float("nan"), "hr.high.hr.above"),
    ("hr.high.hr.over", 130, "hr.high.hr.over"),
    ("hr.high.pulse", {"above": 130}, "hr.high.pulse"),
    ("hr.high", [], "hr.high"),
    ("hr", {}, "hr"),
    ("news2.medium.single_3.is", "yes", "news2.medium.single_3.is"),
    ("sedation.high.consciousness", {"above": 2}, "sedation.high.consciousness.above"),
    ("escalation.priority", 3, "escalation.priority"),
    ("side_effect.serious", None, "side_effect.serious"),
    ("vitals_overdue.infusing_every", "10", "vitals_overdue.infusing_every"),
    ("vitals_overdue.every", 10, "vitals_overdue.every"),
    ("pager", {"priority": "high"}, "pager"),
    ("reraise_after_minutes", None, "reraise_after_minutes"),
])
def test_wrong_shapes_and_types_are_a_bad_request(path, value, field):
    with pytest.raises(BadRequest) as raised:
        validate_rules(edited(path, value))
    assert list(raised.value.fields) == [field]


@pytest.mark.parametrize(("path", "value", "field"), [
    ("hr.urgent", {"hr": {"above": 150}}, "hr.urgent"),
    ("hr.high.hr.above", -1, "hr.high.hr.above"),
    ("sedation.high.consciousness.is_not", "a", "sedation.high.consciousness.is_not"),
    ("escalation.priority", "critical", "escalation.priority"),
    ("infusion_overtime.minutes", 0, "infusion_overtime.minutes"),
    ("early_discharge.minutes", "DELETE", "early_discharge.minutes"),
    ("temp", "DELETE", "temp"),
    ("max_silence_minutes", 11, "max_silence_minutes"),
    ("vitals_overdue.recovery_overdue", 14, "vitals_overdue.recovery_overdue"),
])
def test_wrong_values_fail_validation(path, value, field):
    with pytest.raises(ValidationFailed) as raised:
        validate_rules(edited(path, value))
    assert list(raised.value.fields) == [field]


def test_a_rule_set_that_is_not_an_object_is_a_bad_request():
    with pytest.raises(BadRequest):
        validate_rules([DEFAULT_RULES])
