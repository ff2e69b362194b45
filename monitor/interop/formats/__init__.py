"""Reading vitals out of files: CSV exports, HL7 v2 messages from monitors, FHIR R4 resources.

Pure functions, no Flask and no database: `parse` turns the bytes of one file into readings in
the vitals API's field names, with what was skipped or rejected and why. Storing them (the
three validation tiers, duplicates, one transaction, events) is the caller's business.

Libraries: python-hl7 splits HL7 v2 messages, fhir.resources (its R4B models, the closest it
ships to FHIR 4.0.1) checks FHIR resources, lxml reads XML, the csv module reads CSV.
"""
from __future__ import annotations

from datetime import tzinfo
from importlib import import_module

from ...errors import BadRequest
from .detect import detect_format
from .model import ParsedFile, Reading, complete, empty

__all__ = ["FORMATS", "ParsedFile", "Reading", "detect_format", "parse"]

# format -> (module, function); imported on first use, so a CSV import does not load the FHIR
# models (a quarter of a second) nor the HL7 library.
FORMATS = {"csv": ("csv_format", "parse_csv"), "hl7": ("hl7_format", "parse_hl7"),
           "fhir": ("fhir_format", "parse_fhir"), "course": ("course_format", "parse_course")}


def parse(data: bytes, *, format: str | None = None, tz: tzinfo) -> ParsedFile:
    """Read one file; `format` None means detect it from the content.

    Times without an offset are taken in `tz`, the clinic's zone. A file malformed as a whole
    raises ValidationFailed naming the line, entry or segment; an empty file, or one holding
    nothing to import, gives an empty ParsedFile whose `skipped` says why.
    """
    if format is not None and format not in FORMATS:
        raise BadRequest(f"Unknown import format {format!r}", fields={"format": "must be csv, hl7 or fhir"})
    if not data.strip():
        return empty(format or "csv", "line 1", "the file is empty")
    format = format or detect_format(data)
    module, function = FORMATS[format]
    return complete(getattr(import_module(f".{module}", __name__), function)(data, tz))

