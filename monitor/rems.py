"""Esketamine REMS monitoring (CLINICAL.md §1): the three blood pressures and the observation time.

The programme asks for a BP before dosing, about 40 minutes after, and before discharge,
and at least two hours of observation from the first dose. The windows are data; the
functions only pick the reading that answers each checkpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .timeutil import iso, minutes_between, parse_stored


@dataclass(frozen=True)
class Checkpoint:
    """A BP the programme asks for: taken `start`..`end` minutes from the first dose."""

    key: str
    label: str
    start: float | None  # None: any time before `end`
    end: float | None  # None: until discharge
    target: float | None = None  # pick the reading nearest this minute; else the latest in the window


CHECKPOINTS = (
    Checkpoint("pre_dose", "Pre-dose BP", None, 0),
    Checkpoint("forty_minutes", "BP about 40 minutes after dosing", 30, 55, target=40),
    Checkpoint("pre_discharge", "Pre-discharge BP", 55, None),
)


def checkpoints(first_dose: str | None, discharged: str | None, readings: list[dict], now: datetime) -> list[dict]:
    """Each checkpoint with the reading that answers it and its status: done, due or missed."""
    dose = parse_stored(first_dose) if first_dose else None
    bp = [r for r in readings if r.get("sbp") is not None and r.get("status", "current") == "current"]
    return [answer(point, dose, parse_stored(discharged) if discharged else None, bp, now) for point in CHECKPOINTS]


def answer(point: Checkpoint, dose: datetime | None, discharged: datetime | None, bp: list[dict],
           now: datetime) -> dict:
    """One checkpoint: the reading taken inside its window, when it is due, and whether it was missed."""
    if dose is None:
        inside = [r for r in bp if point.start is None]
        due_at = None
    else:
        inside = [r for r in bp if within(point, minutes_between(dose, parse_stored(r["taken_at"])), discharged, r)]
        due_at = iso(dose + timedelta(minutes=point.target or point.start or 0))
    reading = pick(point, dose, inside)
    closes = window_close(point, dose, discharged)
    status = "done" if reading else ("missed" if closes is not None and closes <= now else "due")
    return {"key": point.key, "label": point.label, "due_at": due_at, "status": status,
            "reading": reading and {k: reading.get(k) for k in ("sbp", "dbp", "taken_at")}}


def within(point: Checkpoint, minute: float, discharged: datetime | None, reading: dict) -> bool:
    if point.start is not None and minute < point.start:
        return False
    if point.end is not None and minute > point.end:
        return False
    return discharged is None or parse_stored(reading["taken_at"]) <= discharged


def pick(point: Checkpoint, dose: datetime | None, inside: list[dict]) -> dict | None:
    if not inside:
        return None
    if point.target is None or dose is None:
        return max(inside, key=lambda r: r["taken_at"])
    return min(inside, key=lambda r: abs(minutes_between(dose, parse_stored(r["taken_at"])) - point.target))


def window_close(point: Checkpoint, dose: datetime | None, discharged: datetime | None) -> datetime | None:
    """When the checkpoint can no longer be met: its window's end, or discharge for the last one."""
    if dose is None:
        return None
    if point.end is None:
        return discharged
    return dose + timedelta(minutes=point.end)


def observation(first_dose: str | None, ready: str | None, discharged: str | None, now: datetime,
                minimum_minutes: float) -> dict:
    """Minutes observed since the first dose, when discharge is first allowed, and minutes to readiness."""
    if not first_dose:
        return {"observed_minutes": None, "discharge_allowed_at": None, "ready_after_minutes": None,
                "minimum_minutes": minimum_minutes}
    dose = parse_stored(first_dose)
    end = parse_stored(discharged) if discharged else now
    return {
        "observed_minutes": round(minutes_between(dose, end), 1),
        "discharge_allowed_at": iso(dose + timedelta(minutes=minimum_minutes)),
        "ready_after_minutes": round(minutes_between(dose, parse_stored(ready)), 1) if ready else None,
        "minimum_minutes": minimum_minutes,
    }
