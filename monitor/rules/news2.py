"""NEWS2, the Royal College of Physicians' early warning score (CLINICAL.md §3).

Each parameter is a band table: `(upper, points)` pairs read from the lowest band up, the
first whose upper bound (inclusive) holds the value gives the points. A reading is first
rounded half up to the precision the bands are written in (whole numbers, temperature to
0.1), so an imported 20.4 breaths/min scores as 20 and 35.05 °C as 35.1.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

ABOVE = math.inf
Bands = tuple[tuple[float, int], ...]

RESPIRATION: Bands = ((8, 3), (11, 1), (20, 0), (24, 2), (ABOVE, 3))
SPO2_SCALE_1: Bands = ((91, 3), (93, 2), (95, 1), (ABOVE, 0))
SPO2_SCALE_2_AIR: Bands = ((83, 3), (85, 2), (87, 1), (ABOVE, 0))
SPO2_SCALE_2_OXYGEN: Bands = ((83, 3), (85, 2), (87, 1), (92, 0), (94, 1), (96, 2), (ABOVE, 3))
SYSTOLIC: Bands = ((90, 3), (100, 2), (110, 1), (219, 0), (ABOVE, 3))
PULSE: Bands = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (ABOVE, 3))
TEMPERATURE: Bands = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (ABOVE, 2))
CONSCIOUSNESS = {"A": 0, "C": 3, "V": 3, "P": 3, "U": 3}
OXYGEN_POINTS = 2  # any supplemental oxygen; o2_lpm missing or 0 is room air

# parameter -> (bands, decimals the bands are written in)
NUMERIC = {
    "rr": (RESPIRATION, 0),
    "sbp": (SYSTOLIC, 0),
    "hr": (PULSE, 0),
    "temp_c": (TEMPERATURE, 1),
}
REQUIRED = ("rr", "spo2", "sbp", "hr", "consciousness", "temp_c")
TOTAL_BANDS: tuple[tuple[float, str], ...] = ((0, "none"), (4, "low"), (6, "medium"), (ABOVE, "high"))


def score(latest: dict, *, scale2: bool = False) -> dict:
    """The NEWS2 of the latest value of each parameter; `partial` when one is missing."""
    points = parameter_points(latest, scale2=scale2)
    total = sum(points.values())
    return {
        "score": total,
        "band": band_for(total),
        "single_3": 3 in points.values(),
        "partial": None in map(latest.get, REQUIRED),
    }


def parameter_points(latest: dict, *, scale2: bool = False) -> dict[str, int]:
    """Points for each parameter that has a value, plus the air-or-oxygen points."""
    on_oxygen = bool(latest.get("o2_lpm"))
    points = {name: band_points(bands, rounded(latest[name], decimals))
              for name, (bands, decimals) in NUMERIC.items() if latest.get(name) is not None}
    if latest.get("spo2") is not None:
        points["spo2"] = band_points(spo2_bands(scale2, on_oxygen), rounded(latest["spo2"], 0))
    if latest.get("consciousness") is not None:
        points["consciousness"] = CONSCIOUSNESS[latest["consciousness"]]
    points["o2"] = OXYGEN_POINTS if on_oxygen else 0
    return points


def spo2_bands(scale2: bool, on_oxygen: bool) -> Bands:
    """Scale 1, or for a hypercapnic patient's 88–92% target scale 2 (stricter high values on O2)."""
    if not scale2:
        return SPO2_SCALE_1
    return SPO2_SCALE_2_OXYGEN if on_oxygen else SPO2_SCALE_2_AIR


def band_points(bands: Bands, value: float) -> int:
    for upper, points in bands:
        if value <= upper:
            return points
    raise ValueError(f"{value} is above every band")


def rounded(value: float, decimals: int) -> float:
    """Round half up (35.05 → 35.1), as a person reading the bands would. A value already written to
    the bands' precision (a whole number, 36.5 °C: every value the validation tiers store) is itself."""
    if isinstance(value, int) or round(value, decimals) == value:
        return value
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def band_for(total: int) -> str:
    """none (0), low (1–4), medium (5–6) or high (≥ 7)."""
    return next(band for upper, band in TOTAL_BANDS if total <= upper)
