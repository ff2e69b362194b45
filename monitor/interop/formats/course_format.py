"""A course CSV (the export of `GET /api/patients/{id}/export`) read back: each infusion row's outcome
measures, with their item scores and the total the file gives, as scores for the row's session."""
from __future__ import annotations

import csv
import io
from datetime import tzinfo

from ...rules.instruments import OUTCOMES
from .model import ParsedFile, SkipLog

HEADER_START = b"series_number,session_id,"  # how detect_format tells a course from a vitals CSV


def parse_course(data: bytes, zone: tzinfo) -> ParsedFile:
    """One score per measure given on a row: {"where", "session_id", "instrument", "items", "at", "total"};
    the import scores the items again and refuses a row whose total disagrees."""
    rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    parsed, skips = ParsedFile("course"), SkipLog()
    for line, row in enumerate(rows, start=2):
        where = f"line {line}"
        for name, spec in OUTCOMES.items():
            total = (row.get(f"{name}_total") or "").strip()
            if not total:
                continue
            parsed.scores.append({
                "where": where, "session_id": whole(row.get("session_id")), "instrument": name,
                "items": {item: whole(row.get(f"{name}_{item}")) for item in spec["items"]},
                "at": (row.get(f"{name}_at") or "").strip() or None, "total": whole(total)})
    if not parsed.scores:
        skips.add("line 2", "the course holds no outcome measures")
    parsed.skipped = skips.as_list()
    return parsed


def whole(text: str | None):
    """A cell as a whole number, or the text as it is (the scoring then says what is wrong with it)."""
    text = (text or "").strip()
    try:
        return int(text)
    except ValueError:
        return text or None
