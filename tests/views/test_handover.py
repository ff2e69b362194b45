"""The handover sheet (views/handover.py, /handover): who is on it, what each block says, and what is due next
by the schedule in the rule set in force and the esketamine REMS checkpoints."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.views import handover

NOW = datetime(2026, 3, 18, 14, 0, tzinfo=timezone.utc)
SHIFT = NOW - timedelta(hours=8)
NORMAL = {"hr": 72, "sbp": 120, "dbp": 80, "spo2": 97, "rr": 14}


def t(hhmm: str) -> str:
    return f"2026-03-18T{hhmm}:00Z"


@pytest.fixture
def chairs(api, clock):
    """Six sessions at 14:00: infusing, in recovery, esketamine just dosed, at baseline, ended this shift and
    ended before it."""
    clock.set(NOW)

    def session(chair, steps, vitals=(), **fields):
        session_id = api.session(chair=chair, **fields)["id"]
        for state, at, *reason in steps:
            body = {"at": t(at)} | ({"reason": reason[0]} if reason else {})
            response = api.transition(session_id, state, **body)
            assert response.status_code == 200, response.get_json()
        for at, values in vitals:
            assert api.vitals(session_id, {"taken_at": t(at)} | values).status_code == 201
        return session_id

    made = {
        "infusing": session("1", [("baseline", "13:20"), ("infusing", "13:30")],
                            [("13:25", NORMAL), ("13:42", NORMAL | {"hr": 80, "sbp": 130}), ("13:52", NORMAL)]),
        "recovery": session("2", [("baseline", "12:50"), ("infusing", "13:00"), ("recovery", "13:40")],
                            [("12:55", NORMAL), ("13:45", NORMAL)]),
        "esketamine": session("3", [("baseline", "13:20"), ("infusing", "13:30")], [("13:25", NORMAL)],
                              drug="esketamine", route="intranasal", dose_mg=56, dose_mg_per_kg=None),
        "baseline": session("4", [("baseline", "13:55")]),
        "ended": session("5", [("baseline", "09:00"), ("aborted", "09:30", "unwell on arrival")]),
        "ended_before": session("6", [("baseline", "05:00"), ("aborted", "05:30", "unwell on arrival")]),
    }
    api.session(chair="7")  # booked for later: on the sheet, nothing to do yet but baseline
    return made


def sheet(store, since=SHIFT) -> dict:
    return {b["id"]: b for b in handover.handover(store.db, NOW, since)["blocks"]}


def due(block) -> list[tuple]:
    return [(d["what"], d["label"], d["due_at"], d["overdue"]) for d in block["due"]]


def test_a_session_ended_before_the_shift_began_is_not_on_it(chairs, store):
    on_it = sheet(store)
    assert chairs["ended"] in on_it and chairs["ended_before"] not in on_it
    assert [b["chair"] for b in on_it.values()] == ["1", "2", "3", "4", "7", "5"]  # ended last
    assert chairs["ended_before"] in sheet(store, since=NOW - timedelta(hours=10))


def test_vitals_are_due_on_the_schedule_of_the_state(chairs, store):
    on_it = sheet(store)
    assert on_it[chairs["infusing"]]["next"] == {"what": "vitals", "label": "Vitals (every 10 min)",
                                                  "due_at": "2026-03-18T14:02:00.000Z", "overdue": False}
    assert due(on_it[chairs["recovery"]]) == [
        ("score", "Discharge score (Aldrete or PADSS ≥ 9)", "2026-03-18T13:55:00.000Z", True),
        ("vitals", "Vitals (every 15 min)", "2026-03-18T14:00:00.000Z", False)]
    assert due(on_it[chairs["baseline"]]) == [
        ("vitals", "Baseline vitals", "2026-03-18T13:55:00.000Z", True),
        ("score", "PHQ-9 (depression) before dosing", "2026-03-18T13:55:00.000Z", True),
        ("score", "GAD-7 (anxiety) before dosing", "2026-03-18T13:55:00.000Z", True)]


def test_the_schedule_follows_the_rule_set_in_force(chairs, api, store):
    rules = api.get("/api/alert-rules").get_json()["rules"]
    rules["vitals_overdue"] |= {"infusing_every": 5, "infusing_overdue": 8}
    assert api.put("/api/alert-rules", {"rules": rules, "reason": "closer watch"}).status_code == 200
    assert sheet(store)[chairs["infusing"]]["next"] == {"what": "vitals", "label": "Vitals (every 5 min)",
                                                         "due_at": "2026-03-18T13:57:00.000Z", "overdue": True}


def test_an_esketamine_block_names_the_next_rems_checkpoint(chairs, api, store):
    assert due(sheet(store)[chairs["esketamine"]]) == [
        ("vitals", "Vitals (every 10 min)", "2026-03-18T13:35:00.000Z", True),
        ("rems", "BP about 40 minutes after dosing", "2026-03-18T14:10:00.000Z", False),
        ("rems", "REMS observation ends", "2026-03-18T15:30:00.000Z", False)]
    assert api.vitals(chairs["esketamine"], {"taken_at": t("14:00")} | NORMAL).status_code == 201
    assert due(sheet(store)[chairs["esketamine"]]) == [
        ("vitals", "Vitals (every 10 min)", "2026-03-18T14:10:00.000Z", False),
        ("rems", "Pre-discharge BP", "2026-03-18T14:25:00.000Z", False),
        ("rems", "REMS observation ends", "2026-03-18T15:30:00.000Z", False)]


def test_an_ended_session_waits_for_its_signature(chairs, api, store):
    assert due(sheet(store)[chairs["ended"]]) == [("signature", "Sign the record", "2026-03-18T09:30:00.000Z", True)]
    signing = {"password": "clinician-password-1", "meaning": "reviewed"}
    assert api.post(f"/api/sessions/{chairs['ended']}/sign", signing, role="clinician").status_code == 200
    assert sheet(store)[chairs["ended"]]["due"] == []


def test_a_block_says_who_what_how_long_and_the_latest_vitals_with_their_direction(chairs, store):
    block = sheet(store)[chairs["infusing"]]
    assert (block["chair"], block["drug"], block["route"], block["dose_mg_per_kg"], block["state"],
            block["minutes_in_state"], block["minutes_since_first_dose"]) == (
        "1", "ketamine", "iv", 0.5, "infusing", 30, 30)
    assert len(block["initials"]) == 2 and len(block["mrn_tail"]) == 4
    values = block["vitals"]["values"]
    assert (block["vitals"]["age_minutes"], values["hr"], values["sbp"]["direction"], values["spo2"]["direction"]) == (
        8, {"value": 72, "taken_at": "2026-03-18T13:52:00.000Z", "age_minutes": 8, "direction": "down"},
        "down", "same")
    assert block["news2"]["score"] == 0


def test_open_side_effects_alerts_and_the_shifts_notes_are_on_the_block(chairs, api, clock, store):
    session_id = chairs["infusing"]
    effect = {"kind": "nausea", "severity": "moderate", "observed_at": t("13:50"),
              "intervention": {"drug": "ondansetron", "dose": "4 mg", "at": t("13:51")}}
    assert api.post(f"/api/sessions/{session_id}/side-effects", effect).status_code == 201
    assert api.post(f"/api/sessions/{session_id}/notes", {"kind": "escalation", "text": "call supervisor: BP",
                                                           "at": t("13:58")}).status_code == 201
    assert api.post(f"/api/sessions/{session_id}/notes", {"kind": "note", "text": "before the shift",
                                                           "at": "2026-03-18T05:00:00Z"}).status_code == 201
    block = sheet(store)[session_id]
    assert [(e["kind"], e["intervention"]["drug"]) for e in block["side_effects"]] == [("nausea", "ondansetron")]
    assert {(a["key"], a["priority"]) for a in block["alerts"]} >= {("escalation", "high"), ("side_effect", "low")}
    assert [(n["kind"], n["text"]) for n in block["notes"]] == [("escalation", "call supervisor: BP")]


def test_the_page_shows_the_blocks_for_nurses_and_clinicians(chairs, client, api):
    from tests.web.test_pages import html, signed_in

    signed_in(client, "nurse")
    page = html(client.get("/handover?since=2026-03-18T06:00"))
    blocks = page.xpath("//article[contains(@class, 'handover-block')]")
    assert len(blocks) == 6
    first = blocks[0]
    assert first.xpath(".//*[@data-field='state']")[0].text_content().split() == ["Infusing", "30", "min"]
    assert first.xpath(".//*[@data-field='due']/b")[0].text_content() == "Vitals (every 10 min)"
    assert "BP 120/80↓" in " ".join(first.xpath(".//*[@data-field='vitals']")[0].text_content().split())
    assert client.get("/handover?since=soon").status_code == 400
    assert api.get("/handover", role="admin").status_code == 403
