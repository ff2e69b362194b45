"""Alarm review: a scripted day of alarms, acknowledgements, silences, re-raises, self-clearing alarms and a
threshold change at noon, checked figure by figure (views/alarms.py, GET /api/reports/alarms, /reports)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from monitor.alerts import scheduler
from monitor.views import alarms
from tests.helpers import counts

DAY = datetime(2026, 3, 18, tzinfo=timezone.utc)  # Europe/London is on UTC in March before the 29th
NORMAL = {"hr": 72, "sbp": 120, "dbp": 80, "spo2": 97, "rr": 14, "temp_c": 36.8, "consciousness": "A"}
WINDOW = "from=2026-03-18T00:00:00Z&to=2026-03-19T00:00:00Z"


def at(clock, hhmmss: str) -> None:
    hours, minutes, seconds = (int(p) for p in hhmmss.split(":"))
    clock.set(DAY.replace(hour=hours, minute=minutes, second=seconds))


class Day:
    """The clinic's API on the test clock: every step happens at the time it names."""

    def __init__(self, api, clock, store):
        self.api, self.clock, self.store = api, clock, store

    def started(self, chair: str, baseline: str, infusing: str) -> int:
        at(self.clock, baseline)
        session_id = self.api.session(chair=chair)["id"]
        self.api.transition(session_id, "baseline")
        self.vitals(session_id, baseline, NORMAL)
        at(self.clock, infusing)
        assert self.api.transition(session_id, "infusing").status_code == 200
        return session_id

    def vitals(self, session_id: int, time: str, values: dict) -> None:
        at(self.clock, time)
        assert self.api.vitals(session_id, values).status_code == 201

    def alert(self, session_id: int, key: str) -> dict:
        found = self.api.get(f"/api/alerts?session_id={session_id}").get_json()["items"]
        [alert] = [a for a in found if a["key"] == key]
        return alert

    def acknowledge(self, session_id: int, key: str, time: str) -> None:
        alert = self.alert(session_id, key)
        at(self.clock, time)
        response = self.api.post(f"/api/alerts/{alert['id']}/acknowledge", {"comment": "seen"}, role="clinician")
        assert response.status_code == 200, response.get_json()

    def silence(self, session_id: int, key: str, time: str) -> None:
        alert = self.alert(session_id, key)
        at(self.clock, time)
        assert self.api.post(f"/api/alerts/{alert['id']}/silence", {"minutes": 2}).status_code == 200

    def tick(self, time: str) -> None:
        at(self.clock, time)
        scheduler.tick(self.store, self.clock())

    def abort(self, session_id: int, time: str) -> None:
        at(self.clock, time)
        assert self.api.transition(session_id, "aborted", reason="end of the scripted day").status_code == 200

    def lower_the_spo2_threshold(self, time: str) -> None:
        """Noon: SpO2 93 no longer alarms (medium at ≤ 92), rule set version 1."""
        at(self.clock, time)
        rules = self.api.get("/api/alert-rules").get_json()["rules"]
        rules["spo2"]["medium"]["spo2"]["at_most"] = 92
        response = self.api.put("/api/alert-rules", {"rules": rules, "reason": "SpO2 93 alarms cleared alone"})
        assert response.status_code == 200 and response.get_json()["version"] == 1


@pytest.fixture
def scripted_day(api, clock, store):
    day = Day(api, clock, store)
    at(clock, "07:00:00")
    ended_yesterday = api.session(chair="9")["id"]  # on the floor the day before: not counted
    api.transition(ended_yesterday, "baseline", at="2026-03-17T09:00:00Z")
    api.transition(ended_yesterday, "aborted", at="2026-03-17T09:30:00Z", reason="cancelled")
    api.session(chair="8")  # booked, never begun: not on the floor

    a = day.started("1", "08:50:00", "09:00:00")
    b = day.started("2", "08:55:00", "09:00:00")
    day.vitals(a, "09:05:00", {"spo2": 93})            # a1 spo2 medium v0
    day.vitals(b, "09:05:30", {"spo2": 93})            # b1 spo2 medium v0
    day.vitals(a, "09:06:00", {"spo2": 97})            # a1 cleared by itself after 60 s
    day.vitals(b, "09:07:00", {"spo2": 97})            # b1 cleared by itself after 90 s
    day.vitals(b, "09:08:00", {"hr": 115})             # b2 hr medium v0
    day.vitals(a, "09:10:00", {"hr": 115})             # a2 hr medium v0
    day.acknowledge(b, "hr", "09:10:00")               # b2 acknowledged after 120 s
    day.acknowledge(a, "hr", "09:10:30")               # a2 acknowledged after 30 s
    day.vitals(b, "09:12:00", {"hr": 75})              # b2 clears (acknowledged)
    day.tick("09:15:30")                               # a2 still holds 5 min on: raised again
    day.acknowledge(a, "hr", "09:16:30")               # a second acknowledgement: the first one counts
    day.vitals(a, "09:18:00", {"hr": 72})              # a2 clears
    day.vitals(a, "09:20:00", {"spo2": 93})            # a3 spo2 medium v0
    day.silence(a, "spo2", "09:20:20")                 # a3 silenced
    day.acknowledge(a, "spo2", "09:21:00")             # a3 acknowledged after 60 s
    day.vitals(a, "09:22:00", {"spo2": 97})            # a3 clears (acknowledged)
    day.vitals(a, "09:25:00", {"spo2": 93})            # a4 spo2 medium v0
    day.vitals(a, "09:28:00", {"spo2": 98})            # a4 clears alone, but after 180 s: not within 2 min
    day.vitals(a, "09:30:00", {"sbp": 186, "dbp": 95})  # a5 bp_high high (latched), a6 bp_rise medium v0
    day.vitals(a, "09:32:00", {"sbp": 130, "dbp": 80})  # a6 clears by itself at exactly 2 min; a5 stays latched
    day.acknowledge(a, "bp_high", "09:34:00")          # a5 acknowledged after 240 s, and so cleared
    day.abort(a, "09:40:00")
    day.abort(b, "09:40:00")

    day.lower_the_spo2_threshold("12:00:00")

    c = day.started("3", "13:50:00", "14:00:00")
    day.vitals(c, "14:05:00", {"spo2": 93})            # no alarm under version 1
    day.vitals(c, "14:06:00", {"spo2": 92})            # c1 spo2 medium v1
    day.vitals(c, "14:07:00", {"spo2": 97})            # c1 cleared by itself after 60 s
    day.vitals(c, "14:10:00", {"hr": 115})             # c2 hr medium v1
    day.acknowledge(c, "hr", "14:10:45")               # c2 acknowledged after 45 s
    day.vitals(c, "14:12:00", {"hr": 80})              # c2 clears
    day.vitals(c, "14:15:00", {"hr": 118})             # c3 hr medium v1
    day.vitals(c, "14:16:00", {"hr": 135})             # c3 ends, raised to c4 hr high; c5 news2 medium (HR scores 3)
    day.acknowledge(c, "hr", "14:17:00")               # c4 acknowledged after 60 s
    day.acknowledge(c, "news2", "14:17:30")            # c5 acknowledged after 90 s
    day.vitals(c, "14:18:00", {"hr": 80})              # c4 and c5 clear
    day.abort(c, "14:30:00")
    return day


def figures(alarms_, per_session, acknowledged, acknowledged_percent, p50, p90, silences, reraises, self_cleared,
            self_cleared_percent) -> dict:
    return {"alarms": alarms_, "per_session": per_session, "acknowledged": acknowledged,
            "acknowledged_percent": acknowledged_percent, "acknowledge_seconds": {"p50": p50, "p90": p90},
            "silences": silences, "reraises": reraises, "self_cleared": self_cleared,
            "self_cleared_percent": self_cleared_percent}


def test_every_figure_of_the_scripted_day(scripted_day, store):
    review = alarms.alarm_review(store.db, DAY, DAY.replace(day=19))
    assert (review["from"], review["to"], review["sessions"], review["alarms"]) == (
        "2026-03-18T00:00:00.000Z", "2026-03-19T00:00:00.000Z", 3, 13)
    assert review["rules"] == [
        {"key": "bp_high", "priority": "high"} | figures(1, 0.33, 1, 100.0, 240, 240, 0, 0, 0, 0.0),
        {"key": "hr", "priority": "high"} | figures(1, 0.33, 1, 100.0, 60, 60, 0, 0, 0, 0.0),
        {"key": "spo2", "priority": "medium"} | figures(5, 1.67, 1, 20.0, 60, 60, 1, 0, 3, 60.0),
        {"key": "hr", "priority": "medium"} | figures(4, 1.33, 3, 75.0, 45, 120, 0, 1, 0, 0.0),
        {"key": "bp_rise", "priority": "medium"} | figures(1, 0.33, 0, 0.0, None, None, 0, 0, 1, 100.0),
        {"key": "news2", "priority": "medium"} | figures(1, 0.33, 1, 100.0, 90, 90, 0, 0, 0, 0.0),
    ]


def test_the_split_by_rule_set_version_shows_the_threshold_change(scripted_day, store):
    review = alarms.alarm_review(store.db, DAY, DAY.replace(day=19))
    assert review["versions"] == [
        {"version": 0, "key": "bp_high", "priority": "high"} | figures(1, 0.33, 1, 100.0, 240, 240, 0, 0, 0, 0.0),
        {"version": 0, "key": "spo2", "priority": "medium"} | figures(4, 1.33, 1, 25.0, 60, 60, 1, 0, 2, 50.0),
        {"version": 0, "key": "hr", "priority": "medium"} | figures(2, 0.67, 2, 100.0, 75, 120, 0, 1, 0, 0.0),
        {"version": 0, "key": "bp_rise", "priority": "medium"} | figures(1, 0.33, 0, 0.0, None, None, 0, 0, 1, 100.0),
        {"version": 1, "key": "hr", "priority": "high"} | figures(1, 0.33, 1, 100.0, 60, 60, 0, 0, 0, 0.0),
        {"version": 1, "key": "hr", "priority": "medium"} | figures(2, 0.67, 1, 50.0, 45, 45, 0, 0, 0, 0.0),
        {"version": 1, "key": "news2", "priority": "medium"} | figures(1, 0.33, 1, 100.0, 90, 90, 0, 0, 0, 0.0),
        {"version": 1, "key": "spo2", "priority": "medium"} | figures(1, 0.33, 0, 0.0, None, None, 0, 0, 1, 100.0),
    ]


def test_rules_that_mostly_clear_by_themselves_are_named_first(scripted_day, store):
    review = alarms.alarm_review(store.db, DAY, DAY.replace(day=19))
    assert review["review"] == [
        {"key": "bp_rise", "priority": "medium", "alarms": 1, "self_cleared_percent": 100.0},
        {"key": "spo2", "priority": "medium", "alarms": 5, "self_cleared_percent": 60.0}]


def test_the_window_counts_the_alarms_raised_in_it(scripted_day, store):
    afternoon = alarms.alarm_review(store.db, DAY.replace(hour=12), DAY.replace(hour=15))
    assert (afternoon["sessions"], afternoon["alarms"]) == (1, 5)
    assert {(r["key"], r["priority"], r["alarms"]) for r in afternoon["rules"]} == {
        ("hr", "high", 1), ("hr", "medium", 2), ("news2", "medium", 1), ("spo2", "medium", 1)}
    empty = alarms.alarm_review(store.db, DAY.replace(hour=10), DAY.replace(hour=12))
    assert (empty["sessions"], empty["alarms"], empty["rules"], empty["review"]) == (0, 0, [], [])


def test_the_api_answers_clinicians_and_admins(scripted_day, api, store):
    answer = api.get(f"/api/reports/alarms?{WINDOW}", role="clinician")
    assert answer.status_code == 200
    assert answer.get_json() == alarms.alarm_review(store.db, DAY, DAY.replace(day=19))
    assert api.get(f"/api/reports/alarms?{WINDOW}", role="admin").status_code == 200
    assert api.get(f"/api/reports/alarms?{WINDOW}", role="nurse").status_code == 403
    assert api.get(f"/api/reports/alarms?{WINDOW}", role=None).status_code == 401


@pytest.mark.parametrize("query", ["from=yesterday", "to=2026-13-01", "from=2026-03-19T00:00Z&to=2026-03-18T00:00Z",
                                   "from="])
def test_a_bad_window_is_refused_and_writes_nothing(api, db_path, query):
    before = counts(db_path)
    answer = api.get(f"/api/reports/alarms?{query}", role="clinician")
    assert answer.status_code == 400 and answer.get_json()["error"]["fields"]
    assert counts(db_path) == before


def test_the_reports_page_shows_the_review_and_its_charts(scripted_day, client):
    from tests.web.test_pages import html, signed_in

    signed_in(client, "clinician")
    page = html(client.get(f"/reports?{WINDOW}"))
    assert [li.text_content().split(":")[0].strip() for li in page.xpath("//ul[@id='alarm-review']/li")] == [
        "BP rise over baseline (medium)", "SpO2 (medium)"]
    rows = [[c.text_content().strip() for c in tr.xpath("./th|./td")]
            for tr in page.xpath("//table[@id='alarm-rules']/tbody/tr")]
    assert rows[2] == ["SpO2", "medium", "5", "1.67", "20%", "60 s", "60 s", "1", "0", "60%"]
    assert rows[4] == ["BP rise over baseline", "medium", "1", "0.33", "0%", "–", "–", "0", "0", "100%"]
    outcomes, versions = (json.loads(f) for f in page.xpath("//div[@id='alarm-charts']//@data-figure"))
    acknowledged, cleared, other = outcomes["data"]  # the chart's numbers are the table's
    assert acknowledged["y"][2] == "SpO2 (medium)"
    assert (acknowledged["x"][2], cleared["x"][2], other["x"][2]) == (1, 3, 1)
    assert [(t["name"], t["x"]) for t in versions["data"]] == [
        ("rule set v0", [0.0, 50.0, 0.0, 100.0]), ("rule set v1", [0.0, 0.0, 0.0, 100.0])]
