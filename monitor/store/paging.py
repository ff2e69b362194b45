"""Keyset paging, the one way every list pages (CONTRACT.md §2 "Lists page").

A page is the rows after the last one shown, in the order of an index, never OFFSET: page 300
costs what page 1 costs. The cursor carries the last row's sort key, signed (itsdangerous) for
one list and its filters, so a cursor from another list, from other filters, or edited by hand
is a 400.
"""
from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer
from sqlite_utils import Database

from ..errors import BadRequest

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
SCALARS = (str, int, float, type(None))


@dataclass(frozen=True)
class Order:
    """A list's sort key: SQL expressions, all descending or all ascending, the last one unique (an id)."""
    columns: tuple[str, ...]
    descending: bool = True


def keyset(db: Database, select: str, where: list[str], params: list, order: Order, after: list | None,
           limit: int) -> tuple[list[tuple], list | None]:
    """One page of `select` (… FROM …, without WHERE): its rows and the key to continue after, or None
    when nothing follows. The sort key is appended to the select and cut off the rows returned."""
    where, params = list(where), list(params)
    width = len(order.columns)
    if after is not None:
        if len(after) != width or not all(isinstance(v, SCALARS) and not isinstance(v, bool) for v in after):
            raise BadRequest("the cursor is not one this list gave", {"cursor": "not valid for this list"})
        where.append(f"({', '.join(order.columns)}) {'<' if order.descending else '>'} "
                     f"({', '.join('?' for _ in after)})")
        params += after
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    direction = " DESC" if order.descending else ""
    sql = (f"{select.replace(' FROM ', ', ' + ', '.join(order.columns) + ' FROM ', 1)}{clause}"
           f" ORDER BY {', '.join(c + direction for c in order.columns)} LIMIT ?")
    rows = db.execute(sql, params + [limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return [row[:-width] for row in rows], (list(rows[-1][-width:]) if more else None)


class Cursors:
    """Cursors signed with the app's secret, one salt per list, bound to the list's filters."""

    def __init__(self, secret: str | bytes):
        self.secret = secret

    def encode(self, list_name: str, filters: dict, key: list) -> str:
        return URLSafeSerializer(self.secret, salt=f"list:{list_name}").dumps({"f": filters, "k": key})

    def decode(self, list_name: str, filters: dict, cursor: str) -> list:
        """The key a cursor carries; 400 when another list or other filters made it, or it was altered."""
        try:
            data = URLSafeSerializer(self.secret, salt=f"list:{list_name}").loads(cursor)
        except BadData:
            raise BadRequest("the cursor is not one this list gave", {"cursor": "not valid for this list"}) from None
        if not isinstance(data, dict) or not isinstance(data.get("k"), list):
            raise BadRequest("the cursor is not one this list gave", {"cursor": "not valid for this list"})
        if data.get("f") != filters:
            raise BadRequest("the cursor was given for other filters; start again without it",
                             {"cursor": "given for other filters"})
        return data["k"]
