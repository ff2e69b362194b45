"""The trends on the bedside page: plotly charts from the record, thresholds and phases, live appends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.helpers import call, sign_in_page


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def session_id(live_server):
    """Baseline at -30 min, infusion started at -20 min, vitals every 10 min, a side effect and a medication."""
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=20)
    patient = call(live_server, "POST", "/api/patients", {"mrn": f"TR-{start.timestamp():.0f}",
                                                          "family_name": "Lindqvist", "given_name": "Sara",
                                                          "birth_date": "1982-05-17"})
    sid = call(live_server, "POST", "/api/sessions", {"patient_id": patient["id"], "chair": "2",
                                                      "drug": "ketamine", "route": "iv", "planned_minutes": 40})["id"]
    call(live_server, "POST", f"/api/sessions/{sid}/transitions",
         {"to": "baseline", "at": stamp(start - timedelta(minutes=10))})
    call(live_server, "POST", f"/api/sessions/{sid}/vitals", {"taken_at": stamp(start - timedelta(minutes=5)),
                                                             "hr": 70, "sbp": 120, "dbp": 78, "spo2": 98, "rr": 14})
    call(live_server, "POST", f"/api/sessions/{sid}/transitions", {"to": "infusing", "at": stamp(start)})
    for minute, hr, sbp in ((10, 76, 134), (20, 81, 141)):
        call(live_server, "POST", f"/api/sessions/{sid}/vitals", {"taken_at": stamp(start + timedelta(minutes=minute)),
                                                                 "hr": hr, "sbp": sbp, "dbp": 84, "spo2": 97, "rr": 15})
    call(live_server, "POST", f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "moderate",
                                                                   "observed_at": stamp(start + timedelta(minutes=12))})
    call(live_server, "POST", f"/api/sessions/{sid}/notes", {"kind": "medication", "text": "for nausea",
                                                             "at": stamp(start + timedelta(minutes=13)),
                                                             "medication": {"name": "ondansetron", "dose": "4 mg"}})
    return sid


def chart(page, name: str, expression: str):
    return page.evaluate(f"(() => {{ const div = document.getElementById('trend-{name}'); return {expression}; }})()")


def test_the_trends_draw_the_record_with_thresholds_phases_and_markers(page, session_id):
    sign_in_page(page, "nurse")
    page.goto(f"/sessions/{session_id}")
    expect(page.locator("#trends")).to_have_attribute("data-ready", "true", timeout=10_000)
    expect(page.locator("#trends .trend-chart")).to_have_count(4)
    assert chart(page, "hr", "div.data[0].x") == [-5, 10, 20]
    assert chart(page, "hr", "div.data[0].y") == [70, 76, 81]
    assert chart(page, "bp", "div.data.slice(0, 2).map(t => [t.name, t.y])") == [
        ["SBP", [120, 134, 141]], ["DBP", [78, 84, 84]]]
    assert chart(page, "hr", "div.data.slice(1).map(t => [t.name, t.text])") == [
        ["Side effects", ["moderate nausea"]], ["Notes", []],
        ["Medications", ["medication: ondansetron 4 mg: for nausea"]]]
    lines = chart(page, "hr", "div.layout.shapes.filter(s => s.type === 'line').map(s => [s.y0, s.label.text])")
    assert sorted(lines) == [[45, "HR < 45"], [110, "HR > 110"], [130, "HR > 130"]]
    bp_lines = chart(page, "bp", "div.layout.shapes.filter(s => s.type === 'line').map(s => s.label.text)")
    assert sorted(bp_lines) == ["DBP ≥ 110", "SBP rise ≥ 40 (160)", "SBP ≤ 90", "SBP ≥ 180"]
    phases = chart(page, "hr", "div.layout.shapes.filter(s => s.type === 'rect').map(s => s.x0)")
    assert phases == [0]  # infusing from minute 0
    assert chart(page, "hr", "div.layout.xaxis.title.text") == "minutes since the infusion started"


def test_new_readings_are_appended_in_one_update_per_frame_without_a_redraw(page, live_server, session_id):
    sign_in_page(page, "nurse")
    page.goto(f"/sessions/{session_id}")
    expect(page.locator("#trends")).to_have_attribute("data-ready", "true", timeout=10_000)
    page.evaluate("""() => {
        window.drawn = {react: 0, appends: []};
        let frame = 0;
        const count = () => { frame += 1; requestAnimationFrame(count); };
        requestAnimationFrame(count);
        const {react, extendTraces} = window.Plotly;
        window.Plotly.react = (...args) => { window.drawn.react += 1; return react(...args); };
        window.Plotly.extendTraces = (div, update, indices) => {
            window.drawn.appends.push([div.id, frame, update.y[0].length]);
            return extendTraces(div, update, indices);
        };
    }""")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    burst = [{"taken_at": stamp(now + timedelta(seconds=i)), "hr": 90 + i, "sbp": 150} for i in range(3)]
    call(live_server, "POST", f"/api/sessions/{session_id}/vitals", burst)
    page.wait_for_function("() => document.getElementById('trend-hr').data[0].y.length === 6", timeout=1000)
    assert chart(page, "hr", "div.data[0].y") == [70, 76, 81, 90, 91, 92]
    drawn = page.evaluate("window.drawn")
    assert drawn["react"] == 0  # appended, never redrawn
    charts_per_frame = [(chart_id, frame) for chart_id, frame, _ in drawn["appends"]]
    assert len(charts_per_frame) == len(set(charts_per_frame))  # at most one update per chart per frame
    assert sum(points for chart_id, _, points in drawn["appends"] if chart_id == "trend-hr") == 3
    assert {chart_id for chart_id, _, _ in drawn["appends"]} == {"trend-hr", "trend-bp"}


def test_the_bedside_page_opens_one_live_connection_and_fetches_nothing_the_server_just_rendered(
        page, live_server, session_id):
    sign_in_page(page, "nurse")
    sockets, fetched = [], []
    page.goto("about:blank")  # the dashboard the sign-in lands on has closed its own connection
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("request", lambda r: fetched.append(r.url) if r.resource_type in ("fetch", "xhr") else None)
    page.goto(f"{live_server.url}/sessions/{session_id}")
    expect(page.locator("#trends")).to_have_attribute("data-ready", "true", timeout=10_000)
    expect(page.locator("#connection")).to_be_hidden()  # live: subscribed and caught up
    assert [url.split("?")[0].rsplit("/", 2)[-2] for url in sockets] == ["socket.io"]
    assert fetched == []
    with page.expect_request(lambda r: r.url.endswith(f"/sessions/{session_id}/panels"), timeout=10_000):
        call(live_server, "POST", f"/api/sessions/{session_id}/side-effects", {"kind": "headache", "severity": "mild"})
    page.wait_for_function(
        "() => document.getElementById('trend-hr').data[1].text.includes('mild headache')", timeout=10_000)
    assert len(sockets) == 1
    assert sorted({url.split("?")[0].replace(live_server.url, "") for url in fetched}) == [
        f"/sessions/{session_id}/panels", f"/sessions/{session_id}/trends"]
