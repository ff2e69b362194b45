"""The instruments of CLINICAL.md §5: items, ranges, totals and the discharge rule."""
import pytest

from monitor.errors import BadRequest, ValidationFailed
from monitor.rules.instruments import ALDRETE_CIRCULATION, INSTRUMENTS, score

ALDRETE_ITEMS = ("activity", "respiration", "circulation", "consciousness", "spo2")
PADSS_ITEMS = ("vital_signs", "ambulation", "nausea_vomiting", "pain", "bleeding")
BPRS_ITEMS = ("suspiciousness", "hallucinations", "unusual_thought_content", "conceptual_disorganization")
CADSS_ITEMS = tuple(f"item_{n}" for n in range(1, 24))


def items(names, *scores):
    return dict(zip(names, scores, strict=True))


@pytest.mark.parametrize(("instrument", "names", "item_range", "discharge_min"), [
    ("aldrete", ALDRETE_ITEMS, (0, 2), 9),
    ("padss", PADSS_ITEMS, (0, 2), 9),
    ("moaas", ("score",), (0, 5), None),
    ("cadss", CADSS_ITEMS, (0, 4), None),
    ("bprs_plus", BPRS_ITEMS, (0, 6), None),
])
def test_instruments_as_data(instrument, names, item_range, discharge_min):
    spec = INSTRUMENTS[instrument]
    assert spec["items"] == {name: item_range for name in names}
    assert spec["discharge_min"] == discharge_min


@pytest.mark.parametrize(("instrument", "names", "scores", "total", "meets"), [
    ("aldrete", ALDRETE_ITEMS, (2, 2, 2, 2, 2), 10, True),
    ("aldrete", ALDRETE_ITEMS, (2, 2, 2, 2, 1), 9, True),
    ("aldrete", ALDRETE_ITEMS, (2, 2, 2, 1, 1), 8, False),
    ("aldrete", ALDRETE_ITEMS, (0, 0, 0, 0, 0), 0, False),
    ("padss", PADSS_ITEMS, (2, 2, 2, 2, 2), 10, True),
    ("padss", PADSS_ITEMS, (2, 2, 1, 2, 2), 9, True),
    ("padss", PADSS_ITEMS, (2, 1, 1, 2, 2), 8, False),
    ("moaas", ("score",), (0,), 0, None),
    ("moaas", ("score",), (5,), 5, None),
    ("bprs_plus", BPRS_ITEMS, (0, 0, 0, 0), 0, None),
    ("bprs_plus", BPRS_ITEMS, (6, 6, 6, 6), 24, None),
    ("bprs_plus", BPRS_ITEMS, (1, 2, 3, 0), 6, None),
])
def test_totals_and_discharge_criteria(instrument, names, scores, total, meets):
    result = score(instrument, items(names, *scores))
    assert result == {"instrument": instrument, "items": items(names, *scores), "total": total,
                      "meets_discharge_criteria": meets}


@pytest.mark.parametrize(("given", "total"), [({"total": 0}, 0), ({"total": 92}, 92), ({"total": 5.0}, 5)])
def test_cadss_total_alone(given, total):
    assert score("cadss", given) == {"instrument": "cadss", "items": {"total": total}, "total": total,
                                     "meets_discharge_criteria": None}


@pytest.mark.parametrize(("each", "total"), [(0, 0), (1, 23), (4, 92)])
def test_cadss_items_are_summed(each, total):
    result = score("cadss", dict.fromkeys(CADSS_ITEMS, each))
    assert result["total"] == total
    assert list(result["items"]) == list(CADSS_ITEMS)


@pytest.mark.parametrize("given", [{"total": 93}, {"total": -1}, {"total": 4.5}])
def test_cadss_total_out_of_range(given):
    with pytest.raises(ValidationFailed) as raised:
        score("cadss", given)
    assert raised.value.fields == {"items.total": "must be a whole number from 0 to 92"}


def test_cadss_total_and_items_together_are_a_bad_request():
    with pytest.raises(BadRequest) as raised:
        score("cadss", {"total": 10, "item_1": 2})
    assert list(raised.value.fields) == ["items"]


def test_a_partial_cadss_item_set_names_every_missing_item():
    given = dict.fromkeys(CADSS_ITEMS[:20], 1)
    with pytest.raises(ValidationFailed) as raised:
        score("cadss", given)
    assert raised.value.fields == {"items.item_21": "is required", "items.item_22": "is required",
                                   "items.item_23": "is required"}


@pytest.mark.parametrize(("given", "fields"), [
    ({"activity": 3}, {"items.activity": "must be a whole number from 0 to 2"}),
    ({"activity": -1}, {"items.activity": "must be a whole number from 0 to 2"}),
    ({"activity": 1.5}, {"items.activity": "must be a whole number from 0 to 2"}),
    ({"activity": None}, {"items.activity": "is required"}),
])
def test_aldrete_item_out_of_range(given, fields):
    with pytest.raises(ValidationFailed) as raised:
        score("aldrete", {**items(ALDRETE_ITEMS, 2, 2, 2, 2, 2), **given})
    assert raised.value.fields == fields


@pytest.mark.parametrize(("instrument", "given", "field"), [
    ("moaas", {"score": 6}, "items.score"),
    ("moaas", {"score": -1}, "items.score"),
    ("bprs_plus", {**dict.fromkeys(BPRS_ITEMS, 0), "hallucinations": 7}, "items.hallucinations"),
    ("padss", {**dict.fromkeys(PADSS_ITEMS, 2), "pain": 3}, "items.pain"),
    ("cadss", {**dict.fromkeys(CADSS_ITEMS, 4), "item_7": 5}, "items.item_7"),
])
def test_item_out_of_range_names_the_item(instrument, given, field):
    with pytest.raises(ValidationFailed) as raised:
        score(instrument, given)
    assert list(raised.value.fields) == [field]


def test_missing_items_are_named():
    with pytest.raises(ValidationFailed) as raised:
        score("aldrete", {"activity": 2, "respiration": 2, "circulation": 2})
    assert raised.value.fields == {"items.consciousness": "is required", "items.spo2": "is required"}


@pytest.mark.parametrize("value", ["2", True, float("nan"), float("inf"), [2], {"score": 2}])
def test_wrong_types_are_a_bad_request(value):
    with pytest.raises(BadRequest) as raised:
        score("aldrete", {**items(ALDRETE_ITEMS, 2, 2, 2, 2, 2), "spo2": value})
    assert raised.value.fields == {"items.spo2": "must be a number"}


def test_unknown_items_are_a_bad_request():
    with pytest.raises(BadRequest) as raised:
        score("moaas", {"score": 3, "sedation": 2})
    assert raised.value.fields == {"items.sedation": "is not an item of this instrument"}


def test_whole_floats_are_stored_as_ints():
    result = score("moaas", {"score": 3.0})
    assert result["items"] == {"score": 3}
    assert type(result["total"]) is int


def test_unknown_instrument_is_refused():
    with pytest.raises(ValidationFailed) as raised:
        score("ramsay", {"score": 2})
    assert list(raised.value.fields) == ["instrument"]


@pytest.mark.parametrize(("instrument", "given", "field"), [(None, {"score": 2}, "instrument"),
                                                            ("moaas", [2], "items")])
def test_malformed_requests_are_a_bad_request(instrument, given, field):
    with pytest.raises(BadRequest) as raised:
        score(instrument, given)
    assert list(raised.value.fields) == [field]


@pytest.mark.parametrize(("baseline", "current", "suggested"), [
    (120, 120, 2), (120, 140, 2), (120, 100, 2), (120, 140.5, 1), (120, 141, 1), (120, 99, 1),
    (120, 170, 1), (120, 70, 1), (120, 171, 0), (120, 69, 0),
])
def test_aldrete_circulation_suggestion(baseline, current, suggested):
    """The bands the bedside page suggests the circulation item from (`circulation_bands`)."""
    difference = abs(current - baseline)
    assert next((points for largest, points in ALDRETE_CIRCULATION if difference <= largest), 0) == suggested


@pytest.mark.parametrize(("moaas", "deep"), [(0, True), (1, True), (2, True), (3, False), (5, False)])
def test_deep_sedation(moaas, deep):
    """The bound the REMS form's sedation answer reads."""
    assert (moaas <= INSTRUMENTS["moaas"]["deep_sedation_max"]) is deep


@pytest.mark.parametrize(("total", "marked"), [(0, False), (4, False), (5, True), (92, True)])
def test_marked_dissociation(total, marked):
    """The bound the REMS form's dissociation answer reads."""
    assert (total > INSTRUMENTS["cadss"]["marked_dissociation_above"]) is marked
