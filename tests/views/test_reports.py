"""Clinic analytics: sessions per week, BP rise, side-effect rates and recovery times, with exact figures."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from monitor.views import reports
from tests.helpers import ZONE

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=timezone.utc)  # a Wednesday


@pytest.fixture
def clinic(api, clock):
    """Three sessions dosed in the window, one never dosed and one dosed before the window."""
    clock.set(NOW)

    def dosed(day, baseline, peak, ready_after=None, effects=()):
        session_id = api.session()["id"]
        api.transition(session_id, "baseline", at=f"{day}T08:50:00Z")
        api.vitals(session_id, {"taken_at": f"{day}T08:55:00Z", "sbp": baseline[0], "dbp": baseline[1]})
        api.transition(session_id, "infusing", at=f"{day}T09:00:00Z", confirm=True)
        api.vitals(session_id, {"taken_at": f"{day}T09:40:00Z", "sbp": peak[0], "dbp": peak[1]})
        for kind, severity in effects:
            api.post(f"/api/sessions/{session_id}/side-effects",
                     {"kind": kind, "severity": severity, "observed_at": f"{day}T09:20:00Z"})
        api.transition(session_id, "recovery", at=f"{day}T09:45:00Z")
        if ready_after is not None:
            ready = datetime.fromisoformat(f"{day}T09:45:00+00:00") + timedelta(minutes=ready_after)
            api.transition(session_id, "ready", at=ready.isoformat())
        return session_id

    dosed("2026-03-17", (120, 80), (150, 95), ready_after=25, effects=[("nausea", "moderate")])
    dosed("2026-03-10", (130, 85), (142, 90), ready_after=40, effects=[("vomiting", "severe"), ("nausea", "mild")])
    dosed("2026-03-16", (118, 76), (121, 79))
    dosed("2025-11-03", (120, 80), (170, 100), ready_after=90)
    api.session()


def test_the_report_counts_the_sessions_dosed_in_the_last_twelve_weeks(clinic, store):
    report = reports.clinic_report(store.db, NOW, ZONE)
    assert report["since"] == "2025-12-29T00:00:00.000Z"
    assert report["sessions"] == 3
    assert [w["week"] for w in report["per_week"]][:2] == ["2025-12-29", "2026-01-05"]
    assert [w["sessions"] for w in report["per_week"]] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]


def test_the_bp_rise_and_recovery_distributions(clinic, store):
    report = reports.clinic_report(store.db, NOW, ZONE)
    assert report["bp_rise"] == {"count": 3, "median": 12, "p90": 30, "bins": [
        {"from": 0, "to": 10, "count": 1}, {"from": 10, "to": 20, "count": 1}, {"from": 20, "to": 30, "count": 0},
        {"from": 30, "to": 40, "count": 1}]}
    assert report["recovery"] == {"count": 2, "median": 32.5, "p90": 40.0, "bins": [
        {"from": 20, "to": 30, "count": 1}, {"from": 30, "to": 40, "count": 0}, {"from": 40, "to": 50, "count": 1}]}


def test_side_effect_rates_are_shares_of_the_sessions_dosed(clinic, store):
    assert reports.clinic_report(store.db, NOW, ZONE)["side_effects"] == [
        {"kind": "nausea", "sessions": 2, "severe_sessions": 0, "percent": 66.7},
        {"kind": "vomiting", "sessions": 1, "severe_sessions": 1, "percent": 33.3}]


def test_an_empty_clinic_reports_nothing_but_zeros(store):
    report = reports.clinic_report(store.db, NOW, ZONE)
    assert (report["sessions"], report["bp_rise"], report["side_effects"]) == (
        0, {"count": 0, "median": None, "p90": None, "bins": []}, [])
    assert sum(w["sessions"] for w in report["per_week"]) == 0


def test_the_reports_page_shows_the_figures(clinic, client):
    from tests.web.test_pages import html, signed_in

    signed_in(client, "clinician")
    page = html(client.get("/reports"))
    figures = dict(zip(page.xpath("//dl[@class='figures']//dt/text()"), page.xpath("//dl[@class='figures']//dd")))
    assert {k: v.text_content().strip() for k, v in figures.items()} == {
        "Sessions dosed": "3", "Median SBP rise": "12 mmHg", "90th centile SBP rise": "30 mmHg",
        "Median infusion end to ready": "32.5 min", "90th centile infusion end to ready": "40 min"}
