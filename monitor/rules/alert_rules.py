"""The default alert rules of CLINICAL.md §4 as data, and their pure evaluation.

A threshold rule maps a priority to conditions, `{priority: {measure: {comparison: limit}}}`,
and fires at the highest priority where any condition holds: `hr` is high above 130 or below
45, else medium above 110. Every number a clinician may change lives in `DEFAULT_RULES`; the
stateful side (acknowledge, latch, silence) is the alert engine's.
"""
from __future__ import annotations

import copy
import operator
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..errors import BadRequest, ValidationFailed
from .instruments import OUTCOMES
from .validation import CONSCIOUSNESS_LEVELS, is_number

PRIORITY_RANK = {"high": 3, "medium": 2, "low": 1}

DEFAULT_RULES: dict = {
    "bp_high": {"high": {"sbp": {"at_least": 180}, "dbp": {"at_least": 110}}},
    "bp_rise": {"medium": {"sbp_rise": {"at_least": 40}, "dbp_rise": {"at_least": 25}}},
    "sbp_low": {"high": {"sbp": {"at_most": 90}}},
    "hr": {"high": {"hr": {"above": 130, "below": 45}}, "medium": {"hr": {"above": 110}}},
    "spo2": {"high": {"spo2": {"at_most": 91}}, "medium": {"spo2": {"at_most": 93}}},
    "rr": {"high": {"rr": {"at_most": 8, "at_least": 25}}, "medium": {"rr": {"above": 20}}},
    "temp": {"medium": {"temp_c": {"at_least": 39.1, "at_most": 35.0}}},
    "sedation": {"high": {"moaas": {"at_most": 2}, "consciousness": {"is_not": "A"}},
                 "medium": {"moaas": {"at_most": 3}}},
    "news2": {"high": {"news2": {"at_least": 7}}, "medium": {"news2": {"at_least": 5}, "single_3": {"is": True}}},
    "side_effect": {"by_severity": {"mild": None, "moderate": "low", "severe": "high"}, "serious": "high"},
    "escalation": {"priority": "high"},
    "vitals_overdue": {"priority": "medium", "infusing_every": 10, "infusing_overdue": 15,
                       "recovery_every": 15, "recovery_overdue": 20},
    "baseline_bp": {"low": {"sbp": {"above": 140}, "dbp": {"above": 90}}},
    "infusion_overtime": {"priority": "low", "minutes": 15},
    "early_discharge": {"minutes": 120},
    "suicidality": {"priority": "high", "phq9_item_9_at_least": 1},
    "rems_form_due": {"priority": "medium", "alert_on_day": 6},
    "outcomes": {
        "response_fall_pct": 50, "remission_at_most": {"phq9": 4, "gad7": 4, "madrs": 10},
        "worsening_rise": {"phq9": 5}, "pcl5_probable_at_least": 33, "pcl5_meaningful_fall": 10,
        "not_returned_days": 7, "course_infusions": 6,
        "instruments_by_indication": {"ptsd": ["phq9", "gad7", "pcl5"], "depression": ["phq9", "gad7"],
                                      "anxiety": ["gad7", "phq9"], "other": ["phq9", "gad7"]},
    },
    "reraise_after_minutes": 5,
    "max_silence_minutes": 10,
}

REMS_FORM_DUE_DAYS = 7  # the REMS Patient Monitoring Form is due within 7 days of the session (fixed)
VITALS_RULES = ("bp_high", "bp_rise", "sbp_low", "hr", "spo2", "rr", "temp", "sedation", "news2")
THRESHOLD_RULES = VITALS_RULES + ("baseline_bp",)
COMPARISONS = {
    "above": (operator.gt, ">"), "at_least": (operator.ge, "≥"),
    "below": (operator.lt, "<"), "at_most": (operator.le, "≤"),
    "is": (operator.eq, "="), "is_not": (operator.ne, "≠"),
}
LABELS = {"sbp": "SBP", "dbp": "DBP", "sbp_rise": "SBP rise", "dbp_rise": "DBP rise", "hr": "HR", "spo2": "SpO2",
          "rr": "RR", "temp_c": "Temp", "moaas": "MOAA/S", "consciousness": "ACVPU", "news2": "NEWS2"}
DECIMALS = {"temp_c": 1}  # shown as a monitor shows them: 35.0, not 35
MEASURE_KINDS = {"consciousness": "choice", "single_3": "flag"}  # every other measure is a number
KIND_COMPARISONS = {"number": ("above", "at_least", "below", "at_most"), "choice": ("is", "is_not"), "flag": ("is",)}
SCHEDULE_OF_STATE = {"infusing": "infusing", "paused": "infusing", "recovery": "recovery"}
MAX_SILENCE_MINUTES = 10  # the contract's ceiling for silencing an alarm
NULLABLE_PRIORITIES = ("side_effect.by_severity",)  # None there means "no alert"


@dataclass(frozen=True)
class Finding:
    """One rule that fires: what an alert stores besides its state."""

    key: str
    priority: str
    message: str
    value: object
    limits: dict


def evaluate_vitals(values: dict, *, baseline: dict | None, news2: dict | None, rules: dict) -> list[Finding]:
    """The findings of one vitals record: at most one per rule key, at its highest priority."""
    measures = vitals_measures(values, baseline, news2)
    findings = [finding for key in VITALS_RULES if (finding := evaluate_threshold(key, rules[key], measures))]
    return [with_baseline(f, baseline) if f.key == "bp_rise" else f for f in findings]


def vitals_measures(values: dict, baseline: dict | None, news2: dict | None) -> dict:
    """The record's measures plus the rise over baseline and the NEWS2 score."""
    measures = dict(values)
    for name in ("sbp", "dbp"):
        if values.get(name) is not None and baseline and baseline.get(name) is not None:
            measures[f"{name}_rise"] = values[name] - baseline[name]
    if news2:
        measures["news2"], measures["single_3"] = news2["score"], news2["single_3"]
    return {name: value for name, value in measures.items() if value is not None}


def evaluate_threshold(key: str, rule: dict, measures: dict) -> Finding | None:
    """The finding of one threshold rule at the highest priority where a condition holds."""
    for priority in sorted(rule, key=PRIORITY_RANK.__getitem__, reverse=True):
        fired = list(conditions_holding(rule[priority], measures))
        if fired:
            message = ", ".join(text for text, _ in fired)
            return Finding(key, priority, message, fired[0][1], copy.deepcopy(rule[priority]))
    return None


def conditions_holding(conditions: dict, measures: dict) -> Iterator[tuple[str, object]]:
    """(message, value) for each condition that holds; measures not given are not evaluated."""
    for measure, comparisons in conditions.items():
        if measure not in measures:
            continue
        value = measures[measure]
        for comparison, limit in comparisons.items():
            holds, symbol = COMPARISONS[comparison]
            if holds(value, limit):
                yield condition_text(measure, value, symbol, limit, measures)


def condition_text(measure: str, value, symbol: str, limit, measures: dict) -> tuple[str, object]:
    if measure == "single_3":
        return f"NEWS2 {shown(measures.get('news2'))} with a single parameter scoring 3", measures.get("news2")
    decimals = DECIMALS.get(measure)
    return f"{LABELS.get(measure, measure)} {shown(value, decimals)} {symbol} {shown(limit, decimals)}", value


def with_baseline(finding: Finding, baseline: dict) -> Finding:
    """A rise keeps the baseline it was measured from."""
    used = {name: baseline.get(name) for name in ("sbp", "dbp")}
    return replace(finding, limits={**finding.limits, "baseline": used})


def shown(value, decimals: int | None = None) -> str:
    """A number as a monitor shows it: 186, not 186.0; temperatures to one decimal."""
    if decimals is not None and is_number(value):
        return f"{value:.{decimals}f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate_baseline(sbp: float | None, dbp: float | None, rules: dict) -> Finding | None:
    """A baseline BP above 140/90 at the start of the infusion: the start needs confirming."""
    measures = {name: value for name, value in (("sbp", sbp), ("dbp", dbp)) if value is not None}
    return evaluate_threshold("baseline_bp", rules["baseline_bp"], measures)


def evaluate_side_effect(severity: str, serious: bool, kind: str, rules: dict) -> Finding | None:
    """Severe or serious side effects are high, moderate ones low, mild ones raise nothing."""
    rule = rules["side_effect"]
    candidates = [rule["by_severity"].get(severity), rule["serious"] if serious else None]
    priorities = [p for p in candidates if p]
    if not priorities:
        return None
    message = f"{severity.capitalize()} {kind.replace('_', ' ')}" + (", serious adverse event" if serious else "")
    return Finding("side_effect", max(priorities, key=PRIORITY_RANK.__getitem__), message, severity,
                   copy.deepcopy(rule))


def evaluate_note(kind: str, text: str, rules: dict) -> Finding | None:
    """A note of kind `escalation` ("call supervisor") raises an alert."""
    if kind != "escalation":
        return None
    summary = text.strip() if len(text.strip()) <= 80 else text.strip()[:79] + "…"
    message = f"Escalation: {summary}" if summary else "Escalation: call supervisor"
    return Finding("escalation", rules["escalation"]["priority"], message, text, {"kind": kind})


def evaluate_suicidality(items: dict, rules: dict) -> Finding | None:
    """A PHQ-9 with item 9 (thoughts of death or self-harm) at 1 or more, whatever the total: a same-day
    suicide-risk assessment by a clinician (CLINICAL.md §8)."""
    rule = rules["suicidality"]
    answer = items.get("item_9")
    if answer is None or answer < rule["phq9_item_9_at_least"]:
        return None
    message = (f"PHQ-9 item 9 = {shown(answer)} ≥ {shown(rule['phq9_item_9_at_least'])}: "
               "same-day suicide-risk assessment by a clinician")
    return Finding("suicidality", rule["priority"], message, answer, copy.deepcopy(rule))


def vitals_overdue(state: str, minutes_since_last: float | None, rules: dict) -> Finding | None:
    """No vitals within the schedule of the state (infusing and paused, or recovery).

    `minutes_since_last` None means no vitals have been recorded at all, which is overdue.
    """
    schedule = SCHEDULE_OF_STATE.get(state)
    if schedule is None:
        return None
    rule = rules["vitals_overdue"]
    overdue, every = rule[f"{schedule}_overdue"], rule[f"{schedule}_every"]
    if minutes_since_last is not None and minutes_since_last <= overdue:
        return None
    limits = {"every": every, "overdue": overdue, "schedule": schedule}
    if minutes_since_last is None:
        return Finding("vitals_overdue", rule["priority"], "Vitals overdue: none recorded", None, limits)
    since = round(minutes_since_last, 1)
    message = f"Vitals overdue: last {shown(since)} min ago > {shown(overdue)}"
    return Finding("vitals_overdue", rule["priority"], message, since, limits)


def infusion_overtime(minutes_infusing: float, planned_minutes: int | None, rules: dict) -> Finding | None:
    """The infusion has run its planned time plus the allowed overtime (15 minutes)."""
    if planned_minutes is None:
        return None
    rule = rules["infusion_overtime"]
    limit = planned_minutes + rule["minutes"]
    if minutes_infusing < limit:
        return None
    infusing = round(minutes_infusing, 1)
    message = (f"Infusion {shown(infusing)} min ≥ {shown(limit)} "
               f"(planned {shown(planned_minutes)} + {shown(rule['minutes'])})")
    return Finding("infusion_overtime", rule["priority"], message, infusing,
                   {"planned_minutes": planned_minutes, "minutes": rule["minutes"]})


@dataclass(frozen=True)
class Problem:
    path: str
    error: type  # BadRequest for a wrong shape or type, ValidationFailed for a wrong value
    message: str


def validate_rules(rules: dict) -> dict:
    """Check a proposed rule set against the shape of DEFAULT_RULES; return a copy of it."""
    problems = list(rule_set_problems(rules))
    problems += [] if problems else list(consistency_problems(rules))
    for error in (BadRequest, ValidationFailed):
        fields = {p.path: p.message for p in problems if p.error is error}
        if fields:
            raise error("; ".join(f"{path} {message}" for path, message in fields.items()), fields)
    return copy.deepcopy(rules)


def rule_set_problems(rules) -> Iterator[Problem]:
    if not isinstance(rules, dict):
        yield Problem("rules", BadRequest, "must be an object")
        return
    yield from (Problem(key, BadRequest, "is not an alert rule") for key in rules if key not in DEFAULT_RULES)
    for key, default in DEFAULT_RULES.items():
        if key not in rules:
            yield Problem(key, ValidationFailed, "is required")
        elif key in THRESHOLD_RULES:
            yield from threshold_rule_problems(key, rules[key])
        else:
            yield from setting_problems(key, rules[key], default)


def threshold_rule_problems(key: str, rule) -> Iterator[Problem]:
    """`{priority: {measure: {comparison: limit}}}` with the measures of the default rule."""
    allowed = {measure for conditions in DEFAULT_RULES[key].values() for measure in conditions}
    if not isinstance(rule, dict) or not rule:
        yield Problem(key, BadRequest, "must map a priority to its conditions")
        return
    for priority, conditions in rule.items():
        path = f"{key}.{priority}"
        if priority not in PRIORITY_RANK:
            yield Problem(path, ValidationFailed, "must be high, medium or low")
        elif not isinstance(conditions, dict) or not conditions:
            yield Problem(path, BadRequest, "must map a measure to its limits")
        else:
            for measure, comparisons in conditions.items():
                if measure not in allowed:
                    yield Problem(f"{path}.{measure}", BadRequest, f"must be one of {', '.join(sorted(allowed))}")
                else:
                    yield from condition_problems(f"{path}.{measure}", measure, comparisons)


def condition_problems(path: str, measure: str, comparisons) -> Iterator[Problem]:
    kind = MEASURE_KINDS.get(measure, "number")
    if not isinstance(comparisons, dict) or not comparisons:
        yield Problem(path, BadRequest, "must map a comparison to its limit")
        return
    for comparison, limit in comparisons.items():
        if comparison not in KIND_COMPARISONS[kind]:
            yield Problem(f"{path}.{comparison}", BadRequest, f"must be one of {', '.join(KIND_COMPARISONS[kind])}")
        else:
            yield from limit_problems(f"{path}.{comparison}", kind, limit)


def limit_problems(path: str, kind: str, limit) -> Iterator[Problem]:
    if kind == "flag" and not isinstance(limit, bool):
        yield Problem(path, BadRequest, "must be true or false")
    elif kind == "choice" and not isinstance(limit, str):
        yield Problem(path, BadRequest, "must be text")
    elif kind == "choice" and limit not in CONSCIOUSNESS_LEVELS:
        yield Problem(path, ValidationFailed, f"must be one of {', '.join(CONSCIOUSNESS_LEVELS)}")
    elif kind == "number":
        yield from number_problems(path, limit, minimum_allowed=0)


def number_problems(path: str, value, *, minimum_allowed: float, exclusive: bool = False) -> Iterator[Problem]:
    if not is_number(value):
        yield Problem(path, BadRequest, "must be a number")
    elif value < minimum_allowed or (exclusive and value == minimum_allowed):
        yield Problem(path, ValidationFailed, f"must be {'more than' if exclusive else 'at least'} {minimum_allowed}")


def setting_problems(path: str, value, default) -> Iterator[Problem]:
    """Settings keep the default's keys; a priority stays a priority, minutes stay positive and a list
    of instruments names outcome measures."""
    if isinstance(default, list):
        yield from instrument_list_problems(path, value)
    elif isinstance(default, dict):
        yield from object_problems(path, value, default)
    elif default is None or isinstance(default, str):
        yield from priority_problems(path, value)
    else:
        yield from number_problems(path, value, minimum_allowed=0, exclusive=True)


def object_problems(path: str, value, default: dict) -> Iterator[Problem]:
    if not isinstance(value, dict):
        yield Problem(path, BadRequest, "must be an object")
        return
    yield from (Problem(f"{path}.{k}", BadRequest, "is not a setting of this rule") for k in value if k not in default)
    for name, default_value in default.items():
        if name not in value:
            yield Problem(f"{path}.{name}", ValidationFailed, "is required")
        else:
            yield from setting_problems(f"{path}.{name}", value[name], default_value)


def instrument_list_problems(path: str, value) -> Iterator[Problem]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        yield Problem(path, BadRequest, "must be a list of instrument names")
    elif unknown := [name for name in value if name not in OUTCOMES]:
        yield Problem(path, ValidationFailed, f"{', '.join(unknown)} is not one of {', '.join(OUTCOMES)}")


def with_defaults(rules: dict) -> dict:
    """A stored rule set from before a rule existed, with that rule's defaults filled in."""
    missing = {key: copy.deepcopy(value) for key, value in DEFAULT_RULES.items() if key not in rules}
    return rules | missing if missing else rules


def priority_problems(path: str, value) -> Iterator[Problem]:
    nullable = path.rpartition(".")[0] in NULLABLE_PRIORITIES
    if value is None and nullable:
        return
    if not isinstance(value, str):
        yield Problem(path, BadRequest, "must be text")
    elif value not in PRIORITY_RANK:
        yield Problem(path, ValidationFailed, "must be high, medium or low" + (" (or null)" if nullable else ""))


def consistency_problems(rules: dict) -> Iterator[Problem]:
    """Limits that make sense together: overdue after due, silence within the contract's ceiling."""
    schedule = rules["vitals_overdue"]
    for phase in ("infusing", "recovery"):
        if schedule[f"{phase}_overdue"] < schedule[f"{phase}_every"]:
            yield Problem(f"vitals_overdue.{phase}_overdue", ValidationFailed,
                          f"must be at least {phase}_every ({shown(schedule[f'{phase}_every'])})")
    if rules["max_silence_minutes"] > MAX_SILENCE_MINUTES:
        yield Problem("max_silence_minutes", ValidationFailed, f"must be at most {MAX_SILENCE_MINUTES}")
