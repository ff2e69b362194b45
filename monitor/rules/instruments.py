"""The assessment instruments of CLINICAL.md §5: their items, ranges and rules, and their scoring.

Only scores are stored, never item texts (the CADSS questions are copyrighted).
"""
from __future__ import annotations

from ..errors import BadRequest, ValidationFailed
from .validation import is_number

CADSS_ITEMS = tuple(f"item_{n}" for n in range(1, 24))

# items: each item's (lowest, highest) score; discharge_min: the total that meets discharge
# criteria, None where the instrument has no discharge rule; cadss may give its total instead.
INSTRUMENTS: dict[str, dict] = {
    "aldrete": {
        "items": {name: (0, 2) for name in ("activity", "respiration", "circulation", "consciousness", "spo2")},
        "discharge_min": 9,
    },
    "padss": {
        "items": {name: (0, 2) for name in ("vital_signs", "ambulation", "nausea_vomiting", "pain", "bleeding")},
        "discharge_min": 9,
    },
    "moaas": {"items": {"score": (0, 5)}, "discharge_min": None, "deep_sedation_max": 2},
    "cadss": {
        "items": {name: (0, 4) for name in CADSS_ITEMS},
        "total": (0, 92),
        "discharge_min": None,
        "marked_dissociation_above": 4,
    },
    "bprs_plus": {
        "items": {name: (0, 6) for name in
                  ("suspiciousness", "hallucinations", "unusual_thought_content", "conceptual_disorganization")},
        "discharge_min": None,
    },
}

# Aldrete circulation from the BP difference to baseline: (largest difference, score).
ALDRETE_CIRCULATION = ((20, 2), (50, 1))


def score(instrument: str, items: dict) -> dict:
    """Check the item scores and compute the total and, for discharge instruments, the verdict."""
    spec = instrument_spec(instrument)
    scored = checked_items(spec, items)
    total = sum(scored.values())
    minimum = spec["discharge_min"]
    return {
        "instrument": instrument,
        "items": scored,
        "total": total,
        "meets_discharge_criteria": None if minimum is None else total >= minimum,
    }


def instrument_spec(instrument: str) -> dict:
    if not isinstance(instrument, str):
        raise BadRequest("instrument must be text", {"instrument": "must be text"})
    if instrument not in INSTRUMENTS:
        message = f"must be one of {', '.join(INSTRUMENTS)}"
        raise ValidationFailed(f"unknown instrument {instrument!r}", {"instrument": message})
    return INSTRUMENTS[instrument]


def checked_items(spec: dict, items: dict) -> dict[str, int]:
    """The item scores as ints: wrong shape or type is a bad request, out of range a validation failure."""
    if not isinstance(items, dict):
        raise BadRequest("items must be an object of item scores", {"items": "must be an object"})
    given = {name: value for name, value in items.items() if value is not None}
    ranges = item_ranges(spec, given)
    wrong = {f"items.{name}": problem for name, value in given.items()
             if (problem := type_problem(name, value, ranges))}
    if wrong:
        raise BadRequest(summary(wrong), wrong)
    invalid = {f"items.{name}": problem for name, (low, high) in ranges.items()
               if (problem := range_problem(given.get(name), low, high))}
    if invalid:
        raise ValidationFailed(summary(invalid), invalid)
    return {name: int(given[name]) for name in ranges}


def item_ranges(spec: dict, items: dict) -> dict[str, tuple[int, int]]:
    """The items expected: for cadss either its total alone or every item."""
    if "total" not in spec or "total" not in items:
        return spec["items"]
    if set(items) & set(spec["items"]):
        message = "give either the total or every item, not both"
        raise BadRequest(message, {"items": message})
    return {"total": spec["total"]}


def type_problem(name: str, value, ranges: dict) -> str | None:
    if name not in ranges:
        return "is not an item of this instrument"
    return None if is_number(value) else "must be a number"


def range_problem(value, low: int, high: int) -> str | None:
    if value is None:
        return "is required"
    if not float(value).is_integer() or not low <= value <= high:
        return f"must be a whole number from {low} to {high}"
    return None


def summary(problems: dict[str, str]) -> str:
    return "; ".join(f"{field} {problem}" for field, problem in problems.items())
