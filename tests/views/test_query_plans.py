"""Views that cost what they show: every query a page or list runs reads an index, never a whole table
of the clinic's history (EXPLAIN QUERY PLAN of each statement the request ran)."""
from __future__ import annotations

import re

import pytest

from monitor.views import reports, session_record

# Tables that grow with every session. `patients` grows with patients, not sessions, and a search by
# part of a name or MRN has to read it (it is the one table a search may scan).
HISTORY = ("sessions", "vitals", "vitals_voids", "transitions", "side_effects", "side_effect_resolutions",
           "assessments", "notes", "signatures", "audit", "events", "alerts", "rems_submissions")
SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?(?: USING (?:COVERING )?INDEX (\w+))?")


@pytest.fixture
def clinic(api, clock):
    """A few sessions in every state that matters: infusing with an alert, ended and signed, esketamine."""
    made = {}
    for name, drug in (("signed", "ketamine"), ("esketamine", "esketamine"), ("infusing", "ketamine")):
        sid = api.session(drug=drug, route="intranasal" if drug == "esketamine" else "iv", dose_mg=56)["id"]
        api.transition(sid, "baseline")
        api.vitals(sid, {"sbp": 126, "dbp": 80, "hr": 70})
        clock.advance(minutes=1)
        api.transition(sid, "infusing")
        clock.advance(minutes=10)
        api.vitals(sid, {"sbp": 186, "dbp": 98, "hr": 82})
        api.post(f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "mild"})
        made[name] = sid
    for to in ("recovery", "ready"):
        api.transition(made["signed"], to)
    api.post(f"/api/sessions/{made['signed']}/assessments", {"instrument": "aldrete", "items": {
        "activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}})
    api.transition(made["signed"], "discharged")
    api.post(f"/api/sessions/{made['signed']}/sign", {"password": "clinician-password-1", "meaning": "Reviewed"},
             role="clinician")
    api.transition(made["esketamine"], "aborted", reason="unwell")
    made["patient"] = api.get(f"/api/sessions/{made['signed']}").get_json()["patient_id"]
    return made


def statements(store, request) -> list[str]:
    """Every SELECT the request ran on this thread's connection."""
    ran: list[str] = []
    store.db.conn.set_trace_callback(ran.append)
    try:
        request()
    finally:
        store.db.conn.set_trace_callback(None)
    return [sql for sql in ran if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def full_scans(store, sql: str) -> list[str]:
    """The plan's scans of a history table that read more than the rows shown. A scan is fine on a
    partial index (it holds only what is waiting: open alerts, records to sign) or in a statement that
    stops at a LIMIT without sorting first (a keyset page, the latest row); any other scan reads it all."""
    plan = [detail for *_, detail in store.db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()]
    partial = {name for name, text in store.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
               if text and " WHERE " in text.upper()}
    stops = " LIMIT " in sql.upper() and not any("TEMP B-TREE" in detail for detail in plan) and not filtered(sql)
    return [detail for detail in plan if (m := SCAN.match(detail)) and m.group(1) in HISTORY
            and m.group(2) not in partial and not stops]


KEYSET = re.compile(r"\([^()]*\) [<>] \(\?(?:, \?)*\)")


# Filters that keep a steady share of all sessions (one chair of six; signed, as nearly every record is
# within days): a scan in list order fills a page after limit / share rows, whatever the history.
STEADY_SHARE = re.compile(r"^(CHAIR = \S+|SIGNED_AT IS NOT NULL)$")


def filtered(sql: str) -> bool:
    """Does the statement filter rows (besides a keyset page's own "after this key")? A scan in index
    order that filters out most rows walks far past its LIMIT to find the few it keeps."""
    where = KEYSET.sub("", sql.upper().partition(" WHERE ")[2].partition(" ORDER BY ")[0])
    terms = [term.strip() for term in where.split(" AND ") if term.strip()]
    return any(not STEADY_SHARE.match(term) for term in terms)


PATHS = (
    "/", "/sessions", "/sessions?from=2020-01-01&to=2099-12-31&chair=1&signed=false&state=all&patient=Okafor",
    "/worklist", "/worklist/panel", "/reports", "/rems", "/patients/{patient}", "/sessions/{infusing}",
    "/sessions/{infusing}/panels", "/sessions/{signed}/record", "/sessions/{esketamine}/rems",
    "/api/sessions", "/api/sessions?state=all", "/api/sessions?state=all&signed=true&chair=1",
    "/api/sessions?state=all&patient_id={patient}", "/api/alerts", "/api/alerts?state=all",
    "/api/alerts?state=all&session_id={infusing}", "/api/audit", "/api/audit?session_id={signed}",
    "/api/rems", "/api/worklist", "/api/patients", "/api/sessions/{signed}", "/api/patients/{patient}",
    "/api/events?since=0&session_id={infusing}",
)


@pytest.mark.parametrize("path", PATHS)
def test_no_page_or_list_reads_a_whole_table_of_history(api, app, store, clinic, path):
    url = path.format(**clinic)
    seen = []

    def request():
        response = api.get(url, role="clinician")
        seen.append(response.status_code)

    ran = statements(store, request)
    assert seen == [200]
    assert ran, "the request ran no query on this thread"
    scans = {sql: found for sql in ran if (found := full_scans(store, sql))}
    assert scans == {}


def test_the_check_catches_a_full_scan(store):
    """The test above can fail: the old report query grouped every transition of the clinic's history."""
    old = ("SELECT session_id, MIN(at) AS first FROM transitions WHERE to_state = 'infusing'"
           " GROUP BY session_id HAVING first >= '2026-01-01'")
    assert full_scans(store, old) == ["SCAN transitions USING INDEX transitions_session"]


def test_the_report_window_agrees_with_the_treatment_series(store, clinic):
    """The report reads its window in one query; its figures are the series' own, session by session."""
    report = reports.window_rows(store.db, "2000-01-01")
    series = [session_record.series_row(store.db, sid) for sid in (clinic["signed"], clinic["esketamine"],
                                                                    clinic["infusing"])]
    assert sorted(((r["sbp_rise"], r["recovery_minutes"]) for r in report), key=str) == sorted(
        ((r["sbp_rise"], r["recovery_minutes"]) for r in series), key=str)
    assert {r["sbp_rise"] for r in report} == {60}


def test_the_clinic_totals_are_kept_by_each_write(api, store, clinic):
    """All-history totals come from the summary the writes keep, and agree with counting everything."""
    counted = {name: store.db.execute(sql).fetchone()[0] for name, sql in (
        ("patients", "SELECT COUNT(*) FROM patients"), ("sessions", "SELECT COUNT(*) FROM sessions"),
        ("dosed", "SELECT COUNT(*) FROM sessions WHERE first_dose_at IS NOT NULL"),
        ("signed", "SELECT COUNT(*) FROM signatures"))}
    assert reports.totals(store.db) == counted == {"patients": 3, "sessions": 3, "dosed": 3, "signed": 1}
    later = api.session()["id"]
    api.transition(later, "baseline")
    api.transition(later, "infusing")
    api.transition(later, "paused")
    api.transition(later, "infusing")  # a second entry to infusing is not a second dosed session
    assert reports.totals(store.db) == counted | {"patients": 4, "sessions": 4, "dosed": 4}
