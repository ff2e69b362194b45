"""Which format a file is in, from its first bytes."""
from __future__ import annotations

import re

BYTE_ORDER_MARK = b"\xef\xbb\xbf"
SEGMENT = re.compile(rb"[A-Z][A-Z0-9]{2}\|")


def detect_format(data: bytes) -> str:
    """The format's name: hl7 for a message (also one wrapped in SOAP XML), fhir for JSON or other XML, course for a
    course CSV, else csv."""
    start = data[:4096].removeprefix(BYTE_ORDER_MARK).lstrip(b" \t\r\n\x0b")
    if start[:3] in (b"MSH", b"FHS", b"BHS"):
        return "hl7"
    if SEGMENT.match(start) and re.search(rb"[\r\n](MSH|OBX)\|", data):  # a message missing its header
        return "hl7"
    if start[:1] in (b"{", b"["):
        return "fhir"
    if start[:1] == b"<":
        return "hl7" if b"MSH|" in data else "fhir"
    if start.startswith(b"series_number,session_id,"):  # a patient's course (exports.course_csv)
        return "course"
    return "csv"
