"""The dashboard across a server restart: the banner, stale values, reconnection and catch-up."""
from __future__ import annotations

import re
from datetime import timezone

from playwright.sync_api import expect

from monitor.record import users, vitals
from tests.helpers import call, open_store, sign_in_page


def test_after_a_restart_the_page_shows_the_banner_recovers_by_itself_and_shows_what_was_saved(page, live_server):
    patient = call(live_server, "POST", "/api/patients", {"mrn": "RS-1", "family_name": "Kowalski",
                                                          "given_name": "Jan", "birth_date": "1964-02-29"})
    session_id = call(live_server, "POST", "/api/sessions", {"patient_id": patient["id"], "chair": "3",
                                                             "drug": "ketamine", "route": "iv"})["id"]
    call(live_server, "POST", f"/api/sessions/{session_id}/vitals", {"hr": 71, "sbp": 118, "dbp": 76})
    sign_in_page(page, "clinician")
    hr = page.locator(f'.tile[data-session-id="{session_id}"] [data-measure="hr"] .value')
    expect(hr).to_have_text("71")
    expect(page.locator("#connection")).to_have_text("Live")

    live_server.stop()
    banner = page.get_by_role("alert").filter(has_text="Disconnected since")
    expect(banner).to_be_visible(timeout=10_000)
    expect(banner.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(page.locator("#dashboard")).to_have_class(re.compile(r"\bstale\b"))

    saved_while_down = open_store(live_server.db)  # another process writes while this server is down
    nurse = users.actor_for(users.by_name(saved_while_down.db, "nurse"))
    with saved_while_down.write(nurse) as tx:
        vitals.record(tx, session_id, [{"hr": 104, "sbp": 162, "dbp": 99}], zone=timezone.utc)
    saved_while_down.close()

    live_server.start()
    expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    expect(banner).to_be_hidden()
    expect(page.locator("#dashboard")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(hr).to_have_text("104")
    expect(page.locator(f'.tile[data-session-id="{session_id}"] [data-measure="bp"] .value')).to_have_text("162/99")
    caught_up = re.compile(r"^Reconnected at \d\d:\d\d:\d\d: 1 change caught up\.$")
    expect(page.locator("#caught-up")).to_have_text(caught_up)
