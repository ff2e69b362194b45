"""The event log: one event per change, gap-free seq, catch-up by `since`."""
def test_every_change_appends_one_event_with_gap_free_seq(api):
    sid = api.session()["id"]
    api.transition(sid, "baseline")
    api.vitals(sid, [{"hr": 70}, {"hr": 72}])
    api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": "settled"})
    log = api.get("/api/events").get_json()
    types = [e["type"] for e in log["events"]]
    assert types == ["session.created", "session.transitioned", "vitals.recorded", "vitals.recorded",
                     "note.recorded"]
    seqs = [e["seq"] for e in log["events"]]
    assert seqs == list(range(1, 6))
    assert log["last_seq"] == 5
    assert all(e["session_id"] == sid and e["at"].endswith("Z") for e in log["events"])


def test_events_since_and_for_one_session(api):
    first = api.session()["id"]
    second = api.session()["id"]
    api.vitals(first, {"hr": 70})
    api.vitals(second, {"hr": 71})
    log = api.get(f"/api/events?since=2&session_id={second}").get_json()
    assert [(e["seq"], e["type"]) for e in log["events"]] == [(4, "vitals.recorded")]
    assert log["last_seq"] == 4
    assert api.get("/api/events?since=1&limit=1").get_json()["events"][0]["seq"] == 2


def test_a_refused_write_appends_no_event(api):
    sid = api.session()["id"]
    api.vitals(sid, {"hr": 999})
    assert api.get("/api/events").get_json()["last_seq"] == 1


def test_bad_event_queries_are_bad_requests(api):
    assert api.get("/api/events?since=abc").status_code == 400
    assert api.get("/api/events?since=-1").status_code == 400
