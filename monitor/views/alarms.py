"""Alarm review (/reports, GET /api/reports/alarms): are the alarms worth answering?

Read from the audit trail, where every change to an alert is an entry (`alerts.engine.record_change`):
the alerts table keeps only each alert's latest state, a re-raise or a higher priority overwrites it.
An *alarm* is one raising of an alert at one priority: it starts with `alert.raise` (or
`alert.raise_priority`, which also ends the alarm at the lower priority) and is counted in the window
it started in, at the rule-set version it was raised under. Per rule key and priority: how many, per
session on the floor in the window, the share acknowledged, seconds to the first acknowledgement (p50,
p90), silences, re-raises, and the share that cleared by itself (its condition no longer held) within
two minutes and before anyone acknowledged it.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from ..rules.alert_rules import PRIORITY_RANK
from ..timeutil import iso, parse_stored
from . import vocabulary
from .reports import median, nearest_rank

SELF_CLEAR_SECONDS = 120  # "cleared by itself within 2 minutes" (issue 15)
REVIEW_SHARE = 50.0  # a rule is a candidate to review when more than half its alarms cleared by themselves
CLEARED_BY_ITSELF = "the condition no longer holds"  # the engine's `why` when a condition clears alone
STARTS = ("alert.raise", "alert.raise_priority")


@dataclass
class Alarm:
    """One raising of an alert at one priority, and what happened to it until it ended."""

    session_id: int
    key: str
    priority: str
    version: int
    raised_at: datetime
    acknowledged_at: datetime | None = None
    silences: int = 0
    reraises: int = 0
    cleared_by_itself_at: datetime | None = None

    @property
    def seconds_to_acknowledge(self) -> float | None:
        return (self.acknowledged_at - self.raised_at).total_seconds() if self.acknowledged_at else None

    @property
    def self_cleared(self) -> bool:
        return (self.acknowledged_at is None and self.cleared_by_itself_at is not None
                and (self.cleared_by_itself_at - self.raised_at).total_seconds() <= SELF_CLEAR_SECONDS)


def alarm_review(db: Database, start: datetime, end: datetime) -> dict:
    """The figures for the alarms raised in [start, end), split by rule and by rule-set version."""
    alarms = alarms_raised(db, iso(start), iso(end))
    floor = sessions_on_the_floor(db, iso(start), iso(end))
    rules = rows(group(alarms, lambda a: (a.key, a.priority)), floor, ("key", "priority"))
    versions = rows(group(alarms, lambda a: (a.version, a.key, a.priority)), floor, ("version", "key", "priority"))
    review = [{"key": r["key"], "priority": r["priority"], "alarms": r["alarms"],
               "self_cleared_percent": r["self_cleared_percent"]}
              for r in sorted(rules, key=lambda r: (-r["self_cleared_percent"], -r["alarms"], r["key"]))
              if r["self_cleared_percent"] > REVIEW_SHARE]
    return {"from": iso(start), "to": iso(end), "sessions": floor, "alarms": len(alarms),
            "review": review, "rules": rules, "versions": versions}


def alarms_raised(db: Database, start: str, end: str) -> list[Alarm]:
    """Every alarm that started in the window, followed through the audit trail to its end."""
    cursor = db.execute(
        "SELECT action, at, entity_id, session_id, after FROM audit WHERE entity = 'alert' AND entity_id IN"
        " (SELECT entity_id FROM audit WHERE entity = 'alert' AND action IN (?, ?) AND at >= ? AND at < ?)"
        " ORDER BY id", STARTS + (start, end))
    current: dict[str, Alarm] = {}
    alarms: list[Alarm] = []
    for action, at, alert_id, session_id, after in cursor:
        moment, alert = parse_stored(at), json.loads(after or "{}")
        if action in STARTS:
            current[alert_id] = Alarm(session_id, alert["key"], alert["priority"], alert["rules_version"], moment)
            if start <= at < end:
                alarms.append(current[alert_id])
        elif (alarm := current.get(alert_id)) is not None:
            follow(alarm, action, moment, alert.get("why"))
    return alarms


def follow(alarm: Alarm, action: str, moment: datetime, why: str | None) -> None:
    """One later change to the alert, as it bears on the alarm."""
    if action == "alert.acknowledge" and alarm.acknowledged_at is None:
        alarm.acknowledged_at = moment
    elif action == "alert.silence":
        alarm.silences += 1
    elif action == "alert.reraise":
        alarm.reraises += 1
    elif action == "alert.clear" and why == CLEARED_BY_ITSELF:
        alarm.cleared_by_itself_at = moment


def sessions_on_the_floor(db: Database, start: str, end: str) -> int:
    """Sessions begun (their first step) before the window ends and not ended before it starts."""
    # On the caches `began_at` and `ended_at` (indexed): ended in or after the window, or still open.
    ended = db.execute("SELECT COUNT(*) FROM sessions WHERE ended_at >= ? AND began_at < ?", (start, end)).fetchone()
    still_open = db.execute("SELECT COUNT(*) FROM sessions WHERE state NOT IN ('discharged', 'aborted')"
                            " AND began_at < ?", (end,)).fetchone()
    return ended[0] + still_open[0]


def group(alarms: list[Alarm], by) -> dict[tuple, list[Alarm]]:
    groups: dict[tuple, list[Alarm]] = defaultdict(list)
    for alarm in alarms:
        groups[by(alarm)].append(alarm)
    return groups


def rows(groups: dict[tuple, list[Alarm]], floor: int, names: tuple[str, ...]) -> list[dict]:
    """One row per group, the highest priority first, then the most alarms."""
    out = [dict(zip(names, key)) | figures(alarms, floor) for key, alarms in groups.items()]
    return sorted(out, key=lambda r: (r.get("version", 0), -PRIORITY_RANK[r["priority"]], -r["alarms"], r["key"]))


def figures(alarms: list[Alarm], floor: int) -> dict:
    waits = sorted(a.seconds_to_acknowledge for a in alarms if a.acknowledged_at is not None)
    self_cleared = sum(a.self_cleared for a in alarms)
    return {
        "alarms": len(alarms),
        "per_session": round(len(alarms) / floor, 2) if floor else None,
        "acknowledged": len(waits),
        "acknowledged_percent": percent(len(waits), len(alarms)),
        "acknowledge_seconds": {"p50": median(waits) if waits else None,
                                "p90": nearest_rank(waits, 0.9) if waits else None},
        "silences": sum(a.silences for a in alarms),
        "reraises": sum(a.reraises for a in alarms),
        "self_cleared": self_cleared,
        "self_cleared_percent": percent(self_cleared, len(alarms)),
    }


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def charts(review: dict) -> dict:
    """Plotly figures (as JSON-ready dicts) of the review: alarms per rule, split into what became of
    them, and the share that cleared by itself under each rule-set version. The tables hold the numbers."""
    import plotly.graph_objects as go  # only the reports page draws them; the rest of the app never loads it

    names = [rule_name(r) for r in review["rules"]]
    rows = [("acknowledged", "acknowledged"), ("cleared by itself ≤ 2 min", "self_cleared")]
    outcome = go.Figure([go.Bar(name=name, y=names, x=[r[field] for r in review["rules"]], orientation="h")
                         for name, field in rows] + [
        go.Bar(name="other", y=names, x=[r["alarms"] - r["acknowledged"] - r["self_cleared"] for r in review["rules"]],
               orientation="h")],
        layout={"template": "none", "barmode": "stack", "height": chart_height(len(names)),
                "xaxis": {"title": {"text": "alarms"}}, "yaxis": {"automargin": True, "dtick": 1}})
    by_version = go.Figure([
        go.Bar(name=f"rule set v{version}", y=[rule_name(r) for r in group_rows],
               x=[r["self_cleared_percent"] for r in group_rows], orientation="h")
        for version, group_rows in versions_of(review["versions"]).items()
    ], layout={"template": "none", "barmode": "group", "height": chart_height(len(names), len(review["versions"])),
               "xaxis": {"title": {"text": "% cleared by itself"}, "range": [0, 100]},
               "yaxis": {"automargin": True, "dtick": 1}})
    return {"outcomes": outcome.to_plotly_json(), "versions": by_version.to_plotly_json()}


def rule_name(row: dict) -> str:
    return f"{vocabulary.alarm_title(row['key'])} ({row['priority']})"


def chart_height(rules: int, bars: int | None = None) -> int:
    """Tall enough for every rule's label and bar: 22 px a rule (more when bars are grouped), plus the axes."""
    return 110 + 22 * max(rules, 1) + 8 * max((bars or rules) - rules, 0)


def versions_of(version_rows: list[dict]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for row in version_rows:
        found[row["version"]].append(row)
    return dict(found)
