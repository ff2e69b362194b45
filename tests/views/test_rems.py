"""Esketamine REMS monitoring: which reading answers each blood-pressure checkpoint, and the observation clock."""
from __future__ import annotations

from datetime import datetime, timezone

from monitor.views import rems

DOSE = "2026-03-18T10:00:00.000Z"


def at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-18T{clock}:00+00:00").astimezone(timezone.utc)


def bp(clock: str, sbp: int, dbp: int, status: str = "current") -> dict:
    return {"taken_at": f"2026-03-18T{clock}:00.000Z", "sbp": sbp, "dbp": dbp, "status": status}


def answers(found: list[dict]) -> list[tuple]:
    return [(c["key"], c["status"], c["reading"] and (c["reading"]["sbp"], c["reading"]["dbp"])) for c in found]


def test_each_checkpoint_takes_the_reading_of_its_window():
    readings = [bp("09:50", 148, 92), bp("09:55", 150, 90), bp("10:38", 160, 100), bp("10:45", 158, 98),
                bp("11:50", 130, 80)]
    found = rems.checkpoints(DOSE, None, readings, at("12:00"))
    assert answers(found) == [("pre_dose", "done", (150, 90)), ("forty_minutes", "done", (160, 100)),
                              ("pre_discharge", "done", (130, 80))]
    assert [c["due_at"] for c in found] == [DOSE, "2026-03-18T10:40:00.000Z", "2026-03-18T10:55:00.000Z"]


def test_amended_and_void_readings_answer_no_checkpoint():
    readings = [bp("09:55", 150, 90), bp("10:40", 210, 100, "amended"), bp("10:41", 160, 100, "void")]
    found = rems.checkpoints(DOSE, None, readings, at("10:50"))
    assert answers(found) == [("pre_dose", "done", (150, 90)), ("forty_minutes", "due", None),
                              ("pre_discharge", "due", None)]


def test_a_window_that_has_closed_without_a_reading_is_missed():
    found = rems.checkpoints(DOSE, "2026-03-18T12:10:00.000Z", [bp("09:55", 150, 90)], at("12:30"))
    assert answers(found) == [("pre_dose", "done", (150, 90)), ("forty_minutes", "missed", None),
                              ("pre_discharge", "missed", None)]


def test_a_reading_after_discharge_does_not_count_as_the_pre_discharge_bp():
    found = rems.checkpoints(DOSE, "2026-03-18T12:10:00.000Z", [bp("12:15", 128, 80)], at("12:30"))
    assert answers(found)[2] == ("pre_discharge", "missed", None)


def test_before_the_first_dose_only_the_pre_dose_bp_can_be_answered():
    found = rems.checkpoints(None, None, [bp("09:55", 150, 90)], at("10:00"))
    assert answers(found) == [("pre_dose", "done", (150, 90)), ("forty_minutes", "due", None),
                              ("pre_discharge", "due", None)]
    assert [c["due_at"] for c in found] == [None, None, None]


def test_the_observation_clock_runs_from_the_first_dose():
    observed = rems.observation(DOSE, "2026-03-18T11:50:00.000Z", "2026-03-18T12:05:00.000Z", at("13:00"), 120)
    assert observed == {"observed_minutes": 125.0, "discharge_allowed_at": "2026-03-18T12:00:00.000Z",
                        "ready_after_minutes": 110.0, "minimum_minutes": 120}
    running = rems.observation(DOSE, None, None, at("11:30"), 120)
    assert (running["observed_minutes"], running["ready_after_minutes"]) == (90.0, None)
