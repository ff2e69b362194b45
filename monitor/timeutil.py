"""Times: ISO 8601 in, UTC with a Z out, naive times taken in the clinic's zone.

A time sent without an offset is read on the clinic's clock, so the clock's own oddities are
refused where the time enters: a time the spring-forward gap skips does not exist, and a time
the fall-back hour repeats is ambiguous until the sender says which offset it meant.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from .errors import BadRequest, ValidationFailed

CLOCK_SKEW = timedelta(minutes=2)
LATE_AFTER = timedelta(minutes=10)
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)  # no clinical time is older, birth date or not


class ClockProblem(ValueError):
    """A naive time the clinic's clock skips or repeats: the message says which, and what to send."""


def iso(moment: datetime) -> str:
    """UTC with a Z, to the millisecond, always with a four-digit year."""
    moment = moment.astimezone(timezone.utc)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}"
            f":{moment.second:02d}.{moment.microsecond // 1000:03d}Z")


def offset_text(moment: datetime) -> str:
    """The UTC offset of an aware time as ISO writes it: +01:00."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def on_clinic_clock(naive: datetime, zone: tzinfo) -> datetime:
    """A naive time placed in `zone`; ClockProblem when the zone's clock skips it or shows it twice."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.strftime("%H:%M on %Y-%m-%d")
    name = getattr(zone, "key", str(zone))
    back = first.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
    if back != naive:  # the gap: no moment shows this time
        raise ClockProblem(f"{shown} does not exist in {name}: the clocks went forward past it; check the time")
    raise ClockProblem(f"{shown} happens twice in {name} (at {offset_text(first)} and {offset_text(second)}): "
                       f"send the time with the offset you mean, e.g. {naive.isoformat()}{offset_text(first)}")


def parse(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time; without an offset it is taken in `zone`. Returns UTC.

    ValueError when it is not ISO or lies outside what a date can hold once its offset is applied;
    ClockProblem (a ValueError) for a naive time the clinic's clock skips or repeats."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        moment = on_clinic_clock(moment, zone)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+14:00, 9999-12-31T23:59:59-14:00
        raise ValueError("the time is out of range") from None


SHORT_YEAR = re.compile(r"^(\d{1,3})-")  # `999-01-01T…`: how a year before 1000 was once stored


def parse_stored(text: str) -> datetime:
    """A time as the database holds it. Rows from before times were checked where they enter may hold
    a year of fewer than four digits: read as the year it is. ValueError when it cannot be read."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        padded = SHORT_YEAR.sub(lambda m: m.group(1).zfill(4) + "-", text, count=1)
        if padded == text:
            raise
        return datetime.fromisoformat(padded)


def stored_problem(text) -> str | None:
    """Why a stored time cannot be shown as a clinical time (unreadable, or before 1900), or None."""
    try:
        moment = parse_stored(text)
    except (TypeError, ValueError):
        return "not a readable time"
    if moment.tzinfo is not None and moment < EARLIEST or moment.tzinfo is None and moment.year < 1900:
        return "before 1900"
    return None


def day_start(day: date | str | None, zone: tzinfo) -> datetime:
    """The first moment of a calendar day on the clinic's clock (EARLIEST when there is no day, or it is older)."""
    if day is None:
        return EARLIEST
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return max(EARLIEST, datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc))


def clinical_time(value, field: str, zone: tzinfo, now: datetime, *, earliest: datetime = EARLIEST) -> datetime:
    """A clinical time from a request: defaults to now; refused when not ISO, skipped or repeated by the
    clinic's clock, in the future, or before `earliest` (the patient's birth, or 1900)."""
    if value is None:
        return now
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be an ISO 8601 time", {field: "must be an ISO 8601 time"})
    try:
        moment = parse(value, zone)
    except ClockProblem as problem:
        raise ValidationFailed(f"{field}: {problem}", {field: str(problem)}) from None
    except ValueError:
        raise BadRequest(f"{field} is not an ISO 8601 time", {field: "is not an ISO 8601 time"}) from None
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed(f"{field} is in the future", {field: "is in the future"})
    if moment < earliest:
        before = "1900" if earliest == EARLIEST else "the patient's birth date"
        raise ValidationFailed(f"{field} is before {before}", {field: f"is before {before}"})
    return moment


def is_late(clinical: datetime, entered: datetime) -> bool:
    return entered - clinical > LATE_AFTER


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60
