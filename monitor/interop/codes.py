"""The codes and units the import understands (CLINICAL.md §7), as tables.

A code maps to a vitals field and a rank: when two codes give the same field for the same
moment, the lower rank wins (ECG heart rate over pulse oximeter over cuff pulse). Codes that are
recognised but deliberately not imported carry the reason the report gives.
"""
from __future__ import annotations

from collections.abc import Callable

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MDC_SYSTEMS = {"urn:iso:std:iso:11073:10101", "urn:oid:2.16.840.1.113883.6.24"}

MEAN_BP = "mean BP is computed by the server from sbp and dbp, not imported"
ARTERIAL_BP = "arterial (invasive) BP is not imported: the record keeps cuff BP"
FIO2 = "FiO2 is not a vitals field (the record keeps O2 flow in L/min)"

LOINC_FIELDS: dict[str, tuple[str, int]] = {
    "8867-4": ("hr", 0),
    "8480-6": ("sbp", 0),
    "8462-4": ("dbp", 0),
    "59408-5": ("spo2", 0),  # by pulse oximetry
    "2708-6": ("spo2", 1),  # arterial, often sent together with 59408-5
    "9279-1": ("rr", 0),
    "8310-5": ("temp_c", 0),
    "8331-1": ("temp_c", 1),  # oral
    "3151-8": ("o2_lpm", 0),
    "19889-5": ("etco2", 0),  # end-tidal CO2 partial pressure
}
LOINC_PANELS = {"85354-9", "55284-4", "85353-1"}  # BP panel, its legacy code, the vital-signs panel
OUTCOME_TOTAL = "an outcome total: its QuestionnaireResponse's answers are imported and scored again"
LOINC_NOT_IMPORTED = {
    "8478-0": MEAN_BP,
    "44261-6": OUTCOME_TOTAL,
    "70274-6": OUTCOME_TOTAL,
    "3150-0": FIO2,
    "72514-3": "pain score is not imported from FHIR: it is assessed at the chair",
    "29463-7": "body weight belongs to the patient, not to a vitals record",
    "8302-2": "body height belongs to the patient, not to a vitals record",
    "39156-5": "BMI belongs to the patient, not to a vitals record",
}

MDC_FIELDS: dict[str, tuple[str, int]] = {
    "147842": ("hr", 0),  # ECG
    "149530": ("hr", 1),  # pulse oximeter
    "149546": ("hr", 2),  # NIBP pulse
    "150021": ("sbp", 0),
    "150301": ("sbp", 1),
    "150022": ("dbp", 0),
    "150302": ("dbp", 1),
    "150456": ("spo2", 0),
    "151562": ("rr", 0),
    "151578": ("rr", 1),
    "151658": ("rr", 2),
    "150344": ("temp_c", 0),
    "188496": ("temp_c", 1),
}
MDC_PANELS = {"150020"}
MDC_NOT_IMPORTED = {
    "150023": MEAN_BP,
    "150303": MEAN_BP,
    "188736": "body weight belongs to the patient, not to a vitals record",
}

# MDC "special values" of a 24-bit float: not a number, not available, ±infinity.
MDC_NOT_A_VALUE = {8388607.0, 8388608.0, 8388606.0, -8388606.0, -8388607.0, -8388608.0}

FIELD_LABELS = {"hr": "heart rate", "sbp": "systolic BP", "dbp": "diastolic BP", "spo2": "SpO2",
                "rr": "respiratory rate", "temp_c": "temperature", "etco2": "etCO2", "o2_lpm": "O2 flow"}


def fahrenheit_to_celsius(value: float) -> float:
    return round((value - 32) * 5 / 9, 2)


def kilopascal_to_mmhg(value: float) -> float:
    return round(value * 7.50062, 1)


PER_MINUTE = ["/min", "1/min", "min-1", "/m", "pm", "permin", "perminute", "rpm", "bpm",
              "beats/min", "beat/min", "beats/minute", "{beat}/min", "{beats}/min", "{pulse}/min",
              "breaths/min", "breath/min", "breaths/minute", "breathsperminute", "{breath}/min", "{breaths}/min",
              "br/min", "mdc_dim_beat_per_min", "mdc_dim_resp_per_min", "mdc_dim_per_min",
              "264864", "264928"]
MMHG = ["mm[hg]", "mmhg", "mdc_dim_mmhg", "266016"]
CELSIUS = ["cel", "°c", "℃", "c", "degc", "celsius", "degreesc", "mdc_dim_degc", "268192"]
FAHRENHEIT = ["[degf]", "°f", "℉", "f", "degf", "fahrenheit", "degreesf", "mdc_dim_fahr", "266560"]

# field -> {normalised unit: conversion into the field's unit, None when it is the field's unit}
UNITS: dict[str, dict] = {
    "hr": dict.fromkeys(PER_MINUTE, None),
    "rr": dict.fromkeys(PER_MINUTE, None),
    "sbp": dict.fromkeys(MMHG, None),
    "dbp": dict.fromkeys(MMHG, None),
    "spo2": dict.fromkeys(["%", "percent", "pct", "%o2", "mdc_dim_percent", "262688"], None),
    "temp_c": dict.fromkeys(CELSIUS, None) | dict.fromkeys(FAHRENHEIT, fahrenheit_to_celsius),
    "etco2": dict.fromkeys(MMHG, None) | dict.fromkeys(["kpa", "mdc_dim_kilo_pascal", "265987"], kilopascal_to_mmhg),
    "o2_lpm": dict.fromkeys(["l/min", "lpm", "l/m", "lmin", "liter/min", "litre/min", "mdc_dim_l_per_min"], None),
}
UNIT_NAMES = {"hr": "/min", "rr": "/min", "sbp": "mmHg", "dbp": "mmHg", "spo2": "%", "temp_c": "°C or °F",
              "etco2": "mmHg or kPa", "o2_lpm": "L/min"}


class UnitError(ValueError):
    """A unit that does not fit the field."""


def normal_unit(unit: str) -> str:
    return unit.strip().lower().replace(" ", "")


def converter(name: str, units) -> Callable[[float], float] | None:
    """The conversion into `name`'s unit from the first known of `units`, or None when none is needed.

    No unit given means the field's own unit; a unit that does not fit raises UnitError.
    """
    table = UNITS.get(name)
    given = [unit.strip() for unit in units if unit and unit.strip()]
    if table is None or not given:
        return None
    for unit in given:
        key = normal_unit(unit)
        if key in table:
            return table[key]
    raise UnitError(f"unit '{given[0]}' is not {UNIT_NAMES[name]}")


def convert(name: str, value: float, units) -> float:
    """`value` in `name`'s unit (°F to °C, kPa to mmHg); raises UnitError for an unknown unit."""
    conversion = converter(name, units)
    return conversion(value) if conversion else value


# The questionnaire each outcome measure's QuestionnaireResponse answers: the LOINC panels of PHQ-9
# (44249-1) and GAD-7 (69737-5); local ones for PCL-5 and MADRS. The export writes them, the import reads them.
OUTCOME_QUESTIONNAIRES = {"phq9": "http://loinc.org/q/44249-1", "gad7": "http://loinc.org/q/69737-5",
                          "pcl5": "urn:infusion-monitor:questionnaire:pcl5",
                          "madrs": "urn:infusion-monitor:questionnaire:madrs"}
