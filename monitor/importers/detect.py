"""Which format a file is in, from its first bytes."""
from __future__ import annotations

BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def detect_format(data: bytes) -> str:
    """"hl7" for a message (or one wrapped in SOAP XML), "fhir" for JSON or other XML, else "csv"."""
    start = data[:4096].removeprefix(BYTE_ORDER_MARK).lstrip(b" \t\r\n\x0b")
    if start[:3] in (b"MSH", b"FHS", b"BHS"):
        return "hl7"
    if start[:1] in (b"{", b"["):
        return "fhir"
    if start[:1] == b"<":
        return "hl7" if b"MSH|" in data else "fhir"
    return "csv"
