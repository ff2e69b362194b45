"""The assessment instruments of CLINICAL.md §5 and the outcome measures of §8: their items, ranges,
bands and rules, and their scoring.

Only scores are stored, never item texts (the CADSS questions are copyrighted); the outcome measures'
items carry our own short labels, never the questionnaires' wording.
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


def numbered(count: int, low: int, high: int) -> dict[str, tuple[int, int]]:
    return {f"item_{n}": (low, high) for n in range(1, count + 1)}


# The outcome measures of CLINICAL.md §8, scored before each infusion. bands: (lowest total, name),
# lowest first, names as CLINICAL.md writes them (lower case); labels: our own short item labels.
# pcl5's "probable ptsd" starts at the clinic's setting (`outcomes.pcl5_probable_at_least`).
OUTCOMES: dict[str, dict] = {
    "phq9": {
        "title": "PHQ-9 (depression)", "rated_by": "patient", "items": numbered(9, 0, 3),
        "bands": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe")),
        "labels": ("Interest", "Mood", "Sleep", "Energy", "Appetite", "Self-worth", "Concentration",
                   "Psychomotor", "Thoughts of death or self-harm"),
        "anchors": {0: "none", 1: "some days", 2: "most days", 3: "nearly daily"},
        "asks": "Over the last two weeks, how often has each of these bothered you?",
    },
    "gad7": {
        "title": "GAD-7 (anxiety)", "rated_by": "patient", "items": numbered(7, 0, 3),
        "bands": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
        "labels": ("Nervousness", "Uncontrolled worry", "Worry about many things", "Trouble relaxing",
                   "Restlessness", "Irritability", "Dread"),
        "anchors": {0: "none", 1: "some days", 2: "most days", 3: "nearly daily"},
        "asks": "Over the last two weeks, how often has each of these bothered you?",
    },
    "pcl5": {
        "title": "PCL-5 (PTSD, past month)", "rated_by": "patient", "items": numbered(20, 0, 4),
        "bands": ((0, "below threshold"), ("pcl5_probable_at_least", "probable ptsd")),
        "labels": ("Intrusive memories", "Nightmares", "Flashbacks", "Upset by reminders", "Body reactions",
                   "Avoiding memories", "Avoiding reminders", "Memory gaps", "Negative beliefs", "Blame",
                   "Negative feelings", "Lost interest", "Distance from others", "No positive feelings",
                   "Irritability", "Risk-taking", "Hypervigilance", "Startle", "Concentration", "Sleep"),
        "anchors": {0: "not at all", 1: "a little", 2: "moderately", 3: "quite a bit", 4: "extremely"},
        "asks": "Over the past month, how much has each of these bothered you?",
    },
    "madrs": {
        "title": "MADRS (depression, clinician-rated)", "rated_by": "clinician", "items": numbered(10, 0, 6),
        "bands": ((0, "normal"), (7, "mild"), (20, "moderate"), (35, "severe")),
        "labels": ("Apparent sadness", "Reported sadness", "Inner tension", "Sleep", "Appetite",
                   "Concentration", "Lassitude", "Inability to feel", "Pessimism", "Suicidal thoughts"),
        "anchors": {},
    },
}
INSTRUMENTS.update({key: spec | {"discharge_min": None} for key, spec in OUTCOMES.items()})

# The defaults of the outcome settings (CLINICAL.md §8); the clinic's own are in the rule set in force.
PCL5_PROBABLE_AT_LEAST = 33

# Aldrete circulation from the BP difference to baseline: (largest difference, score).
ALDRETE_CIRCULATION = ((20, 2), (50, 1))


def score(instrument: str, items: dict, settings: dict | None = None) -> dict:
    """Check the item scores and compute the total and, for discharge instruments, the verdict; an
    outcome measure also gets its band (`settings`: the rule set's `outcomes`, for the PCL-5 cut-off)."""
    spec = instrument_spec(instrument)
    scored = checked_items(spec, items)
    total = sum(scored.values())
    minimum = spec["discharge_min"]
    result = {
        "instrument": instrument,
        "items": scored,
        "total": total,
        "meets_discharge_criteria": None if minimum is None else total >= minimum,
    }
    if instrument in OUTCOMES:
        result["band"] = band(instrument, total, settings)
    return result


def band(instrument: str, total: int | None, settings: dict | None = None) -> str | None:
    """The band name of an outcome measure's total (None for other instruments or no total)."""
    spec = OUTCOMES.get(instrument)
    if spec is None or total is None:
        return None
    found = None
    for lowest, name in spec["bands"]:
        if isinstance(lowest, str):  # a clinic setting
            lowest = (settings or {}).get(lowest, PCL5_PROBABLE_AT_LEAST)
        if total >= lowest:
            found = name
    return found


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
    missing = [name for name in ranges if name not in given]
    if missing and len(missing) < len(ranges):
        raise ValidationFailed(f"a partial set gives no total: {', '.join(missing)} missing", invalid)
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
