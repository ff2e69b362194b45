"""Alerts raised for a session, and the engine that keeps them (CLINICAL.md §4).

The rules are data in `rules.alert_rules`; this module keeps each alert's state. It
runs inside the transaction that changes the record, fed that transaction's events by
`triggers` just before COMMIT, and, for the rules that depend on time, inside the
scheduler's.
One alert per session and key is open at a time (a unique index says so); every
visible change to an alert is an audit entry and an event.

An open alert is `active` (sounding unless silenced) or `acknowledged`. A high alert
latches: while active it stays even when its condition clears. `condition_holds` is
the engine's own bookkeeping (does the rule still find it?), not part of the alert
anyone sees: it decides whether an acknowledgement clears the alert and whether an
acknowledged alert is raised again after five minutes.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlite_utils import Database

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..record import sessions
from ..rules import alert_rules
from ..rules.alert_rules import PRIORITY_RANK, Finding
from ..store.db import Transaction
from ..timeutil import iso, minutes_between, parse_stored

COLUMNS = ("id", "session_id", "key", "priority", "message", "value", "limits", "rules_version", "state",
           "latched", "raised_at", "acknowledged_by", "acknowledged_at", "comment", "silenced_until",
           "cleared_at")
ORDER = ("ORDER BY CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, raised_at DESC, id DESC")
SELECT = f"SELECT {', '.join(COLUMNS)}, condition_holds FROM alerts"
# Raised by a moment rather than a lasting condition: only an acknowledgement ends them.
MOMENTARY = ("escalation", "baseline_bp", "suicidality", "rems_form_due")
# Acknowledged only by a clinician, with a comment (the assessment it asks for), and never ended by the
# session ending: a positive PHQ-9 item 9 stays open until a clinician has assessed the patient.
CLINICIAN_ASSESSES = ("suicidality",)
TIME_RULES = ("vitals_overdue", "infusion_overtime")
READINGS = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "consciousness")
LATEST_READING = ("(SELECT {m} FROM vitals_current WHERE session_id = :session AND {m} IS NOT NULL"
                  " ORDER BY taken_at DESC, id DESC LIMIT 1) AS {m}")
LATEST_MOAAS = (  # MOAA/S from a vitals record or a MOAA/S assessment, whichever was taken last
    "(SELECT score FROM (SELECT * FROM (SELECT moaas AS score, taken_at AS at FROM vitals_current"
    " WHERE session_id = :session AND moaas IS NOT NULL ORDER BY taken_at DESC, id DESC LIMIT 1)"
    " UNION ALL SELECT * FROM (SELECT total, at FROM assessments WHERE session_id = :session"
    " AND instrument = 'moaas' ORDER BY at DESC, id DESC LIMIT 1)) ORDER BY at DESC LIMIT 1) AS moaas")
LATEST_NEWS2 = ("(SELECT news2 FROM vitals_current WHERE session_id = :session"
                " ORDER BY taken_at DESC, id DESC LIMIT 1) AS news2")
UNREAD = object()  # "the caller has not read the open alert": apply reads it
PARSED_RULES: dict[str, dict] = {}  # stored rule-set text → parsed rules, read only
LATEST_SQL = "SELECT " + ", ".join([LATEST_READING.format(m=m) for m in READINGS] + [LATEST_MOAAS, LATEST_NEWS2])


# Reading alerts

def shape(row) -> dict:
    alert = dict(zip(COLUMNS, row))
    alert["limits"] = json.loads(alert["limits"]) if alert["limits"] else {}
    alert["value"] = json.loads(alert["value"]) if alert["value"] else None
    alert["latched"] = bool(alert["latched"])
    return alert


def with_bookkeeping(row) -> dict:
    return shape(row) | {"condition_holds": bool(row[len(COLUMNS)])}


def for_session(db: Database, session_id: int) -> list[dict]:
    cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts WHERE session_id = ? {ORDER}", (session_id,))
    return [shape(r) for r in cursor]


def listing(db: Database, state: str = "active", session_id: int | None = None) -> list[dict]:
    """Alerts, highest priority first; `active` means every alert not yet cleared."""
    where, params = [], []
    if state == "active":
        where.append("state != 'cleared'")
    if session_id is not None:
        where.append("session_id = ?")
        params.append(session_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return [shape(r) for r in db.execute(f"SELECT {', '.join(COLUMNS)} FROM alerts {clause} {ORDER}", params)]


def get(db: Database, alert_id: int) -> dict:
    row = db.execute(f"{SELECT} WHERE id = ?", (alert_id,)).fetchone()
    if not row:
        raise NotFound(f"no alert {alert_id}")
    return with_bookkeeping(row)


def open_alert(db: Database, session_id: int, key: str) -> dict | None:
    row = db.execute(f"{SELECT} WHERE session_id = ? AND key = ? AND state != 'cleared'",
                     (session_id, key)).fetchone()
    return with_bookkeeping(row) if row else None


def rank(priority: str | None) -> int:
    return PRIORITY_RANK.get(priority or "", 0)


def public(alert: dict) -> dict:
    return {k: alert[k] for k in COLUMNS}


# Deciding and applying

def decide(current: dict | None, finding: Finding | None) -> str:
    """What the open alert of one key needs, given what its rule finds now (pure)."""
    if finding is None:
        if current is None:
            return "none"
        if current["latched"] and current["state"] == "active":
            return "condition_cleared" if current["condition_holds"] else "none"
        return "clear"
    if current is None:
        return "raise"
    if rank(finding.priority) > rank(current["priority"]):
        return "raise_priority"
    if not current["condition_holds"] and finding.key not in MOMENTARY:
        return "condition_holds"
    return "none"  # a duplicate of the open alert is not raised again


def open_alerts(db: Database, session_id: int) -> dict[str, dict]:
    """The session's open alerts by key (one each, by the unique index)."""
    rows = db.execute(f"{SELECT} WHERE session_id = ? AND state != 'cleared'", (session_id,))
    return {alert["key"]: alert for alert in map(with_bookkeeping, rows)}


def apply(tx: Transaction, session_id: int, key: str, finding: Finding | None, version: int,
          current=UNREAD) -> str:
    """Bring the open alert of (session, key) in line with the finding; return what was done.

    `current` is the open alert when the caller has already read it (None: there is none).
    """
    if current is UNREAD:
        current = open_alert(tx.db, session_id, key)
    action = decide(current, finding)
    if action == "raise":
        raise_new(tx, session_id, finding, version)
    elif action == "raise_priority":
        raise_priority(tx, current, finding, version)
    elif action in ("condition_cleared", "condition_holds"):
        tx.execute("UPDATE alerts SET condition_holds = ? WHERE id = ?",
                   (int(action == "condition_holds"), current["id"]))
    elif action == "clear":
        clear(tx, current, "the condition no longer holds")
    return action


def raise_new(tx: Transaction, session_id: int, finding: Finding, version: int) -> dict:
    alert_id = tx.insert("alerts", {
        "session_id": session_id, "key": finding.key, "priority": finding.priority, "message": finding.message,
        "value": json.dumps(finding.value), "limits": json.dumps(finding.limits, sort_keys=True),
        "rules_version": version, "state": "active", "latched": int(finding.priority == "high"),
        "condition_holds": int(finding.key not in MOMENTARY), "raised_at": iso(tx.now)})
    return record_change(tx, alert_id, None, "alert.raise", "alert.raised", "raised")


def raise_priority(tx: Transaction, current: dict, finding: Finding, version: int) -> dict:
    """A higher priority raises the open alert again; it breaks through a silence and an acknowledgement."""
    tx.execute(
        "UPDATE alerts SET priority = ?, message = ?, value = ?, limits = ?, rules_version = ?, state = 'active',"
        " latched = ?, condition_holds = ?, raised_at = ?, acknowledged_by = NULL, acknowledged_at = NULL,"
        " comment = NULL, silenced_until = NULL WHERE id = ?",
        (finding.priority, finding.message, json.dumps(finding.value), json.dumps(finding.limits, sort_keys=True),
         version, int(current["latched"] or finding.priority == "high"), int(finding.key not in MOMENTARY),
         iso(tx.now), current["id"]))
    return record_change(tx, current["id"], current, "alert.raise_priority", "alert.raised", "priority raised")


def clear(tx: Transaction, current: dict, why: str) -> dict:
    tx.execute("UPDATE alerts SET state = 'cleared', cleared_at = ? WHERE id = ?", (iso(tx.now), current["id"]))
    return record_change(tx, current["id"], current, "alert.clear", "alert.cleared", why)


def record_change(tx: Transaction, alert_id: int, before: dict | None, action: str, event: str, why: str) -> dict:
    """Every change to an alert: an audit entry and an event carrying the alert as it now is."""
    after = public(get(tx.db, alert_id))
    tx.audit(action, "alert", alert_id, session_id=after["session_id"],
             before=public(before) if before else None, after=after | {"why": why})
    tx.event(event, after["session_id"], after | {"why": why})
    return after


# What people do to an alert

def acknowledge(tx: Transaction, alert_id: int, comment: str | None) -> dict:
    """Someone has seen it; an alert whose condition no longer holds is cleared by that."""
    alert = get(tx.db, alert_id)
    if alert["state"] != "active":
        raise Conflict(f"alert {alert_id} is already {alert['state']}")
    comment = (comment or "").strip() or None
    if alert["key"] in CLINICIAN_ASSESSES:
        if tx.actor.role != "clinician":
            raise Forbidden("a clinician acknowledges this alert, after the suicide-risk assessment")
        if comment is None:
            raise ValidationFailed("say in the comment what the suicide-risk assessment found",
                                   {"comment": "is required for this alert"})
    tx.execute("UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, comment = ?"
               " WHERE id = ?", (tx.actor.username, iso(tx.now), comment, alert_id))
    acknowledged = record_change(tx, alert_id, alert, "alert.acknowledge", "alert.acknowledged", "acknowledged")
    if not alert["condition_holds"]:
        return clear(tx, acknowledged, "acknowledged and the condition no longer holds")
    return acknowledged


def silence(tx: Transaction, alert_id: int, minutes) -> dict:
    """Audio off for at most `max_silence_minutes` (10); the alert itself stays."""
    alert = get(tx.db, alert_id)
    if alert["state"] == "cleared":
        raise Conflict(f"alert {alert_id} is already cleared")
    ceiling = ruleset(tx.db)[0]["max_silence_minutes"]
    if not 0 < minutes <= ceiling:
        raise ValidationFailed(f"silence for more than 0 and at most {ceiling:g} minutes",
                               {"minutes": f"must be more than 0 and at most {ceiling:g}"})
    until = tx.now + timedelta(minutes=minutes)
    tx.execute("UPDATE alerts SET silenced_until = ? WHERE id = ?", (iso(until), alert_id))
    return record_change(tx, alert_id, alert, "alert.silence", "alert.silenced", f"silenced for {minutes:g} min")


# What the scheduler does to an alert

def reraise(tx: Transaction, alert_id: int) -> dict | None:
    """Raise again an acknowledged alert whose condition still holds `reraise_after_minutes` later."""
    alert = get(tx.db, alert_id)
    after = ruleset(tx.db)[0]["reraise_after_minutes"]
    if not reraise_due(alert, tx.now, after):
        return None
    tx.execute("UPDATE alerts SET state = 'active', raised_at = ?, acknowledged_by = NULL, acknowledged_at = NULL,"
               " comment = NULL WHERE id = ?", (iso(tx.now), alert_id))
    return record_change(tx, alert_id, alert, "alert.reraise", "alert.raised",
                         f"the condition still holds {after:g} min after it was acknowledged")


def reraise_due(alert: dict, now: datetime, after_minutes: float) -> bool:
    return (alert["state"] == "acknowledged" and alert["condition_holds"]
            and minutes_between(parse_stored(alert["acknowledged_at"]), now) >= after_minutes)


def end_silence(tx: Transaction, alert_id: int) -> dict | None:
    """A silence that has run out: the alert sounds again if it is still active."""
    alert = get(tx.db, alert_id)
    if alert["state"] == "cleared" or not alert["silenced_until"] or parse_stored(alert["silenced_until"]) > tx.now:
        return None
    tx.execute("UPDATE alerts SET silenced_until = NULL WHERE id = ?", (alert_id,))
    return record_change(tx, alert_id, alert, "alert.silence_end", "alert.silenced", "the silence ran out")


# Evaluation, run by `triggers` inside the triggering transaction

def ruleset(db: Database) -> tuple[dict, int]:
    """The rules in force and their version. The engine only reads them, so each stored version is
    parsed once per process (this runs on every save) instead of copied on every call."""
    row = db.execute("SELECT version, rules FROM alert_rule_versions ORDER BY version DESC LIMIT 1").fetchone()
    if row is None:
        return alert_rules.DEFAULT_RULES, 0
    version, text = row
    if text not in PARSED_RULES:
        if len(PARSED_RULES) > 32:
            PARSED_RULES.clear()
        PARSED_RULES[text] = alert_rules.with_defaults(json.loads(text))
    return PARSED_RULES[text], version


def session_state(db: Database, session_id: int) -> str | None:
    row = db.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return row[0] if row else None


def latest_readings(db: Database, session_id: int) -> tuple[dict, dict | None]:
    """The latest current value of each measure the rules read, and the latest NEWS2."""
    cursor = db.execute(LATEST_SQL, {"session": session_id})
    values = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
    news2 = values.pop("news2")
    return {k: v for k, v in values.items() if v is not None}, json.loads(news2) if news2 else None


def evaluate_vitals(tx: Transaction, session_id: int) -> None:
    """Evaluate the vitals rules on the session's latest readings, and the time rules with them."""
    if session_state(tx.db, session_id) in sessions.FINAL:
        return
    rules, version = ruleset(tx.db)
    values, news2 = latest_readings(tx.db, session_id)
    baseline = sessions.baseline_vitals(tx.db, session_id)
    found = {f.key: f for f in alert_rules.evaluate_vitals(values, baseline=baseline, news2=news2, rules=rules)}
    current = open_alerts(tx.db, session_id)
    for key in alert_rules.VITALS_RULES:
        apply(tx, session_id, key, found.get(key), version, current.get(key))
    evaluate_time_rules(tx, session_id, rules, version, current)


def evaluate_side_effects(tx: Transaction, session_id: int) -> None:
    """The worst unresolved side effect decides the session's side-effect alert."""
    if session_state(tx.db, session_id) in sessions.FINAL:
        return
    rules, version = ruleset(tx.db)
    rows = tx.execute("SELECT s.kind, s.severity, s.serious FROM side_effects s LEFT JOIN side_effect_resolutions r"
                      " ON r.side_effect_id = s.id WHERE s.session_id = ? AND r.id IS NULL ORDER BY s.id",
                      (session_id,)).fetchall()
    findings = [f for kind, severity, serious in rows
                if (f := alert_rules.evaluate_side_effect(severity, bool(serious), kind, rules))]
    worst = max(findings, key=lambda f: rank(f.priority), default=None)
    apply(tx, session_id, "side_effect", worst, version)


def evaluate_note(tx: Transaction, note: dict) -> None:
    """An escalation note ("call supervisor") raises a high alert."""
    rules, version = ruleset(tx.db)
    finding = alert_rules.evaluate_note(note["kind"], note["text"], rules)
    if finding and session_state(tx.db, note["session_id"]) not in sessions.FINAL:
        apply(tx, note["session_id"], finding.key, finding, version)


def evaluate_suicidality(tx: Transaction, session_id: int, assessment: dict) -> None:
    """A PHQ-9 with item 9 positive raises the high `suicidality` alert; one with item 9 at 0 changes
    nothing: the alert stays until a clinician acknowledges it."""
    rules, version = ruleset(tx.db)
    finding = alert_rules.evaluate_suicidality(assessment["items"], rules)
    if finding:
        apply(tx, session_id, finding.key, finding, version)


def rems_form_due(tx: Transaction, session_id: int, due_date: str, days_left: int) -> dict | None:
    """The day-6 reminder to clinicians of an esketamine session's REMS form not yet submitted (the
    scheduler asks); one per session, cleared when the form is marked submitted."""
    rules, version = ruleset(tx.db)
    rule = rules["rems_form_due"]
    left = f"{days_left} day{'' if days_left == 1 else 's'} left" if days_left >= 0 else "overdue"
    finding = Finding("rems_form_due", rule["priority"], f"REMS form due by {due_date}: {left}", days_left,
                      {"alert_on_day": rule["alert_on_day"], "due_date": due_date})
    return finding if apply(tx, session_id, finding.key, finding, version) == "raise" else None


def clear_rems_due(tx: Transaction, session_id: int) -> None:
    current = open_alert(tx.db, session_id, "rems_form_due")
    if current:
        clear(tx, current, "the REMS form was marked submitted")


def evaluate_transition(tx: Transaction, session_id: int, change: dict) -> None:
    """A confirmed high baseline raises `baseline_bp`; the schedule follows the state; an ended session clears all."""
    if change["to"] in sessions.FINAL:
        waiting = open_alert(tx.db, session_id, "suicidality")
        if change["to"] == "discharged" and waiting and waiting["state"] == "active":
            raise Conflict("a clinician must assess the suicide risk and acknowledge the suicidality alert "
                           "before discharge")
        for alert in listing(tx.db, "active", session_id):
            if alert["key"] not in CLINICIAN_ASSESSES:
                clear(tx, alert, f"the session was {change['to']}")
        return
    rules, version = ruleset(tx.db)
    if change["from"] == "baseline" and change["to"] == "infusing":
        baseline = sessions.baseline_vitals(tx.db, session_id, before=change["at"])
        finding = baseline and alert_rules.evaluate_baseline(baseline["sbp"], baseline["dbp"], rules)
        if finding:
            apply(tx, session_id, "baseline_bp", finding, version)
    evaluate_time_rules(tx, session_id, rules, version)


# The rules that depend on time (also run by the scheduler)

def time_findings(db: Database, session_id: int, now: datetime, rules: dict) -> dict[str, Finding | None]:
    """Vitals overdue and infusion overtime for one session at `now`."""
    state, planned = db.execute("SELECT state, planned_minutes FROM sessions WHERE id = ?", (session_id,)).fetchone()
    last = db.execute("SELECT MAX(taken_at) FROM vitals_current WHERE session_id = ?", (session_id,)).fetchone()[0]
    since_last = minutes_between(parse_stored(last), now) if last else None
    found = {"vitals_overdue": alert_rules.vitals_overdue(state, since_last, rules), "infusion_overtime": None}
    if state in ("infusing", "paused"):
        infusing = minutes_infusing(sessions.transitions(db, session_id), now)
        found["infusion_overtime"] = alert_rules.infusion_overtime(infusing, planned, rules)
    return found


def minutes_infusing(steps: list[dict], now: datetime) -> float:
    """Time spent infusing so far, pauses excluded."""
    total = 0.0
    for step, following in zip(steps, steps[1:] + [None]):
        if step["to"] == "infusing":
            end = parse_stored(following["at"]) if following else now
            total += minutes_between(parse_stored(step["at"]), end)
    return total


def evaluate_time_rules(tx: Transaction, session_id: int, rules: dict | None = None,
                        version: int | None = None, current: dict[str, dict] | None = None) -> int:
    """Apply the time rules at the transaction's time; return how many alerts changed."""
    if rules is None:
        rules, version = ruleset(tx.db)
    if current is None:
        current = open_alerts(tx.db, session_id)
    changed = 0
    for key, finding in time_findings(tx.db, session_id, tx.now, rules).items():
        action = apply(tx, session_id, key, finding, version, current.get(key))
        changed += action not in ("none", "condition_cleared", "condition_holds")
    return changed


def time_rules_due(db: Database, session_id: int, now: datetime, rules: dict) -> bool:
    """Whether the time rules would change an alert of this session now (read only)."""
    current = open_alerts(db, session_id)
    return any(decide(current.get(key), finding) != "none"
               for key, finding in time_findings(db, session_id, now, rules).items())
