"""The clinic's outcomes on /reports and GET /api/reports/outcomes: response and remission after infusions
2, 4 and 6, the retention funnel and the median change by indication, each with its numbers."""
from datetime import UTC, datetime, timedelta

import lxml.html

from tests.helpers import sign_in
from tests.views.test_course import infusion

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def course(api, clock, mrn, totals, indication="depression", start=START):
    """One patient's course: an infusion every 3 days, PHQ-9 scored before each (`totals` in order)."""
    patient = api.patient(mrn=mrn)["id"]
    for number, total in enumerate(totals, start=1):
        infusion(api, clock, patient, number, start + timedelta(days=3 * (number - 1)), phq9=total,
                 indication=indication)
    return patient


def test_rates_funnel_and_change_by_indication(api, clock, client):
    course(api, clock, "R-1", [20, 18, 12, 10, 9, 6])          # responds after infusion 4 (scored before 5)
    course(api, clock, "R-2", [16, 10, 7, 5, 4, 3], "PTSD")    # responds after 2, remits after 4
    course(api, clock, "R-3", [18])                            # stopped after the first
    course(api, clock, "R-4", [14, 13, 15])                    # not responding, stopped after 3
    clock.set(START + timedelta(days=30))
    report = api.get("/api/reports/outcomes").get_json()
    assert report["patients"] == 4
    rates = {r["after_infusion"]: r for r in report["after_infusions"] if r["instrument"] == "phq9"}
    assert [(n, rates[n]["scored"], rates[n]["responded"], rates[n]["remitted"], rates[n]["response_percent"],
             rates[n]["remission_percent"]) for n in (2, 4, 6)] == [
        (2, 3, 1, 0, 33.3, 0.0), (4, 2, 2, 1, 100.0, 50.0), (6, 0, 0, 0, None, None)]
    assert [(f["infusion"], f["patients"], f["percent"]) for f in report["funnel"]] == [
        (1, 4, 100.0), (2, 3, 75.0), (3, 3, 75.0), (4, 2, 50.0), (5, 2, 50.0), (6, 2, 50.0)]
    assert report["change_by_indication"] == [
        {"indication": "ptsd", "instrument": "phq9", "patients": 1, "median_change_pct": -81.2},
        {"indication": "depression", "instrument": "phq9", "patients": 2, "median_change_pct": -31.4}]
    sign_in(client, "clinician")
    page = lxml.html.fromstring(client.get("/reports").get_data(as_text=True))
    rows = [[c.text_content().strip() for c in r.xpath("th|td")]
            for r in page.xpath("//table[@class='retention']//tbody/tr")]
    assert rows[0] == ["1", "4", "100%"] and rows[-1] == ["6", "2", "50%"]
    assert page.xpath("//div[@id='chart-outcome-response']/@data-figure")
    assert page.xpath("//div[@id='chart-retention']/@data-figure")
