"""The three validation tiers of a vitals record (CLINICAL.md §2): refused, confirmed, stored.

Each field is one row of `BOUNDS`; `check_vitals` applies the rows in the order the API
answers: wrong types first (400), then impossible values (422 `validation_failed`), then
unusual values that need `confirm` (422 `needs_confirmation`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import BadRequest, NeedsConfirmation, ValidationFailed

MEASURE_FIELDS = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm", "consciousness", "pain", "moaas")
CONSCIOUSNESS_LEVELS = ("A", "C", "V", "P", "U")
FAHRENHEIT_AS_CELSIUS = (86, 113)  # the commonest entry error: °F typed into the °C field


@dataclass(frozen=True)
class Bounds:
    """One row of CLINICAL.md §2: what a field may hold and what counts as usual."""

    label: str
    unit: str
    kind: str  # "number" (stored to 0.1), "integer" or "choice"
    low: float | None = None  # lowest possible value, itself possible unless low_open
    high: float | None = None  # highest possible value
    low_open: bool = False  # the bound is "≤ low refused" rather than "< low refused"
    usual_low: float | None = None  # below this needs confirmation
    usual_high: float | None = None  # above this needs confirmation
    choices: tuple[str, ...] = ()


BOUNDS: dict[str, Bounds] = {
    "hr": Bounds("HR", "/min", "number", 0, 300, low_open=True, usual_low=30, usual_high=220),
    "sbp": Bounds("SBP", "mmHg", "number", 0, 400, low_open=True, usual_low=60, usual_high=250),
    "dbp": Bounds("DBP", "mmHg", "number", 0, 300, low_open=True, usual_low=30, usual_high=150),
    "spo2": Bounds("SpO2", "%", "number", 0, 100, low_open=True, usual_low=70),
    "rr": Bounds("RR", "/min", "number", 0, 70, usual_low=4, usual_high=60),
    "temp_c": Bounds("Temperature", "°C", "number", 10, 50, usual_low=32, usual_high=42),
    "etco2": Bounds("EtCO2", "mmHg", "number", 0, 150, usual_high=80),
    "o2_lpm": Bounds("O2 flow", "L/min", "number", 0, 60, usual_high=15),
    "consciousness": Bounds("Consciousness", "", "choice", choices=CONSCIOUSNESS_LEVELS),
    "pain": Bounds("Pain", "", "integer", 0, 10),
    "moaas": Bounds("MOAA/S", "", "integer", 0, 5),
}


def check_vitals(values: dict, *, confirm: bool = False) -> dict:
    """Return the normalized measures of one record, or raise the first tier that fails."""
    if not isinstance(values, dict):
        raise BadRequest("vitals must be a JSON object")
    given = {field: value for field, value in values.items() if value is not None}
    measures, sent_as = normalize(given)
    if not measures:
        message = "at least one measurement is required"
        raise ValidationFailed(message, {"vitals": message})
    impossible = {sent_as[f]: problem for f, v in measures.items()
                  if (problem := impossible_problem(f, v, measures, sent_as[f]))}
    if impossible:
        impossible = explain_fahrenheit(impossible, given, measures)
        raise ValidationFailed(summary(impossible), impossible)
    unusual = {sent_as[f]: problem for f, v in measures.items() if (problem := unusual_problem(f, v))}
    if unusual and not confirm:
        unusual = explain_fahrenheit(unusual, given, measures)
        raise NeedsConfirmation(summary(unusual), unusual)
    return measures


def normalize(given: dict) -> tuple[dict, dict]:
    """Check types and convert temp_f; return the measures and the field each was sent as."""
    problems = {field: problem for field, value in given.items() if (problem := type_problem(field, value))}
    if "temp_c" in given and "temp_f" in given:
        problems["temp_f"] = "Send temperature as temp_c or temp_f, not both"
    if problems:
        raise BadRequest(summary(problems), problems)
    measures = {field: normalize_value(field, value) for field, value in given.items() if field != "temp_f"}
    sent_as = {field: field for field in measures}
    if "temp_f" in given:
        measures["temp_c"] = normalize_value("temp_c", (given["temp_f"] - 32) * 5 / 9)
        sent_as["temp_c"] = "temp_f"
    return {field: measures[field] for field in MEASURE_FIELDS if field in measures}, sent_as


def type_problem(field: str, value) -> str | None:
    """Why a value has the wrong JSON type for its field, or None."""
    bounds = BOUNDS.get(field)
    if bounds is None:
        if field == "temp_f":
            return None if is_number(value) else "Temperature (°F) must be a number"
        return f"{field!r} is not a vitals field"
    if bounds.kind == "choice":
        return None if isinstance(value, str) else f"{bounds.label} must be one of {', '.join(bounds.choices)}"
    return None if is_number(value) else f"{bounds.label} must be a number"


def is_number(value) -> bool:
    """A finite JSON number; booleans are not numbers here."""
    if type(value) is float:  # the commonest first: every value a file gives
        return math.isfinite(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large to compare as a float
        return False


def normalize_value(field: str, value):
    """Whole numbers as int, others to one decimal; an integer field keeps its fraction to be refused."""
    kind = BOUNDS[field].kind
    if kind == "choice" or type(value) is int:
        return value
    rounded = value if kind == "integer" else round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def impossible_problem(field: str, value, measures: dict, sent_as: str) -> str | None:
    """A message when the value cannot be a real reading, else None."""
    bounds = BOUNDS[field]
    if bounds.kind == "choice":
        return None if value in bounds.choices else f"{bounds.label} must be one of {', '.join(bounds.choices)}"
    low, high = FAHRENHEIT_AS_CELSIUS
    if sent_as == "temp_c" and low <= value <= high:
        return f"Temperature {value} looks like °F; send it as temp_f or in °C"
    too_low = value <= bounds.low if bounds.low_open else value < bounds.low
    if too_low or value > bounds.high or not isinstance(value, int) and bounds.kind == "integer":
        return possible_range(bounds)
    if field == "dbp" and "sbp" in measures and value >= measures["sbp"]:
        return f"DBP {value} must be lower than SBP {measures['sbp']}"
    return None


def possible_range(bounds: Bounds) -> str:
    unit = f" {bounds.unit}" if bounds.unit else ""
    if bounds.kind == "integer":
        return f"{bounds.label} must be a whole number from {bounds.low} to {bounds.high}"
    if bounds.low_open:
        return f"{bounds.label} must be above {bounds.low} and at most {bounds.high}{unit}"
    return f"{bounds.label} must be between {bounds.low} and {bounds.high}{unit}"


def unusual_problem(field: str, value, table: dict[str, Bounds] = BOUNDS) -> str | None:
    """A message when a possible value is outside the usual range, else None."""
    bounds = table[field]
    below = bounds.usual_low is not None and value < bounds.usual_low
    above = bounds.usual_high is not None and value > bounds.usual_high
    if not (below or above):
        return None
    return f"{bounds.label} {value} is unusual (usual {usual_range(bounds)}); confirm to save"


def usual_range(bounds: Bounds) -> str:
    unit = f" {bounds.unit}" if bounds.unit else ""
    if bounds.usual_high is None:
        return f"≥ {bounds.usual_low}{unit}"
    if bounds.usual_low is None:
        return f"≤ {bounds.usual_high}{unit}"
    return f"{bounds.usual_low}–{bounds.usual_high}{unit}"


def explain_fahrenheit(problems: dict[str, str], given: dict, measures: dict) -> dict[str, str]:
    """Say what a temp_f was taken as, since the bounds are in °C."""
    if "temp_f" in problems:
        problems["temp_f"] = f"{given['temp_f']} °F is {measures['temp_c']} °C: {problems['temp_f']}"
    return problems


def summary(problems: dict[str, str]) -> str:
    return "; ".join(problems.values())


# The weight and dose of a session, in the same tiers. CLINICAL.md has no weight row: an adult's
# weight is taken as possible from 20 to 350 kg and usual from 40 to 200 kg. Ketamine is dosed by
# weight (typically 0.5 mg/kg, CLINICAL.md §1): usual 0.1-1.0 mg/kg, so up to 200 mg; esketamine
# is 56 or 84 mg (28 mg per device), any other dose needs confirming.
DOSING: dict[str, Bounds] = {
    "weight_kg": Bounds("Weight", "kg", "number", 20, 350, usual_low=40, usual_high=200),
    "dose_mg_per_kg": Bounds("Dose", "mg/kg", "number", 0, 5, low_open=True, usual_low=0.1, usual_high=1.0),
    "dose_mg": Bounds("Dose", "mg", "number", 0, 1000, low_open=True, usual_high=200),
}
ESKETAMINE_DOSES_MG = (56, 84)
WEIGHT_DOSED = ("ketamine",)  # the drugs whose dose in mg is mg/kg × weight; esketamine's is fixed


def weight_problem(weight) -> str | None:
    """Why a weight cannot be a patient's, or None (None itself: no weight given)."""
    if weight is None:
        return None
    bounds = DOSING["weight_kg"]
    return None if is_number(weight) and bounds.low <= weight <= bounds.high else possible_range(bounds)


def check_dosing(weight, per_kg, dose_mg, drug: str, *, derived: bool, confirm: bool = False,
                 weight_field: str = "weight_kg") -> None:
    """Refuse an impossible weight or dose, then ask to confirm an unusual one. `dose_mg` is the dose
    in mg as it will be stored; `derived` when it was computed from mg/kg and the weight."""
    values = {weight_field: ("weight_kg", weight), "dose_mg_per_kg": ("dose_mg_per_kg", per_kg),
              "dose_mg": ("dose_mg", dose_mg)}
    given = {field: (row, value) for field, (row, value) in values.items() if value is not None}
    how = f" ({per_kg:g} mg/kg × {weight:g} kg)" if derived else ""
    impossible = {field: possible_range(DOSING[row]) + (how if field == "dose_mg" else "")
                  for field, (row, value) in given.items() if not within(DOSING[row], value)}
    if impossible:
        raise ValidationFailed(summary(impossible), impossible)
    unusual = {}
    for field, (row, value) in given.items():
        if drug == "esketamine" and row != "weight_kg":
            continue
        if problem := unusual_problem(row, value, DOSING):
            unusual[field] = problem + (how if field == "dose_mg" else "")
    if drug == "esketamine" and dose_mg is not None and dose_mg not in ESKETAMINE_DOSES_MG:
        unusual["dose_mg"] = (f"Esketamine {dose_mg:g} mg is unusual (usual "
                              f"{' or '.join(str(d) for d in ESKETAMINE_DOSES_MG)} mg); confirm to save")
    if unusual and not confirm:
        raise NeedsConfirmation(summary(unusual), unusual)


def within(bounds: Bounds, value) -> bool:
    """Whether a number is possible for this row (not NaN, not infinite, inside the bounds)."""
    if not is_number(value):
        return False
    too_low = value <= bounds.low if bounds.low_open else value < bounds.low
    return not too_low and value <= bounds.high
