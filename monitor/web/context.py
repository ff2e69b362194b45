"""What the API and the pages share in a request: the store, the clinic's zone, the signed-in user's
write transaction and audited read, who may record and who may review, and a report's time window."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, request

from ..errors import BadRequest
from ..record import users
from ..timeutil import parse

RECORDERS = users.RECORDERS
REVIEWERS = ("clinician", "admin")
REPORT_DAYS = 7  # a report's window when none is given: the last week


def store():
    return current_app.extensions["monitor.store"]


def zone():
    return current_app.extensions["monitor.config"].timezone


def writing():
    """The write transaction of this request, acting as the signed-in user."""
    return store().write(users.actor_for(g.user))


def audited_read(entity: str, entity_id: int, session_id: int | None = None) -> None:
    """Every read of a patient's record leaves an audit entry."""
    with writing() as tx:
        tx.audit("read", entity, entity_id, session_id=session_id)


def report_window() -> tuple[datetime, datetime]:
    """A report's window from `?from=&to=` (clinic time when no offset is given); 400 when unreadable."""
    end = moment_arg("to") or store().now()
    start = moment_arg("from") or end - timedelta(days=REPORT_DAYS)
    if start >= end:
        raise BadRequest("from must be before to", {"from": "must be before to"})
    return start, end


def moment_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return parse(raw, zone())
    except ValueError:
        raise BadRequest(f"{name} is not an ISO 8601 time", {name: "is not an ISO 8601 time"}) from None
