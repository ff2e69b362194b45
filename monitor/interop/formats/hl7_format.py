"""HL7 v2 ORU^R01 messages as patient monitors send them (IHE PCD-01), also wrapped in SOAP XML.

python-hl7 splits the message; this module knows what monitors put in it (CLINICAL.md §7):
OBX-3 is an MDC code (matched on the code, names vary by vendor), OBX-6 an MDC or UCUM unit,
OBX-7 the alarm limits (ignored), OBX-14 the time, else OBR-7 of the group; 8388607 means
"not available"; rows without a value describe the device, not the patient.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

import hl7
from hl7.datatypes import parse_datetime

from ...errors import ValidationFailed
from ..codes import LOINC_FIELDS, LOINC_NOT_IMPORTED, MDC_FIELDS, MDC_NOT_A_VALUE, MDC_NOT_IMPORTED, UnitError, convert
from .model import Collector, OutOfRange, ParsedFile, number_text, parse_xml, to_utc

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
SEGMENT_END = re.compile(r"\r\n|\r|\n")
HL7_TIME = re.compile(r"(\d{4}(?:\d{2}){0,5}(?:\.\d{1,4})?)([+-]\d{4})?")
ENVELOPES = ("FHS", "BHS", "FTS", "BTS")
REMOVED = {"W": "OBX-11 'W': the result was posted as wrong", "D": "OBX-11 'D': the result was deleted"}


def parse_hl7(data: bytes, zone: tzinfo) -> ParsedFile:
    """Read every OBX of every message in the file."""
    text = unwrap_soap(data) if data.lstrip()[:1] == b"<" else decode(data)
    messages = group_messages(split_segments(text))
    out = Collector("hl7")
    observations = 0
    for number, segments in enumerate(messages, 1):
        message = hl7.parse("\r".join(segments))
        prefix = f"message {number} " if len(messages) > 1 else ""
        observations += read_message(message, prefix, zone, out)
    if not observations:
        out.skip("segment 1", "the message holds no OBX observation")
    return out.result()


def malformed(where_what: str) -> ValidationFailed:
    return ValidationFailed(f"Not a readable HL7 v2 message: {where_what}", fields={"file": where_what})


def decode(data: bytes) -> str:
    """Text in the character set MSH-18 declares (8859/1 is Latin-1); UTF-8 when it declares none."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    first = SEGMENT_END.split(data.decode("latin-1"), maxsplit=1)[0].lstrip("\x0b \t")
    fields = first.split(first[3]) if len(first) > 3 else []
    charset = fields[17].split("~")[0].strip().upper() if len(fields) > 17 else ""
    if match := re.fullmatch(r"8859/(\d+)", charset):
        encoding = f"iso8859_{match[1]}"
    else:
        encoding = "ascii" if charset == "ASCII" else "utf-8"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


def unwrap_soap(data: bytes) -> str:
    """The HL7 message inside a SOAP envelope (IHE PCD-01 CommunicatePCDData); XML unescapes it."""
    root = parse_xml(data, malformed)
    for element in root.iter():
        if isinstance(element.tag, str) and (element.text or "").lstrip().startswith(("MSH", "FHS", "BHS")):
            return element.text
    raise malformed("line 1: XML without an HL7 message inside")


def split_segments(text: str) -> list[str]:
    """Segments ended by CR, LF or CRLF (MLLP framing and indentation removed), each checked."""
    text = text.replace("\x0b", "").replace("\x1c", "")
    segments = [line.strip() for line in SEGMENT_END.split(text) if line.strip()]
    if not segments:
        raise malformed("segment 1: no segments")
    first = segments[0]
    if first[:3] not in ("MSH", "FHS", "BHS"):
        raise malformed(f"segment 1: '{first[:20]}' is not a message header (MSH)")
    if len(first) < 8:
        raise malformed(f"segment 1: {first[:3]} without its separator and encoding characters")
    separator = first[3]
    for number, segment in enumerate(segments, 1):
        if not SEGMENT_ID.fullmatch(segment[:3]) or (len(segment) > 3 and segment[3] != separator):
            raise malformed(f"segment {number}: '{segment[:20]}' is not an HL7 segment")
    return segments


def group_messages(segments: list[str]) -> list[list[str]]:
    """The messages of a file or batch, without its FHS/BHS envelope."""
    messages: list[list[str]] = []
    for number, segment in enumerate(segments, 1):
        kind = segment[:3]
        if kind in ENVELOPES:
            continue
        if kind == "MSH":
            messages.append([segment])
        elif not messages:
            raise malformed(f"segment {number}: {kind} before any message header (MSH)")
        else:
            messages[-1].append(segment)
    if not messages:
        raise malformed("segment 1: no message header (MSH)")
    return messages


def sender_zone(message, zone: tzinfo) -> tzinfo:
    """The zone for times without an offset: the sender's, as MSH-7 gives it, else the clinic's.

    HL7 v2 says a time without an offset is in the sender's local zone. Real gateways show it:
    the acme example's OBR-7 "20110602045842+0000" and OBX-14 "20110602045842" are one moment.
    """
    match = HL7_TIME.fullmatch(value(message.segment("MSH"), 7))
    if match is None or match[2] is None:
        return zone
    sign = -1 if match[2][0] == "-" else 1
    try:
        return timezone(sign * timedelta(hours=int(match[2][1:3]), minutes=int(match[2][3:5])))
    except ValueError:  # +9999: no zone is that far from UTC, and no time of the message is read with it
        return zone


def value(segment, number: int, component: int = 1) -> str:
    """One field (component) of a segment; "" when the sender left it, or trailing fields, off."""
    try:
        return segment.extract_field(field_num=number, component_num=component).strip()
    except IndexError:
        return ""


def read_message(message, prefix: str, zone: tzinfo, out: Collector) -> int:
    """Read the OBX rows of one message, each timed by OBX-14 or its group's OBR-7; count them."""
    zone = sender_zone(message, zone)
    groups = sum(1 for segment in message if str(segment[0]) == "OBR")
    group, group_time, in_group, count = 0, "", 0, 0
    for segment in message:
        kind = str(segment[0])
        if kind == "OBR":
            group, group_time, in_group = group + 1, value(segment, 7), 0
        elif kind == "OBX":
            count, in_group = count + 1, in_group + 1
            where = f"{prefix}{f'OBR {group} ' if groups > 1 else ''}OBX {value(segment, 1) or in_group}"
            read_obx(segment, where, group_time, zone, out)
    return count


def read_obx(segment, where: str, group_time: str, zone: tzinfo, out: Collector) -> None:
    """One observation row: a vitals value, or a skip or rejection saying why not."""
    text = value(segment, 5)
    if not text:
        out.skip(where, "a device or group row without a value")
        return
    field, rank, reason = meaning(segment)
    if not field:
        out.skip(where, reason)
        return
    status, own_time = status_and_time(segment)
    kind = value(segment, 2).upper()
    if status in REMOVED:
        out.skip(where, REMOVED[status])
    elif kind not in ("NM", ""):
        out.skip(where, f"{value(segment, 3, 2) or field}: OBX-2 is {kind}, not a number")
    else:
        read_number(segment, where, text, field, rank, own_time or group_time, zone, out)


def read_number(segment, where: str, text: str, field: str, rank: int, stamp: str, zone: tzinfo,
                out: Collector) -> None:
    try:
        number = float(text)
    except ValueError:
        out.reject(where, field, f"OBX-5 '{text}' is not a number")
        return
    if number in MDC_NOT_A_VALUE:
        out.skip(where, f"{number_text(number)} means 'not available', not a value")
        return
    try:
        number = convert(field, number, [value(segment, 6, 1), value(segment, 6, 2)])
    except UnitError as error:
        out.reject(where, field, f"OBX-6: {error}")
        return
    if not stamp:
        out.reject(where, "taken_at", "no time: neither OBX-14 nor OBR-7 gives one")
        return
    try:
        moment, date_only = hl7_time(stamp, zone)
    except OutOfRange as error:
        out.reject(where, "taken_at", str(error))
        return
    except ValueError:
        out.reject(where, "taken_at", f"'{stamp}' is not an HL7 time (YYYYMMDDHHMMSS[+ZZZZ])")
        return
    out.add(where, moment, field, number, rank=rank, source=value(segment, 3, 2) or where, date_only=date_only)


def meaning(segment) -> tuple[str, int, str]:
    """(field, rank, "") for a vitals code in OBX-3 (or its alternate), else ("", 0, why not)."""
    for code_at, system_at in ((1, 3), (4, 6)):
        code, system = value(segment, 3, code_at), value(segment, 3, system_at).upper()
        if not code:
            continue
        fields, not_imported = (LOINC_FIELDS, LOINC_NOT_IMPORTED) if system in ("LN", "LOINC") else \
            (MDC_FIELDS, MDC_NOT_IMPORTED)
        if code in fields:
            return *fields[code], ""
        if code in not_imported:
            return "", 0, not_imported[code]
    name = value(segment, 3, 2)
    return "", 0, f"{value(segment, 3)} {name} is not a vitals field".replace("  ", " ")


def status_and_time(segment) -> tuple[str, str]:
    """OBX-11 and OBX-14, tolerating rows shifted one field early (OBX-10 and OBX-13), as in IHE's SOAP example."""
    status, stamp = value(segment, 11), value(segment, 14)
    if not status and len(value(segment, 10)) == 1:
        status, stamp = value(segment, 10), stamp or shifted_time(value(segment, 13))
    return status.upper(), stamp


def shifted_time(text: str) -> str:
    return text if HL7_TIME.fullmatch(text) else ""


def hl7_time(text: str, zone: tzinfo) -> tuple[datetime, bool]:
    """An HL7 DTM in UTC (no offset: the clinic's zone), and whether it gave only a date."""
    match = HL7_TIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return to_utc(parse_datetime(text), zone, text), len(match[1]) <= 8
