"""Every bound of CLINICAL.md §2 at both edges: stored, needs confirmation, or refused."""
import pytest

from monitor.errors import BadRequest, NeedsConfirmation, ValidationFailed
from monitor.rules.validation import MEASURE_FIELDS, check_vitals

STORED = [
    ("hr", 30), ("hr", 220), ("sbp", 60), ("sbp", 250), ("dbp", 30), ("dbp", 150),
    ("spo2", 70), ("spo2", 100), ("rr", 4), ("rr", 60), ("temp_c", 32), ("temp_c", 42),
    ("etco2", 0), ("etco2", 80), ("o2_lpm", 0), ("o2_lpm", 15),
    ("pain", 0), ("pain", 10), ("moaas", 0), ("moaas", 5),
    ("consciousness", "A"), ("consciousness", "C"), ("consciousness", "V"), ("consciousness", "P"),
    ("consciousness", "U"),
]

UNUSUAL = [
    ("hr", 0.5), ("hr", 29), ("hr", 221), ("hr", 300),
    ("sbp", 1), ("sbp", 59), ("sbp", 251), ("sbp", 400),
    ("dbp", 1), ("dbp", 29), ("dbp", 151), ("dbp", 300),
    ("spo2", 1), ("spo2", 69),
    ("rr", 0), ("rr", 3), ("rr", 61), ("rr", 70),
    ("temp_c", 10), ("temp_c", 31.9), ("temp_c", 42.1), ("temp_c", 50),
    ("etco2", 80.1), ("etco2", 150),
    ("o2_lpm", 15.1), ("o2_lpm", 60),
]

IMPOSSIBLE = [
    ("hr", 0), ("hr", -1), ("hr", 301),
    ("sbp", 0), ("sbp", 401),
    ("dbp", 0), ("dbp", 301),
    ("spo2", 0), ("spo2", 100.1),
    ("rr", -0.1), ("rr", 70.1),
    ("temp_c", 9.9), ("temp_c", 50.1), ("temp_c", 85.9), ("temp_c", 113.1),
    ("etco2", -0.1), ("etco2", 150.1),
    ("o2_lpm", -0.1), ("o2_lpm", 60.1),
    ("pain", -1), ("pain", 11), ("pain", 2.5), ("moaas", -1), ("moaas", 6), ("moaas", 1.5),
    ("consciousness", "a"), ("consciousness", "X"), ("consciousness", ""), ("consciousness", "Alert"),
]


@pytest.mark.parametrize(("field", "value"), STORED)
def test_usual_values_are_stored(field, value):
    assert check_vitals({field: value}) == {field: value}


@pytest.mark.parametrize(("field", "value"), UNUSUAL)
def test_unusual_values_need_confirmation(field, value):
    with pytest.raises(NeedsConfirmation) as raised:
        check_vitals({field: value})
    assert list(raised.value.fields) == [field]
    assert check_vitals({field: value}, confirm=True) == {field: value}


@pytest.mark.parametrize(("field", "value"), IMPOSSIBLE)
def test_impossible_values_are_refused_even_when_confirmed(field, value):
    with pytest.raises(ValidationFailed) as raised:
        check_vitals({field: value}, confirm=True)
    assert list(raised.value.fields) == [field]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"hr": 301}, "hr", "HR must be above 0 and at most 300 /min"),
    ({"rr": 71}, "rr", "RR must be between 0 and 70 /min"),
    ({"pain": 11}, "pain", "Pain must be a whole number from 0 to 10"),
    ({"consciousness": "a"}, "consciousness", "Consciousness must be one of A, C, V, P, U"),
    ({"sbp": 120, "dbp": 120}, "dbp", "DBP 120 must be lower than SBP 120"),
    ({"temp_c": 98.6}, "temp_c", "Temperature 98.6 looks like °F; send it as temp_f or in °C"),
    ({"temp_f": 212}, "temp_f", "212 °F is 100 °C: Temperature must be between 10 and 50 °C"),
])
def test_refusals_say_what_is_possible(values, field, message):
    with pytest.raises(ValidationFailed) as raised:
        check_vitals(values)
    assert raised.value.fields == {field: message}


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"hr": 221}, "hr", "HR 221 is unusual (usual 30–220 /min); confirm to save"),
    ({"spo2": 69}, "spo2", "SpO2 69 is unusual (usual ≥ 70 %); confirm to save"),
    ({"o2_lpm": 16}, "o2_lpm", "O2 flow 16 is unusual (usual ≤ 15 L/min); confirm to save"),
    ({"temp_f": 89.5}, "temp_f", "89.5 °F is 31.9 °C: Temperature 31.9 is unusual (usual 32–42 °C); confirm to save"),
])
def test_confirmations_say_what_is_usual(values, field, message):
    with pytest.raises(NeedsConfirmation) as raised:
        check_vitals(values)
    assert raised.value.fields == {field: message}


@pytest.mark.parametrize("celsius", [86, 98.6, 113])
def test_fahrenheit_in_the_celsius_field_is_named(celsius):
    with pytest.raises(ValidationFailed) as raised:
        check_vitals({"temp_c": celsius})
    assert "looks like °F" in raised.value.fields["temp_c"]


@pytest.mark.parametrize(("fahrenheit", "celsius"), [(98.6, 37), (100.4, 38), (89.6, 32), (107.6, 42), (99.5, 37.5)])
def test_temp_f_is_stored_as_celsius(fahrenheit, celsius):
    assert check_vitals({"temp_f": fahrenheit}) == {"temp_c": celsius}


def test_temp_f_far_out_of_range_is_refused_under_its_own_name():
    with pytest.raises(ValidationFailed) as raised:
        check_vitals({"temp_f": 40})
    assert list(raised.value.fields) == ["temp_f"]


def test_temp_c_and_temp_f_together_are_a_bad_request():
    with pytest.raises(BadRequest) as raised:
        check_vitals({"temp_c": 37, "temp_f": 98.6})
    assert list(raised.value.fields) == ["temp_f"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), "80", True, False, [80], {"v": 80},
                                   10 ** 400])
def test_non_numbers_are_a_bad_request(value):
    with pytest.raises(BadRequest) as raised:
        check_vitals({"hr": value, "sbp": 120})
    assert raised.value.fields == {"hr": "HR must be a number"}


@pytest.mark.parametrize(("field", "value"), [("temp_f", "98.6"), ("pain", "3"), ("moaas", True), ("spo2", "98%"),
                                              ("consciousness", 1), ("consciousness", ["A"])])
def test_wrong_types_name_their_field(field, value):
    with pytest.raises(BadRequest) as raised:
        check_vitals({field: value, "hr": 80})
    assert list(raised.value.fields) == [field]


def test_unknown_fields_are_a_bad_request_naming_each():
    with pytest.raises(BadRequest) as raised:
        check_vitals({"hr": 80, "pulse": 80, "taken_at": "2024-01-01T10:00:00Z"})
    assert raised.value.fields == {"pulse": "'pulse' is not a vitals field",
                                   "taken_at": "'taken_at' is not a vitals field"}


def test_every_bad_field_is_named_before_any_value_is_judged():
    with pytest.raises(BadRequest) as raised:
        check_vitals({"hr": "fast", "sbp": 500, "rr": float("nan")})
    assert list(raised.value.fields) == ["hr", "rr"]


def test_every_impossible_field_is_named_before_any_confirmation():
    with pytest.raises(ValidationFailed) as raised:
        check_vitals({"hr": 301, "sbp": 251, "spo2": 0})
    assert list(raised.value.fields) == ["hr", "spo2"]


@pytest.mark.parametrize(("sbp", "dbp", "refused"), [(120, 119, False), (120, 120, True), (120, 130, True)])
def test_dbp_must_be_below_sbp(sbp, dbp, refused):
    if not refused:
        assert check_vitals({"sbp": sbp, "dbp": dbp}) == {"sbp": sbp, "dbp": dbp}
        return
    with pytest.raises(ValidationFailed) as raised:
        check_vitals({"sbp": sbp, "dbp": dbp}, confirm=True)
    assert list(raised.value.fields) == ["dbp"]


def test_confirm_flow_names_every_unusual_field_then_stores():
    values = {"hr": 230, "spo2": 65, "rr": 16}
    with pytest.raises(NeedsConfirmation) as raised:
        check_vitals(values)
    assert list(raised.value.fields) == ["hr", "spo2"]
    assert check_vitals(values, confirm=True) == {"hr": 230, "spo2": 65, "rr": 16}


@pytest.mark.parametrize("values", [{}, {"hr": None}, {"hr": None, "temp_f": None}])
def test_at_least_one_measure_is_required(values):
    with pytest.raises(ValidationFailed) as raised:
        check_vitals(values)
    assert raised.value.fields == {"vitals": "at least one measurement is required"}


def test_null_means_absent():
    assert check_vitals({"hr": None, "sbp": 120, "temp_c": None, "temp_f": 98.6}) == {"sbp": 120, "temp_c": 37}


@pytest.mark.parametrize(("field", "sent", "stored"), [
    ("hr", 80.0, 80), ("spo2", 93.00482, 93), ("sbp", 121.26, 121.3), ("rr", 16.04, 16),
    ("temp_c", 36.84, 36.8), ("pain", 3.0, 3), ("moaas", 4.0, 4), ("hr", 300.04, 300),
])
def test_numbers_are_stored_whole_or_to_one_decimal(field, sent, stored):
    result = check_vitals({field: sent}, confirm=True)
    assert result == {field: stored}
    assert type(result[field]) is type(stored)


def test_measures_come_back_in_field_order():
    values = {"moaas": 5, "pain": 0, "consciousness": "A", "o2_lpm": 0, "etco2": 35, "temp_f": 98.6,
              "rr": 14, "spo2": 98, "dbp": 80, "sbp": 120, "hr": 70}
    assert list(check_vitals(values)) == list(MEASURE_FIELDS)
    assert MEASURE_FIELDS == ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm", "consciousness",
                              "pain", "moaas")


def test_a_body_that_is_not_an_object_is_a_bad_request():
    with pytest.raises(BadRequest):
        check_vitals([{"hr": 80}])
