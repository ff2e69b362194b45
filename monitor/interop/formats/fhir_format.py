"""FHIR R4 Observations, alone or in a Bundle of any type, as JSON or XML.

fhir.resources checks each Observation (its R4B models: the package ships R5, R4B and STU3,
and R4B's Observation and Bundle are R4's for everything read here). Other resources are
skipped without being checked, and an entry that fails the check is skipped, not the file.
Observations of the same time merge into one reading.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo

import orjson
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from lxml import etree
from pydantic import ValidationError

from ...errors import ValidationFailed
from ..codes import (
    FIELD_LABELS,
    LOINC,
    LOINC_FIELDS,
    LOINC_NOT_IMPORTED,
    LOINC_PANELS,
    MDC_FIELDS,
    MDC_NOT_IMPORTED,
    MDC_PANELS,
    MDC_SYSTEMS,
    OUTCOME_QUESTIONNAIRES,
    UnitError,
    convert,
)
from .model import Collector, OutOfRange, ParsedFile, parse_xml, to_utc

FHIR_NAMESPACE = "http://hl7.org/fhir"
NOT_MEASURED = {"entered-in-error", "cancelled"}
OTHER_VALUES = ("valueCodeableConcept", "valueString", "valueBoolean", "valueRange", "valueRatio",
                "valueTime", "valueDateTime", "valuePeriod")


def parse_fhir(data: bytes, zone: tzinfo) -> ParsedFile:
    """Read every Observation of a resource or Bundle, JSON or XML."""
    out = Collector("fhir")
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    found = xml_observations(start, out) if start[:1] == b"<" else json_observations(start, out)
    for where, load in found:
        try:
            observation = load()
        except (ValidationError, ValueError) as error:
            out.skip(where, f"not a valid FHIR R4 Observation: {first_problem(error)}")
            continue
        except RecursionError:
            raise malformed(f"{where}: {NESTED}") from None
        read_observation(observation, where, zone, out)
    return out.result()


NESTED = "nested more deeply than any FHIR resource is"


def malformed(where_what: str) -> ValidationFailed:
    return ValidationFailed(f"Not a readable FHIR resource: {where_what}", fields={"file": where_what})


def first_problem(error: Exception) -> str:
    """The first of pydantic's errors, as "effectivePeriod.stop: Extra inputs are not permitted"."""
    if isinstance(error, ValidationError) and error.errors():
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"])
        return f"{location}: {problem['msg']}" if location else problem["msg"]
    return str(error).splitlines()[0]


def json_observations(data: bytes, out: Collector) -> Iterator[tuple]:
    """(where, loader) for each Observation of a JSON resource or Bundle; others are skipped."""
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        raise malformed(f"line {error.lineno} column {error.colno}: {error.msg}") from None
    except UnicodeDecodeError:
        raise malformed("line 1: not UTF-8 text") from None
    except RecursionError:
        raise malformed(NESTED) from None
    if b"\\u" in data:  # an escape: a lone surrogate ("\ud800") decodes to no character at all
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise malformed(f"line {error.lineno} column {error.colno}: a lone UTF-16 surrogate escape is not "
                            f"text ({error.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise malformed("resource: no resourceType, so not a FHIR resource")
    if document["resourceType"] != "Bundle":
        yield from observation_or_skip("resource", document["resourceType"], document, out)
        return
    entries = checked_entries(document)
    if not entries:
        out.skip("resource", "the Bundle holds no entries")
    for number, entry in enumerate(entries, 1):
        where, resource = f"entry {number}", entry.get("resource")
        if (entry.get("request") or {}).get("method") == "DELETE":
            out.skip(where, "a DELETE request: nothing to import")
        elif not isinstance(resource, dict):
            out.skip(where, "an entry without a resource")
        else:
            yield from observation_or_skip(where, resource.get("resourceType", "a resource without resourceType"),
                                           resource, out)


def observation_or_skip(where: str, kind: str, resource: dict, out: Collector) -> Iterator[tuple]:
    if kind == "Observation":
        yield where, lambda: Observation.model_validate(resource)
    elif kind == "QuestionnaireResponse" and (score := outcome_score(where, resource)):
        out.scores.append(score)
    else:
        out.skip(where, f"{kind} is not an observation")


def outcome_score(where: str, resource: dict) -> dict | None:
    """An outcome measure's answers from a completed QuestionnaireResponse of one of its questionnaires
    (the ones the export writes), or None for any other."""
    instrument = next((name for name, url in OUTCOME_QUESTIONNAIRES.items()
                       if resource.get("questionnaire") == url), None)
    if instrument is None or resource.get("status") != "completed" or not isinstance(resource.get("authored"), str):
        return None
    try:
        QuestionnaireResponse.model_validate(resource)
    except ValidationError:
        return None
    items = {item.get("linkId"): (item.get("answer") or [{}])[0].get("valueInteger")
             for item in resource.get("item") or []}
    return {"where": where, "instrument": instrument, "items": items, "at": resource["authored"]}


def checked_entries(document: dict) -> list:
    """The Bundle's entries, after fhir.resources has checked the Bundle without their resources."""
    entries = document.get("entry") or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise malformed("resource: Bundle.entry is not a list of entries")
    shell = {**document, "entry": [{k: v for k, v in entry.items() if k != "resource"} for entry in entries]}
    try:
        Bundle.model_validate(shell)
    except RecursionError:
        raise malformed(f"resource: {NESTED}") from None
    except ValidationError as error:
        location = error.errors()[0]["loc"]
        if len(location) > 1 and location[0] == "entry" and isinstance(location[1], int):
            where = f"entry {location[1] + 1}"
        else:
            where = "resource"
        raise malformed(f"{where}: not a valid FHIR R4 Bundle: {first_problem(error)}") from None
    return entries


def xml_observations(data: bytes, out: Collector) -> Iterator[tuple]:
    """(where, loader) for each Observation of an XML resource or Bundle; others are skipped."""
    root = parse_xml(data, malformed)
    namespace, kind = split_tag(root)
    if namespace != FHIR_NAMESPACE:
        raise malformed(f"line {root.sourceline}: <{kind}> is not a FHIR resource")
    if kind != "Bundle":
        if kind == "Observation":
            yield "resource", lambda: observation_from_xml(data)
        else:
            out.skip("resource", f"{kind} is not an observation")
        return
    entries = root.findall(f"{{{FHIR_NAMESPACE}}}entry")
    if not entries:
        out.skip("resource", "the Bundle holds no entries")
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        method = entry.find(f"{{{FHIR_NAMESPACE}}}request/{{{FHIR_NAMESPACE}}}method")
        resource = next((child for child in entry.iterfind(f"{{{FHIR_NAMESPACE}}}resource/*")), None)
        if method is not None and method.get("value") == "DELETE":
            out.skip(where, "a DELETE request: nothing to import")
        elif resource is None:
            out.skip(where, "an entry without a resource")
        elif split_tag(resource)[1] == "Observation":
            yield where, lambda resource=resource: observation_from_xml(etree.tostring(resource))
        else:
            out.skip(where, f"{split_tag(resource)[1]} is not an observation")


def observation_from_xml(data: bytes) -> Observation:
    try:
        return Observation.model_validate_xml(data)
    except KeyError as error:  # fhir.resources' XML reader meeting an element it does not know
        raise ValueError(f"unknown element <{error.args[0]}>") from None


def split_tag(element) -> tuple[str, str]:
    qualified = etree.QName(element)
    return qualified.namespace or "", qualified.localname


def read_observation(observation: Observation, where: str, zone: tzinfo, out: Collector) -> None:
    """Add the Observation's values (its own and its components') to the reading of its time."""
    if observation.status in NOT_MEASURED:
        out.skip(where, f"status {observation.status}: not a measurement to import")
        return
    components = observation.component or []
    if observation.valueSampledData or any(component.valueSampledData for component in components):
        out.skip(where, "a waveform (valueSampledData), not a vital sign")
        return
    kind, meaning = classify(observation.code)
    if kind in ("skip", "unknown"):
        out.skip(where, meaning if kind == "skip" else f"Observation {meaning} is not a vitals field")
        return
    values = []
    if kind == "field":
        take(observation, *meaning, where, values, out)
    for component in components:
        component_kind, component_meaning = classify(component.code)
        if component_kind == "field":
            take(component, *component_meaning, where, values, out)
        elif component_kind == "skip":
            out.skip(where, component_meaning)
        else:
            out.skip(where, f"component {describe(component.code)} is not a vitals field")
    if kind == "panel" and not components:
        out.skip(where, "a panel that only refers to other observations (hasMember), with no values of its own"
                 if observation.hasMember else "a panel without components")
    if values:
        add_values(observation, values, where, zone, out)


def add_values(observation: Observation, values: list, where: str, zone: tzinfo, out: Collector) -> None:
    """File the values under the Observation's time; without one they cannot be placed."""
    try:
        moment = observation_time(observation, zone)
    except OutOfRange as error:
        out.reject(where, "taken_at", str(error))
        return
    if moment is None:
        out.reject(where, "taken_at", "no effectiveDateTime, effectivePeriod.start or issued")
        return
    for field, number, rank in values:
        out.add(where, moment[0], field, number, rank=rank, source=where, date_only=moment[1])


def classify(concept) -> tuple[str, object]:
    """What a CodeableConcept is, from the first of its codings that is known.

    ("field", (field, rank)), ("panel", code), ("skip", reason) or ("unknown", description).
    """
    for coding in (concept.coding or []) if concept else []:
        if coding.system == LOINC:
            fields, panels, not_imported = LOINC_FIELDS, LOINC_PANELS, LOINC_NOT_IMPORTED
        elif coding.system in MDC_SYSTEMS:
            fields, panels, not_imported = MDC_FIELDS, MDC_PANELS, MDC_NOT_IMPORTED
        else:
            continue
        if coding.code in fields:
            return "field", fields[coding.code]
        if coding.code in panels:
            return "panel", coding.code
        if coding.code in not_imported:
            return "skip", not_imported[coding.code]
    return "unknown", describe(concept)


def describe(concept) -> str:
    """A code as the report names it: "8302-2 'Body Height'"."""
    coding = next((coding for coding in (concept.coding or []) if coding.code), None) if concept else None
    if coding is None:
        return f"'{concept.text}'" if concept and concept.text else "without a code"
    return f"{coding.code} '{coding.display}'" if coding.display else coding.code


def take(holder, field: str, rank: int, where: str, values: list, out: Collector) -> None:
    """The value of an Observation or component, in the field's unit; or why there is none."""
    label = FIELD_LABELS[field]
    if holder.dataAbsentReason is not None:
        out.skip(where, f"{label}: no value (dataAbsentReason '{absent_reason(holder.dataAbsentReason)}')")
        return
    quantity = holder.valueQuantity
    if quantity is None and holder.valueInteger is not None:
        values.append((field, float(holder.valueInteger), rank))
        return
    if quantity is None or quantity.value is None:
        other = next((name for name in OTHER_VALUES if getattr(holder, name, None) is not None), None)
        if other:
            out.reject(where, field, f"{label} is given as {other}, not as a quantity")
        else:
            out.skip(where, f"{label}: no value")
        return
    try:
        number = convert(field, float(quantity.value), [quantity.code, quantity.unit])
    except UnitError as error:
        out.reject(where, field, f"{label}: {error}")
        return
    values.append((field, number, rank))


def absent_reason(concept) -> str:
    coding = next((coding for coding in (concept.coding or []) if coding.code), None)
    return coding.code if coding else (concept.text or "unknown")


def observation_time(observation: Observation, zone: tzinfo) -> tuple[datetime, bool] | None:
    """effectiveDateTime, effectivePeriod.start, effectiveInstant, else issued; with whether it is a date only."""
    period = observation.effectivePeriod
    for moment in (observation.effectiveDateTime, period.start if period else None, observation.effectiveInstant,
                   observation.issued):
        if moment is not None:
            return fhir_time(moment, zone)
    return None


def fhir_time(moment, zone: tzinfo) -> tuple[datetime, bool]:
    """A FHIR dateTime in UTC; a date (or "2019-05", "2019") is 00:00 of its first day in the clinic's zone."""
    if isinstance(moment, datetime):
        return to_utc(moment, zone), False
    if isinstance(moment, date):
        return to_utc(datetime.combine(moment, time()), zone), True
    year, month = (str(moment).split("-") + ["1"])[:2]
    return to_utc(datetime(int(year), int(month), 1), zone), True
