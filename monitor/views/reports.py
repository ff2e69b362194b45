"""Clinic analytics for the reports page: sessions per week, BP rise, side-effect rates, recovery times.

Counted over the sessions whose infusion (or nasal dosing) started in the window, found on the
index of `sessions.first_dose_at`; the per-session figures are the treatment series' own definitions
(`session_record.series_row`: the last BP before the first dose, the highest after it, first recovery
to last ready), read in one query for the whole window, so the page costs what its window holds.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, time, timedelta, tzinfo

from sqlite_utils import Database

from ..store import migrations
from ..timeutil import iso, minutes_between, parse_stored

BP_RISE_BIN_MMHG = 10
RECOVERY_BIN_MINUTES = 10


def clinic_report(db: Database, now: datetime, zone: tzinfo, weeks: int = 12) -> dict:
    """The figures of the last `weeks` calendar weeks (Monday to Sunday in the clinic's zone)."""
    start = week_start(now, zone) - timedelta(weeks=weeks - 1)
    rows = window_rows(db, iso(start))
    return {
        "since": iso(start),
        "sessions": len(rows),
        "per_week": per_week([r["first_dose_at"] for r in rows], start, weeks, zone),
        "bp_rise": distribution([r["sbp_rise"] for r in rows if r["sbp_rise"] is not None], BP_RISE_BIN_MMHG),
        "recovery": distribution([r["recovery_minutes"] for r in rows if r["recovery_minutes"] is not None],
                                 RECOVERY_BIN_MINUTES),
        "side_effects": side_effect_rates(db, iso(start), len(rows)),
        "totals": totals(db),
    }


def week_start(moment: datetime, zone: tzinfo) -> datetime:
    """Midnight of the Monday of `moment`'s week, in the clinic's zone."""
    local = moment.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(0), tzinfo=zone)


# Each figure from the session when it is signed (kept there at signing), else from its record.
WINDOW_ROWS = "SELECT s.first_dose_at, " + ", ".join(
    f"CASE WHEN s.signed_at IS NULL THEN {live} ELSE s.{name} END"
    for name, live in migrations.figures_sql("s.id", "s.first_dose_at").items()
) + " FROM sessions s WHERE s.first_dose_at >= ?"


def window_rows(db: Database, since: str) -> list[dict]:
    """Each session first dosed since `since`: its first dose, SBP rise over baseline and recovery minutes."""
    rows = []
    for first_dose, baseline, peak, recovery, ready in db.execute(WINDOW_ROWS, (since,)):
        rise = peak - baseline if peak is not None and baseline is not None else None
        rows.append({"first_dose_at": first_dose, "sbp_rise": rise,
                     "recovery_minutes": round(minutes_between(parse_stored(recovery), parse_stored(ready)), 1)
                     if recovery and ready else None})
    return rows


def per_week(first_doses: list[str], start: datetime, weeks: int, zone: tzinfo) -> list[dict]:
    """Sessions counted in the week their first dose fell in; empty weeks included."""
    counts = [0] * weeks
    for first in first_doses:
        index = (parse_stored(first).astimezone(zone).date() - start.date()).days // 7
        if 0 <= index < weeks:
            counts[index] += 1
    return [{"week": (start.date() + timedelta(weeks=i)).isoformat(), "sessions": n} for i, n in enumerate(counts)]


def distribution(values: list[float], width: float) -> dict:
    """Count, median, 90th percentile (nearest rank) and bins of `width` covering every value."""
    if not values:
        return {"count": 0, "median": None, "p90": None, "bins": []}
    ordered = sorted(values)
    low, high = math.floor(ordered[0] / width) * width, math.floor(ordered[-1] / width) * width
    edges = range(int(low), int(high) + 1, int(width))
    counts = Counter(int(math.floor(v / width) * width) for v in ordered)
    bins = [{"from": edge, "to": edge + width, "count": counts[edge]} for edge in edges]
    return {"count": len(ordered), "median": median(ordered), "p90": nearest_rank(ordered, 0.9), "bins": bins}


def median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value, 1)


def nearest_rank(ordered: list[float], fraction: float) -> float:
    return round(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)], 1)


def side_effect_rates(db: Database, since: str, total: int) -> list[dict]:
    """Per kind: how many of the `total` sessions first dosed since `since` had it (and how many
    severely), as a share of all of them."""
    if not total:
        return []
    cursor = db.execute(
        "SELECT kind, COUNT(DISTINCT session_id), COUNT(DISTINCT CASE WHEN severity = 'severe' OR serious"
        " THEN session_id END) FROM side_effects WHERE session_id IN"
        " (SELECT id FROM sessions WHERE first_dose_at >= ?) GROUP BY kind", (since,))
    rates = [{"kind": kind, "sessions": n, "severe_sessions": severe, "percent": round(100 * n / total, 1)}
             for kind, n, severe in cursor]
    return sorted(rates, key=lambda r: (-r["sessions"], r["kind"]))


def totals(db: Database) -> dict:
    """The clinic's totals since it opened (patients, sessions, sessions dosed, records signed), from the
    summary the write transactions keep (migration CLINIC_TOTALS)."""
    return dict(db.execute("SELECT name, count FROM clinic_totals"))
