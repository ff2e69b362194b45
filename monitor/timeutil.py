"""Times: ISO 8601 in, UTC with a Z out, naive times taken in the clinic's zone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from .errors import BadRequest, ValidationFailed

CLOCK_SKEW = timedelta(minutes=2)
LATE_AFTER = timedelta(minutes=10)


def iso(moment: datetime) -> str:
    """UTC with a Z, to the millisecond."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(text: str, zone: tzinfo) -> datetime:
    """An ISO 8601 time; without an offset it is taken in `zone`. Returns UTC."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc)


def parse_stored(text: str) -> datetime:
    return datetime.fromisoformat(text)


def clinical_time(value, field: str, zone: tzinfo, now: datetime) -> datetime:
    """A clinical time from a request: defaults to now, refused when not ISO or in the future."""
    if value is None:
        return now
    if not isinstance(value, str):
        raise BadRequest(f"{field} must be an ISO 8601 time", {field: "must be an ISO 8601 time"})
    try:
        moment = parse(value, zone)
    except ValueError:
        raise BadRequest(f"{field} is not an ISO 8601 time", {field: "is not an ISO 8601 time"}) from None
    if moment > now + CLOCK_SKEW:
        raise ValidationFailed(f"{field} is in the future", {field: "is in the future"})
    return moment


def is_late(clinical: datetime, entered: datetime) -> bool:
    return entered - clinical > LATE_AFTER


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60
