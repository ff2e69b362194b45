"""What the API and the pages share in a request: the store, the clinic's zone, the signed-in user's
write transaction and audited read, who may record and who may review, and a report's time window, and a list's page."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, request

from ..errors import BadRequest
from ..record import users
from ..store.paging import DEFAULT_LIMIT, MAX_LIMIT, Cursors
from ..timeutil import parse

RECORDERS = users.RECORDERS
REVIEWERS = ("clinician", "admin")
REPORT_DAYS = 7  # a report's window when none is given: the last week


def store():
    return current_app.extensions["monitor.store"]


def zone():
    return current_app.extensions["monitor.config"].timezone


def rems_provider() -> dict:
    """The REMS form's monitoring provider and setting: the clinic's name and certification (settings)."""
    config = current_app.extensions["monitor.config"]
    return {"name": config.clinic_name, "certification": config.rems_certification}


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


PAGE_ARGS = ("limit", "cursor")


def audited_list(entity: str, items: list[dict]) -> None:
    """A read of a list that shows patients' names or MRNs (patient search, session lists, the REMS list)
    leaves one audit entry: which list, asked how, and the ids of the records it returned."""
    asked = {k: v for k, v in sorted(request.args.items()) if k != "cursor"}
    with writing() as tx:
        ids = [item.get("id", item.get("session_id")) for item in items]
        tx.audit("read.list", entity, None, after={"query": asked, "ids": ids})


def page(list_name: str, fetch) -> tuple[list[dict], str | None]:
    """This request's page of a list and the cursor of the next (or None). `fetch(after, limit)` gives the
    items and the key to continue after; the cursor is that key, signed for this list and its filters."""
    filters = {k: v for k, v in sorted(request.args.items()) if k not in PAGE_ARGS}
    cursors = Cursors(current_app.secret_key)
    given = request.args.get("cursor")
    items, last = fetch(cursors.decode(list_name, filters, given) if given else None, limit_arg())
    return items, cursors.encode(list_name, filters, last) if last else None


def limit_arg() -> int:
    """`limit`: 100 when absent, 1 to 1000 (CONTRACT.md §2), else a bad request."""
    raw = request.args.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}", {"limit": "out of range"})
    return int(raw)
