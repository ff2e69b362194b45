"""Every list pages (CONTRACT.md §2 "Lists page"): `limit`, `cursor`, `{items, next}`, the session filters."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.helpers import counts, sign_in

LISTS = ("/api/sessions?state=all", "/api/alerts?state=all", "/api/patients", "/api/audit", "/api/users",
         "/api/rems")


def walk(api, path: str, limit: int, between=lambda: None, role: str = "clinician") -> list[dict]:
    """Every item of a list, page by page; `between` runs after each page (rows added meanwhile)."""
    items, cursor = [], None
    while True:
        joiner = "&" if "?" in path else "?"
        response = api.get(f"{path}{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), role=role)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items
        between()


def test_paging_gives_every_session_once_while_sessions_are_added(api):
    existing = [api.session()["id"] for _ in range(23)]
    added = []
    listed = walk(api, "/api/sessions?state=all", 5, between=lambda: added.append(api.session()["id"]))
    ids = [s["id"] for s in listed]
    assert len(ids) == len(set(ids))  # none twice
    assert set(existing) <= set(ids)  # none missed
    assert set(ids) <= set(existing) | set(added)
    assert ids == sorted(ids, reverse=True)  # newest first (all made on the same clock: by id)
    assert len(added) >= 4


def test_paging_the_audit_trail_while_every_read_adds_to_it(api):
    sid = api.session()["id"]
    for _ in range(12):
        api.get(f"/api/sessions/{sid}")  # each read adds an audit entry
    before = [e["id"] for e in api.get("/api/audit?limit=1000", role="clinician").get_json()["items"]]
    listed = walk(api, "/api/audit", 4, between=lambda: api.get(f"/api/sessions/{sid}"))
    ids = [e["id"] for e in listed]
    assert len(ids) == len(set(ids)) and set(before) <= set(ids)
    assert ids == sorted(ids, reverse=True)


def test_alerts_page_in_priority_order_and_every_alert_once(api, clock):
    for _ in range(4):
        sid = api.session()["id"]
        api.vitals(sid, {"temp_c": 39.4})  # medium
        api.vitals(sid, {"sbp": 186, "dbp": 96})  # high
        api.post(f"/api/sessions/{sid}/side-effects", {"kind": "nausea", "severity": "moderate"})  # low
    whole = api.get("/api/alerts?state=all&limit=1000").get_json()["items"]
    paged = walk(api, "/api/alerts?state=all", 5)
    assert [a["id"] for a in paged] == [a["id"] for a in whole]
    assert [a["priority"] for a in paged] == ["high"] * 4 + ["medium"] * 4 + ["low"] * 4


@pytest.fixture
def clinic(api, clock):
    """Sessions on three days, two patients, two chairs, one aborted and signed."""
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    okafor = api.patient(mrn="MRN-OK1", family_name="Okafor", given_name="Grace")["id"]
    lindqvist = api.patient(mrn="MRN-LQ2", family_name="Lindqvist", given_name="Erik")["id"]
    made = {}
    for name, day, patient, chair in (("a", 2, okafor, "1"), ("b", 2, lindqvist, "2"), ("c", 3, okafor, "2"),
                                      ("d", 4, lindqvist, "1"), ("e", 4, okafor, "1")):
        clock.set(datetime(2026, 3, day, 9, 0, tzinfo=timezone.utc))
        made[name] = api.session(patient_id=patient, chair=chair)["id"]
    api.transition(made["c"], "aborted", reason="patient unwell")
    assert api.post(f"/api/sessions/{made['c']}/sign", {"password": "clinician-password-1", "meaning": "Reviewed"},
                    role="clinician").status_code == 200
    return made | {"okafor": okafor, "lindqvist": lindqvist}


@pytest.mark.parametrize(("query", "expected"), [
    ("state=all", "edcba"),
    ("state=all&from=2026-03-03", "edc"),
    ("state=all&from=2026-03-03&to=2026-03-03", "c"),
    ("state=all&to=2026-03-02", "ba"),
    ("state=all&chair=1", "eda"),
    ("state=all&chair=1&from=2026-03-03", "ed"),
    ("state=all&patient=okafor", "eca"),
    ("state=all&patient=MRN-LQ&chair=1", "d"),
    ("state=all&signed=true", "c"),
    ("state=all&signed=false&patient=Grace Okafor", "ea"),
    ("state=aborted", "c"),
    ("state=active&chair=2", "b"),
    ("state=scheduled&from=2026-03-04T09:00:00Z&to=2026-03-04T09:00:00Z&chair=1", "ed"),
])
def test_session_filters_combine(api, clinic, query, expected):
    listed = walk(api, f"/api/sessions?{query}", 2)
    assert [s["id"] for s in listed] == [clinic[name] for name in expected]


def test_the_patient_filter_by_id(api, clinic):
    listed = api.get(f"/api/sessions?state=all&patient_id={clinic['lindqvist']}").get_json()["items"]
    assert [s["id"] for s in listed] == [clinic["d"], clinic["b"]]


def test_a_first_dose_dates_the_session(api, clinic, clock):
    """A session scheduled on the 2nd and first dosed on the 5th is listed on the 5th."""
    clock.set(datetime(2026, 3, 5, 10, 0, tzinfo=timezone.utc))
    api.transition(clinic["a"], "baseline")
    api.transition(clinic["a"], "infusing")
    on_fifth = api.get("/api/sessions?state=all&from=2026-03-05").get_json()["items"]
    assert [s["id"] for s in on_fifth] == [clinic["a"]]


def first_page_cursor(api, path: str) -> str:
    page = api.get(path, role="admin" if "users" in path else "clinician").get_json()
    assert page["next"], page
    return page["next"]


@pytest.mark.parametrize("path", LISTS)
def test_limits_and_cursors_that_are_not_this_lists_are_refused(api, db_path, path):
    for _ in range(3):  # three rows in every list: dosed esketamine sessions with an alert
        sid = api.session(drug="esketamine", route="intranasal", dose_mg=56, dose_mg_per_kg=None)["id"]
        api.transition(sid, "baseline")
        api.transition(sid, "infusing")
        api.vitals(sid, {"temp_c": 39.4})
    role = "admin" if "users" in path else "clinician"
    joiner = "&" if "?" in path else "?"
    cursor = first_page_cursor(api, f"{path}{joiner}limit=1")
    foreign = first_page_cursor(api, "/api/audit?limit=1" if "sessions" in path else "/api/sessions?state=all&limit=1")
    before = counts(db_path)
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    refused = [f"{path}{joiner}limit=1001", f"{path}{joiner}limit=0", f"{path}{joiner}cursor={foreign}",
               f"{path}{joiner}cursor=not-a-cursor", f"{path}{joiner}cursor={tampered}"]
    for bad in refused:
        response = api.get(bad, role=role)
        assert response.status_code == 400, (bad, response.get_json())
        assert response.get_json()["error"]["code"] == "bad_request"
    assert counts(db_path) == before
    assert api.get(f"{path}{joiner}limit=1000", role=role).status_code == 200


def test_a_cursor_is_bound_to_its_filters(api, clinic):
    cursor = first_page_cursor(api, "/api/sessions?state=all&chair=1&limit=1")
    assert api.get(f"/api/sessions?state=all&chair=1&cursor={cursor}").status_code == 200
    other = api.get(f"/api/sessions?state=all&chair=2&cursor={cursor}")
    assert (other.status_code, other.get_json()["error"]["fields"]) == (400, {"cursor": "given for other filters"})


def test_the_document_describes_paging_on_every_list(api):
    paths = api.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/sessions", "/api/alerts", "/api/patients", "/api/audit", "/api/users", "/api/rems"):
        get = paths[path]["get"]
        names = {p["name"]: p["schema"] for p in get["parameters"]}
        assert names["limit"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, path
        assert "cursor" in names, path
        body = get["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["required"] == ["items", "next"], path
    session_filters = {p["name"] for p in paths["/api/sessions"]["get"]["parameters"]}
    assert {"from", "to", "patient_id", "state", "signed", "chair"} <= session_filters


@pytest.mark.parametrize(("query", "expected"), [
    ("kafor", ["Okafor"]), ("OKAF", ["Okafor"]), ("LQ2", ["Lindqvist"]), ("MRN-", ["Lindqvist", "Okafor"]),
    ("grace oka", ["Okafor"]), ("er", ["Lindqvist"]), ("zz", []), ("zzz", []), ('"ok', []),
])
def test_patients_are_found_by_any_part_of_the_mrn_or_name(api, clinic, query, expected):
    found = api.get(f"/api/patients?q={query}").get_json()["items"]
    assert [p["family_name"] for p in found] == expected
    sessions = api.get(f"/api/sessions?state=all&patient={query}").get_json()["items"]
    assert {s["patient"]["family_name"] for s in sessions} == set(expected)


def test_the_rems_page_pages_on_the_lists_cursor(app, api):
    dosed = []
    for _ in range(3):
        sid = api.session(drug="esketamine", route="intranasal", dose_mg=56, dose_mg_per_kg=None)["id"]
        api.transition(sid, "baseline")
        api.transition(sid, "infusing")
        dosed.append(sid)
    client = app.test_client()
    sign_in(client, "nurse")
    first = client.get("/rems?limit=2").get_data(as_text=True)
    following = re.search(r'class="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(following).get_data(as_text=True)
    shown = [[sid for sid in dosed if f"/sessions/{sid}/rems" in html] for html in (first, second)]
    assert shown == [dosed[:2], dosed[2:]]
    assert 'class="next-page"' not in second
