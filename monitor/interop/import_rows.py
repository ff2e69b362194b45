"""An import's checked readings as vitals rows and `vitals.batch` records, 500 at a time.

Once `begin` has read what the import's transaction knows (`Start`), building the batches is
pure: the writer holds the database, so the ids SQLite will give (the largest plus one) and
the seq of each batch's event are known in advance. NEWS2 is computed over the sorted readings
with the 30-minute window `vitals.news2_for` queries, the session's earlier records included,
so a record gets the score it would have had entered by hand. `Batches` gives the same batches
whether it runs in this process or in the second process of `import_worker`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from ..record import vitals
from ..rules import news2, validation
from ..store import events
from ..store.db import Transaction
from ..timeutil import LATE_AFTER, iso
from .import_check import Checked

MEASURES = validation.MEASURE_FIELDS
SBP, DBP = MEASURES.index("sbp"), MEASURES.index("dbp")
NEWS2_INPUTS = vitals.NEWS2_INPUTS
COLUMNS = ("session_id", "taken_at") + MEASURES + (
    "map", "news2", "note", "source", "entered_at", "entered_by", "late", "seq", "import_key")
INSERT = f"INSERT INTO vitals ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"


@dataclass
class Start:
    """What the import's transaction knows before its first insert."""

    session_id: int
    source: str
    known: set[str]  # import keys already in the session: those readings are duplicates
    first_id: int
    seq: int  # of the first batch's event
    entered_at: str
    entered_by: int | None
    username: str
    late_before: datetime  # readings taken before this are entered late
    earlier: list[tuple[datetime, tuple]] = field(default_factory=list)  # (taken_at, NEWS2 inputs) in the window


def begin(tx: Transaction, session_id: int, source: str, since: datetime | None) -> Start:
    """Read, inside the import's transaction, what building its rows needs. `since`: the time of the
    first reading to store (aligned), from which NEWS2 looks back at the session's records; None
    when the file has not been read yet (the whole session is read)."""
    earlier = [(datetime.fromisoformat(row[0]), row[1:]) for row in tx.execute(
        f"SELECT taken_at, {', '.join(NEWS2_INPUTS)} FROM vitals_current WHERE session_id = ? AND taken_at > ?"
        " ORDER BY taken_at, id", (session_id, iso(since - vitals.NEWS2_WINDOW) if since else ""))]
    return Start(
        session_id=session_id, source=source, known=existing_keys(tx.db, session_id),
        first_id=tx.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM vitals").fetchone()[0],
        seq=events.next_seq(tx.db), entered_at=iso(tx.now), entered_by=tx.actor.user_id,
        username=tx.actor.username, late_before=tx.now - LATE_AFTER, earlier=earlier)


def existing_keys(db, session_id: int) -> set[str]:
    """The import keys already stored in the session (read through the unique index)."""
    cursor = db.execute("SELECT import_key FROM vitals INDEXED BY vitals_import WHERE session_id = ?"
                        " AND import_key IS NOT NULL", (session_id,))
    return {row[0] for row in cursor}


@dataclass
class Batch:
    """Up to 500 rows to insert and, when asked for, their records as `vitals.get` shows them (without
    empty fields)."""

    rows: list[tuple]
    records: list[dict] | None
    seq: int  # of the batch's event
    first_id: int
    offset: int  # how many records of the import came before it

    def kept(self, source: str) -> dict:
        """What the event log keeps of the batch: the range of its records' ids (`record.feed.with_records`)."""
        return {"source": source, "batch_start": self.offset, "first_id": self.first_id,
                "last_id": self.first_id + len(self.rows) - 1}


class Batches:
    """Checked readings in, full batches out; readings already in the session are left out."""

    def __init__(self, start: Start, records: bool = True):
        self.start = start
        self.keep_records = records  # a batch built elsewhere has its records read back, if anyone listens
        self.new: list[Checked] = []  # every reading the import stores, in order
        self.pending: list[Checked] = []
        self.next_id, self.next_seq = start.first_id, start.seq
        self.newest: dict | None = None
        self.scores = News2Window(start.earlier)

    def add(self, checked: list[Checked]) -> list[Batch]:
        """The batches that are full once these readings (the next ones, in time order) are added."""
        known = self.start.known
        new = [c for c in checked if c.key not in known] if known else checked
        self.new.extend(new)
        self.pending.extend(new)
        size, out = events.BATCH_SIZE, []
        while len(self.pending) >= size:
            out.append(self.build(self.pending[:size]))
            del self.pending[:size]
        return out

    def rest(self) -> list[Batch]:
        """The last, partly filled batch, if any."""
        batch, self.pending = self.pending, []
        return [self.build(batch)] if batch else []

    def build(self, items: list[Checked]) -> Batch:
        start, first_id, seq, offset = self.start, self.next_id, self.next_seq, self.stored
        session_id, source, entered_at, entered_by = start.session_id, start.source, start.entered_at, start.entered_by
        late_before, scores = start.late_before, self.scores.scores(items)
        common = {"source": source, "entered_at": entered_at, "entered_by": start.username, "seq": seq,
                  "status": "current"}
        rows, records, last = [], [], len(items) - 1
        for index, item, (score, score_text) in zip(range(len(items)), items, scores):
            values = item.values
            measures = tuple(map(values.get, MEASURES))
            sbp, dbp = measures[SBP], measures[DBP]
            mean = None if sbp is None or dbp is None else round(dbp + (sbp - dbp) / 3)  # vitals' MAP
            taken_at, late, note = stamp(item.taken_at), item.taken_at < late_before, item.note
            rows.append((session_id, taken_at, *measures, mean, score_text, note, source, entered_at, entered_by,
                         late, seq, item.key))
            if self.keep_records or index == last:  # the newest record is the alert rules' input
                record = {"id": first_id + index, "session_id": session_id, "taken_at": taken_at, **values,
                          "news2": score, "late": late, **common}
                if mean is not None:
                    record["map"] = mean
                if note is not None:
                    record["note"] = note
                records.append(record)
        self.next_id, self.next_seq, self.newest = first_id + len(items), seq + 1, records[-1]
        return Batch(rows, records if self.keep_records else None, seq, first_id, offset)

    @property
    def stored(self) -> int:
        """Records in the batches built so far."""
        return self.next_id - self.start.first_id


def insert(tx: Transaction, session_id: int, rows: list[tuple], seq: int, kept: dict,
           records: list[dict] | None = None) -> None:
    """Insert a batch's rows and its `vitals.batch` event. The log keeps `kept` (the ids); this process's
    listeners are told the records, read back when the batch was built elsewhere."""
    tx.db.conn.executemany(INSERT, rows)
    if records is None and tx.listened:
        records = vitals.records_between(tx.db, kept["first_id"], kept["last_id"])
    told = kept if records is None else kept | {"records": records}
    envelope = tx.event("vitals.batch", session_id, told, kept=kept)
    assert envelope["seq"] == seq, "another event was written inside the import's transaction"


def check_ids(tx: Transaction, start: Start, stored: int) -> None:
    """Check that SQLite gave the ids the records were built with."""
    last_id = tx.execute("SELECT MAX(id) FROM vitals").fetchone()[0]
    assert last_id == start.first_id + stored - 1, "vitals ids were not consecutive inside the transaction"


def stamp(moment: datetime) -> str:
    """`timeutil.iso` of an aware UTC time already to the millisecond, for less (a long import formats
    every reading): isoformat() without a timespec is the fastest of datetime's formats."""
    text = moment.isoformat()  # 2026-11-23T10:04:15.123000+00:00, or without .123000
    return text[:23] + "Z" if moment.microsecond else text[:19] + ".000Z"


class News2Window:
    """NEWS2 of each new reading, as `vitals.news2_for` would give it stored one by one in time order:
    each parameter's latest value in the 30 minutes up to the reading, the session's current records
    (`earlier`) and the file's earlier readings included."""

    def __init__(self, earlier: list[tuple[datetime, tuple]]):
        self.earlier = iter(earlier)
        self.waiting = next(self.earlier, None)
        self.last_time: dict[str, datetime] = {}  # parameter -> when its latest value was taken
        self.last_value: dict[str, object] = {}
        self.scorer = Scorer()

    def scores(self, items: list[Checked]) -> list[tuple[dict, str]]:
        window, scorer, last_time, last_value = vitals.NEWS2_WINDOW, self.scorer, self.last_time, self.last_value
        points = [(name, scorer.points[name]) for name in NEWS2_INPUTS]
        out = []
        for item in items:
            moment = item.taken_at
            while self.waiting is not None and self.waiting[0] <= moment:
                for name, value in zip(NEWS2_INPUTS, self.waiting[1]):
                    if value is not None:
                        last_time[name], last_value[name] = self.waiting[0], value
                self.waiting = next(self.earlier, None)
            values, since, key = item.values, moment - window, []
            for name, known in points:
                value = values.get(name)
                if value is None:
                    if name not in last_time or last_time[name] <= since:
                        key.append(None)
                        continue
                    value = last_value[name]
                else:
                    last_time[name], last_value[name] = moment, value
                found = known.get(value)
                key.append(found if found is not None else scorer.point(name, value))
            out.append(scorer.total(tuple(key)))
        return out


class Scorer:
    """`news2.score` with each parameter's points and each total remembered (a few hundred distinct).

    Stored records are scored on SpO2 scale 1 (as `vitals.store` does), where the SpO2 points do not
    depend on oxygen; the oxygen itself scores as its own parameter.
    """

    def __init__(self):
        self.points: dict[str, dict] = {name: {} for name in NEWS2_INPUTS}
        self.totals: dict[tuple, tuple[dict, str]] = {}

    def point(self, name: str, value) -> int:
        points = news2.parameter_points({name: value})["o2" if name == "o2_lpm" else name]
        self.points[name][value] = points
        return points

    def total(self, points: tuple) -> tuple[dict, str]:
        """(score, its JSON) from the points of each of NEWS2_INPUTS (None where missing)."""
        found = self.totals.get(points)
        if found is None:
            found = self.totals[points] = self.compose(points)
        return found

    @staticmethod
    def compose(points: tuple) -> tuple[dict, str]:
        """The score from the points of each parameter, as news2.score adds them up."""
        given = dict(zip(NEWS2_INPUTS, points))
        total = sum(p or 0 for p in points)
        result = {"score": total, "band": news2.band_for(total), "single_3": 3 in points,
                  "partial": any(given[name] is None for name in news2.REQUIRED)}
        return result, json.dumps(result)
