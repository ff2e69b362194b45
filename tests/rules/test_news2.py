"""NEWS2 (CLINICAL.md §3): every band edge of every parameter, both SpO2 scales, totals and bands."""
import pytest

from monitor.rules.news2 import band_for, score

NORMAL = {"rr": 15, "spo2": 97, "o2_lpm": 0, "sbp": 120, "hr": 70, "consciousness": "A", "temp_c": 37.0}


def points(parameter: str, value, **others) -> int:
    """The score with every other parameter normal, so it is the points of this one."""
    return score({**NORMAL, **others, parameter: value})["score"]


@pytest.mark.parametrize(("value", "expected"), [
    (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3),
    (20.4, 0), (20.5, 2), (8.5, 1),
])
def test_respiration(value, expected):
    assert points("rr", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0), (91.4, 3), (91.5, 2),
])
def test_spo2_scale_1(value, expected):
    assert points("spo2", value) == expected


@pytest.mark.parametrize(("o2_lpm", "expected"), [(0, 0), (None, 0), (0.5, 2), (2, 2), (15, 2)])
def test_air_or_oxygen(o2_lpm, expected):
    assert points("o2_lpm", o2_lpm) == expected


def test_missing_o2_flow_is_air():
    latest = {key: value for key, value in NORMAL.items() if key != "o2_lpm"}
    assert score(latest) == {"score": 0, "band": "none", "single_3": False, "partial": False}


def test_scale_1_on_oxygen_adds_the_oxygen_points():
    assert points("spo2", 96, o2_lpm=2) == 2
    assert points("spo2", 93, o2_lpm=2) == 4


@pytest.mark.parametrize(("value", "expected"), [
    (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0), (93, 0), (97, 0), (100, 0),
])
def test_spo2_scale_2_on_air(value, expected):
    assert score({**NORMAL, "spo2": value}, scale2=True)["score"] == expected


@pytest.mark.parametrize(("value", "expected"), [
    # the SpO2 points plus 2 for oxygen
    (83, 5), (84, 4), (85, 4), (86, 3), (87, 3), (88, 2), (92, 2), (93, 3), (94, 3), (95, 4), (96, 4), (97, 5),
    (100, 5),
])
def test_spo2_scale_2_on_oxygen(value, expected):
    assert score({**NORMAL, "spo2": value, "o2_lpm": 2}, scale2=True)["score"] == expected


@pytest.mark.parametrize(("value", "expected"), [
    (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3),
])
def test_systolic(value, expected):
    assert points("sbp", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3),
])
def test_pulse(value, expected):
    assert points("hr", value) == expected


@pytest.mark.parametrize(("value", "expected"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_consciousness(value, expected):
    assert points("consciousness", value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2),
    (34, 3), (40, 2), (35.04, 3), (35.05, 1), (36.05, 0), (38.05, 1), (39.05, 2),
])
def test_temperature_is_banded_on_one_decimal(value, expected):
    assert points("temp_c", value) == expected


@pytest.mark.parametrize(("total", "band"), [
    (0, "none"), (1, "low"), (4, "low"), (5, "medium"), (6, "medium"), (7, "high"), (20, "high"),
])
def test_band_for(total, band):
    assert band_for(total) == band


@pytest.mark.parametrize(("latest", "expected"), [
    (NORMAL, {"score": 0, "band": "none", "single_3": False, "partial": False}),
    ({**NORMAL, "rr": 22, "hr": 95, "temp_c": 38.5},
     {"score": 4, "band": "low", "single_3": False, "partial": False}),
    ({**NORMAL, "consciousness": "V"}, {"score": 3, "band": "low", "single_3": True, "partial": False}),
    ({**NORMAL, "rr": 22, "hr": 115, "sbp": 105}, {"score": 5, "band": "medium", "single_3": False, "partial": False}),
    ({**NORMAL, "rr": 22, "hr": 115, "o2_lpm": 2}, {"score": 6, "band": "medium", "single_3": False, "partial": False}),
    ({**NORMAL, "rr": 25, "hr": 115, "o2_lpm": 2}, {"score": 7, "band": "high", "single_3": True, "partial": False}),
    ({"rr": 25, "spo2": 91, "o2_lpm": 4, "sbp": 90, "hr": 131, "consciousness": "U", "temp_c": 35.0},
     {"score": 20, "band": "high", "single_3": True, "partial": False}),
])
def test_totals(latest, expected):
    assert score(latest) == expected


@pytest.mark.parametrize("missing", ["rr", "spo2", "sbp", "hr", "consciousness", "temp_c"])
def test_a_missing_parameter_makes_the_score_partial(missing):
    absent = {key: value for key, value in NORMAL.items() if key != missing}
    assert score(absent) == {"score": 0, "band": "none", "single_3": False, "partial": True}
    assert score({**NORMAL, missing: None})["partial"] is True


def test_a_partial_score_counts_what_it_has():
    assert score({"hr": 131, "o2_lpm": 2}) == {"score": 5, "band": "medium", "single_3": True, "partial": True}
