"""The outcome measures of CLINICAL.md §8: items, totals and bands at each band edge, partial sets
refused naming what is missing, and the course rules (response, remission, worsening, not returned)."""
from datetime import UTC, datetime, timedelta

import pytest

from monitor.errors import ValidationFailed
from monitor.rules import outcomes
from monitor.rules.alert_rules import DEFAULT_RULES, validate_rules
from monitor.rules.instruments import INSTRUMENTS, score

SETTINGS = DEFAULT_RULES["outcomes"]
COUNTS = {"phq9": (9, 3), "gad7": (7, 3), "pcl5": (20, 4), "madrs": (10, 6)}


def answers(instrument: str, total: int) -> dict:
    """Item scores adding up to `total`, filled from the first item on."""
    count, high = COUNTS[instrument]
    left, out = total, {}
    for n in range(1, count + 1):
        out[f"item_{n}"] = min(high, left)
        left -= out[f"item_{n}"]
    assert left == 0
    return out


@pytest.mark.parametrize(("instrument", "count", "high"), [(k, *v) for k, v in COUNTS.items()])
def test_items_as_data(instrument, count, high):
    spec = INSTRUMENTS[instrument]
    assert spec["items"] == {f"item_{n}": (0, high) for n in range(1, count + 1)}
    assert len(spec["labels"]) == count


@pytest.mark.parametrize(("instrument", "total", "band"), [
    ("phq9", 0, "minimal"), ("phq9", 4, "minimal"), ("phq9", 5, "mild"), ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"), ("phq9", 14, "moderate"), ("phq9", 15, "moderately severe"),
    ("phq9", 19, "moderately severe"), ("phq9", 20, "severe"), ("phq9", 27, "severe"),
    ("gad7", 0, "minimal"), ("gad7", 4, "minimal"), ("gad7", 5, "mild"), ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"), ("gad7", 14, "moderate"), ("gad7", 15, "severe"), ("gad7", 21, "severe"),
    ("pcl5", 0, "below threshold"), ("pcl5", 32, "below threshold"), ("pcl5", 33, "probable ptsd"),
    ("pcl5", 80, "probable ptsd"),
    ("madrs", 0, "normal"), ("madrs", 6, "normal"), ("madrs", 7, "mild"), ("madrs", 19, "mild"),
    ("madrs", 20, "moderate"), ("madrs", 34, "moderate"), ("madrs", 35, "severe"), ("madrs", 60, "severe"),
])
def test_total_and_band_at_each_edge(instrument, total, band):
    result = score(instrument, answers(instrument, total), SETTINGS)
    assert (result["total"], result["band"]) == (total, band)


def test_pcl5_cutoff_is_a_setting():
    assert score("pcl5", answers("pcl5", 31), SETTINGS | {"pcl5_probable_at_least": 31})["band"] == "probable ptsd"
    assert score("pcl5", answers("pcl5", 31), SETTINGS)["band"] == "below threshold"


def test_partial_set_refused_naming_the_missing_items():
    given = answers("phq9", 10)
    del given["item_3"], given["item_9"]
    with pytest.raises(ValidationFailed) as raised:
        score("phq9", given, SETTINGS)
    assert "item_3, item_9 missing" in raised.value.message
    assert raised.value.fields == {"items.item_3": "is required", "items.item_9": "is required"}


@pytest.mark.parametrize(("instrument", "item", "value"), [("phq9", "item_1", 4), ("pcl5", "item_20", 5),
                                                           ("madrs", "item_10", 7), ("gad7", "item_7", -1)])
def test_item_out_of_range_refused(instrument, item, value):
    with pytest.raises(ValidationFailed) as raised:
        score(instrument, answers(instrument, 0) | {item: value}, SETTINGS)
    assert list(raised.value.fields) == [f"items.{item}"]


@pytest.mark.parametrize(("indication", "asked"), [
    ("treatment-resistant depression", ["phq9", "gad7"]), ("PTSD", ["phq9", "gad7", "pcl5"]),
    ("generalised anxiety", ["gad7", "phq9"]), ("chronic pain", ["phq9", "gad7"]), (None, ["phq9", "gad7"]),
])
def test_instruments_follow_the_indication(indication, asked):
    assert outcomes.asked_instruments(indication, SETTINGS) == asked


def test_indication_lists_are_validated_settings():
    rules = DEFAULT_RULES | {"outcomes": SETTINGS | {"instruments_by_indication": SETTINGS["instruments_by_indication"]
                                                     | {"ptsd": ["phq9", "hamd"]}}}
    with pytest.raises(ValidationFailed) as raised:
        validate_rules(rules)
    assert list(raised.value.fields) == ["outcomes.instruments_by_indication.ptsd"]


@pytest.mark.parametrize(("baseline", "total", "change_pct", "response"), [
    (20, 10, -50.0, True), (20, 11, -45.0, False), (21, 10, -52.4, True), (21, 11, -47.6, False),
    (7, 3, -57.1, True), (9, 5, -44.4, False), (10, 14, 40.0, False), (0, 0, None, None),
])
def test_response_at_its_edge(baseline, total, change_pct, response):
    point = outcomes.course_point("phq9", total, baseline, baseline, SETTINGS)
    assert (point["change_pct"], point["response"]) == (change_pct, response)


@pytest.mark.parametrize(("instrument", "total", "remission"), [
    ("phq9", 4, True), ("phq9", 5, False), ("gad7", 4, True), ("gad7", 5, False),
    ("madrs", 10, True), ("madrs", 11, False), ("pcl5", 0, None),
])
def test_remission_at_its_edge(instrument, total, remission):
    assert outcomes.course_point(instrument, total, 30, 30, SETTINGS)["remission"] is remission


@pytest.mark.parametrize(("previous", "total", "worsening"), [(8, 13, True), (8, 12, False), (8, 20, True)])
def test_worsening_at_its_edge(previous, total, worsening):
    assert outcomes.course_point("phq9", total, 20, previous, SETTINGS)["worsening"] is worsening
    assert outcomes.course_point("gad7", total, 20, previous, SETTINGS)["worsening"] is False


def test_course_series_baseline_first():
    series = outcomes.course_series("phq9", [{"total": 18}, {"total": 12}, {"total": 17}, {"total": 4}], SETTINGS)
    assert [(p["baseline"], p["is_baseline"], p["change_pct"], p["response"], p["remission"], p["worsening"])
            for p in series] == [(18, True, None, None, False, False), (18, False, -33.3, False, False, False),
                                 (18, False, -5.6, False, False, True), (18, False, -77.8, True, True, False)]


LAST = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("given", "booked", "after", "stopped"), [
    (1, False, timedelta(days=7, minutes=1), True), (1, False, timedelta(days=7), False),
    (5, False, timedelta(days=30), True), (6, False, timedelta(days=30), False),
    (2, True, timedelta(days=30), False),
])
def test_not_returned_at_its_edge(given, booked, after, stopped):
    found = outcomes.not_returned(LAST, given, booked, LAST + after, SETTINGS)
    assert found["not_returned"] is stopped
    assert found["next_due_by"] == LAST + timedelta(days=7)


@pytest.mark.parametrize(("baseline", "total", "meaningful"), [(50, 40, True), (50, 41, False), (50, 30, True)])
def test_pcl5_meaningful_fall_at_its_edge(baseline, total, meaningful):
    assert outcomes.course_point("pcl5", total, baseline, baseline, SETTINGS)["meaningful_fall"] is meaningful
    assert outcomes.course_point("pcl5", total, None, None, SETTINGS)["meaningful_fall"] is None
    assert outcomes.course_point("phq9", 10, 20, 20, SETTINGS)["meaningful_fall"] is None
