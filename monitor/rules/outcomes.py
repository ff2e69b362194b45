"""The course rules of CLINICAL.md §8, pure: baseline, change, response, remission, worsening, and
"not returned". Their numbers are the clinic's settings (`outcomes` in the rule set in force).
"""
from __future__ import annotations

from datetime import datetime, timedelta


def asked_instruments(indication: str | None, settings: dict) -> list[str]:
    """The outcome measures a session asks for, from its indication ("treatment-resistant depression"
    asks for what `depression` names); an indication the settings do not name asks for `other`."""
    by_indication = settings["instruments_by_indication"]
    text = (indication or "").lower()
    for key, names in by_indication.items():
        if key != "other" and key in text:
            return list(names)
    return list(by_indication.get("other", []))


def change_pct(total: int, baseline: int | None) -> float | None:
    """(total − baseline) / baseline × 100, negative when better; None without a baseline above 0."""
    if baseline is None or baseline == 0:
        return None
    return round((total - baseline) * 100 / baseline, 1)


def responded(total: int, baseline: int | None, settings: dict) -> bool | None:
    """A fall of at least `response_fall_pct` (50 %) from a baseline above 0 (exact, not rounded)."""
    if baseline is None or baseline == 0:
        return None
    return (baseline - total) * 100 >= settings["response_fall_pct"] * baseline


def remitted(instrument: str, total: int, settings: dict) -> bool | None:
    """At or below the remission cut-off (PHQ-9 and GAD-7 ≤ 4, MADRS ≤ 10); None where there is none."""
    cutoff = settings["remission_at_most"].get(instrument)
    return None if cutoff is None else total <= cutoff


def worsened(instrument: str, total: int, previous: int | None, settings: dict) -> bool:
    """A rise of at least `worsening_rise` (PHQ-9: 5 points) over the previous score."""
    rise = settings["worsening_rise"].get(instrument)
    return rise is not None and previous is not None and total - previous >= rise


def course_point(instrument: str, total: int, baseline: int | None, previous: int | None, settings: dict) -> dict:
    """One score against its course: `baseline` is None for the baseline itself."""
    return {"baseline": total if baseline is None else baseline, "is_baseline": baseline is None,
            "change": None if baseline is None else total - baseline,
            "change_pct": change_pct(total, baseline), "response": responded(total, baseline, settings),
            "remission": remitted(instrument, total, settings),
            "worsening": worsened(instrument, total, previous, settings),
            "meaningful_fall": meaningful_fall(instrument, total, baseline, settings)}


def meaningful_fall(instrument: str, total: int, baseline: int | None, settings: dict) -> bool | None:
    """PCL-5: a fall of at least `pcl5_meaningful_fall` (10) points from baseline is a clinically meaningful
    change; None for the other measures and for the baseline itself."""
    if instrument != "pcl5" or baseline is None:
        return None
    return baseline - total >= settings["pcl5_meaningful_fall"]


def course_series(instrument: str, scores: list[dict], settings: dict) -> list[dict]:
    """Each score of one instrument in course order (`scores` carry `total`), with its course figures:
    the first is the baseline."""
    out, baseline, previous = [], None, None
    for entry in scores:
        point = course_point(instrument, entry["total"], baseline, previous, settings)
        out.append(entry | point)
        baseline = point["baseline"]
        previous = entry["total"]
    return out


def not_returned(last_given: datetime | None, given: int, booked_after: bool, now: datetime,
                 settings: dict) -> dict:
    """A patient whose course stopped: fewer than `course_infusions` (6) given, none booked or given
    since the last, and more than `not_returned_days` (7) days gone by since it."""
    days = settings["not_returned_days"]
    if last_given is None:
        return {"not_returned": False, "next_due_by": None, "days_since_last": None}
    due_by = last_given + timedelta(days=days)
    since = (now - last_given).total_seconds() / 86400
    stopped = given < settings["course_infusions"] and not booked_after and now > due_by
    return {"not_returned": stopped, "next_due_by": due_by, "days_since_last": round(since, 1)}
