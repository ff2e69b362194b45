"""Nothing typed is lost: a save that cannot reach the server is kept on the device, shown as not saved
yet, sent again when the server answers, and stored exactly once."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers import LiveApi, ago, minute_now, sign_in_page, watched_page


def infusing_session(api, t) -> int:
    session = api.session(chair="5")
    api.to(session["id"], "baseline", ago(30, t))
    api.to(session["id"], "infusing", ago(25, t))
    return session["id"]


def waiting(page) -> list:
    return page.evaluate("JSON.parse(localStorage.getItem('monitor.outbox.v1') || '[]')")


def test_saves_made_while_the_server_is_stopped_are_kept_and_stored_exactly_once_after_it_restarts(browser,
                                                                                                    live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session_id = infusing_session(api, t)
    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        live_server.stop()
        expect(page.locator("#connection")).to_contain_text("Connection lost since")

        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("88")
        form.get_by_label("SBP").fill("131")
        form.get_by_label("DBP").fill("84")
        form.get_by_role("button", name="Save vitals").click()
        expect(form.locator(".form-status")).to_have_text(
            "Not saved yet: kept on this device and sent when the server answers.")
        effect = page.locator("#side-effect-form")
        effect.get_by_role("button", name="Headache").click()
        effect.get_by_label("Mild").check()
        effect.get_by_role("button", name="Record side effect").click()

        outbox = page.locator("#outbox")
        expect(outbox).to_be_visible()
        expect(outbox.locator("li")).to_have_count(2)
        expect(outbox.locator("li").first).to_contain_text("Chair 5 vitals")
        expect(outbox.locator("li").first).to_contain_text("HR 88, BP 131/84: not saved yet")
        expect(outbox.locator("li").nth(1)).to_contain_text("Chair 5 side effect: mild headache: not saved yet")
        kept = waiting(page)
        assert [(e["url"], e["state"]) for e in kept] == [
            (f"/api/sessions/{session_id}/vitals", "waiting"), (f"/api/sessions/{session_id}/side-effects", "waiting")]
        assert kept[0]["body"]["hr"] == 88 and kept[0]["body"]["taken_at"].endswith("Z")

        page.wait_for_timeout(3000)  # at least one retry fails while the server is down
        live_server.start()
        expect(outbox).to_be_hidden(timeout=30_000)
        expect(page.locator("#connection")).to_be_hidden()
        assert waiting(page) == []
        expect(page.locator("[data-panel=vitals] .vitals-row [data-field=hr]")).to_have_text(["88"])
        expect(page.locator("[data-panel=effects] tbody tr")).to_contain_text("Headache")

    record = api.record(session_id)
    assert [(v["hr"], v["sbp"], v["dbp"]) for v in record["vitals"]] == [(88, 131, 84)]
    assert [(e["kind"], e["severity"]) for e in record["side_effects"]] == [("headache", "mild")]
    assert record["vitals"][0]["taken_at"] == kept[0]["body"]["taken_at"][:23] + "Z"


def test_a_save_whose_answer_is_lost_on_the_way_back_is_stored_once_when_sent_again(browser, live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session_id = infusing_session(api, t)
    keys = []

    def reaches_the_server_but_the_answer_is_lost(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()  # the server stores it…
            route.abort("connectionreset")  # …and the page never hears back
        else:
            route.continue_()

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        page.route(f"**/api/sessions/{session_id}/vitals", reaches_the_server_but_the_answer_is_lost)
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("91")
        form.get_by_label("SpO2").fill("96")
        form.get_by_role("button", name="Save vitals").click()
        expect(page.locator("#outbox")).to_contain_text("HR 91, SpO2 96: not saved yet")
        expect(page.locator("#outbox")).to_be_hidden(timeout=30_000)
        expect(page.locator("[data-panel=vitals] .vitals-row [data-field=hr]")).to_have_text(["91"])

    assert len(keys) >= 2 and len(set(keys)) == 1 and keys[0]
    assert [(v["hr"], v["spo2"]) for v in api.record(session_id)["vitals"]] == [(91, 96)]


def test_a_kept_save_the_server_then_questions_stays_on_screen_until_confirmed(browser, live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session_id = infusing_session(api, t)
    attempts = []

    def unreachable_once(route):
        attempts.append(route.request.post_data_json)
        if len(attempts) == 1:
            route.abort("connectionrefused")
        else:
            route.continue_()

    with watched_page(browser, live_server) as page:
        sign_in_page(page, "nurse", fresh=False)
        page.goto(f"/sessions/{session_id}")
        page.route(f"**/api/sessions/{session_id}/vitals", unreachable_once)
        form = page.locator("#vitals-form")
        form.get_by_label("HR").fill("230")
        form.get_by_role("button", name="Save vitals").click()
        entry = page.locator("#outbox li")
        expect(entry).to_contain_text("HR 230: refused: HR 230 is unusual (usual 30–220 /min); confirm to save",
                                      timeout=20_000)
        assert api.record(session_id)["vitals"] == []
        entry.get_by_role("button", name="Confirm and send").click()
        expect(page.locator("#outbox")).to_be_hidden(timeout=20_000)
        expect(page.locator("[data-panel=vitals] .vitals-row [data-field=hr]")).to_have_text(["230"])
    assert [a.get("confirm") for a in attempts] == [None, None, True]
    assert [v["hr"] for v in api.record(session_id)["vitals"]] == [230]


def test_a_save_made_after_the_sign_in_ended_is_sent_once_the_nurse_signs_in_again(browser, live_server):
    api = LiveApi(live_server)
    t = minute_now()
    session_id = infusing_session(api, t)
    with watched_page(browser, live_server) as bedside:
        sign_in_page(bedside, "nurse")
        bedside.goto(f"/sessions/{session_id}")
        elsewhere = bedside.context.new_page()
        elsewhere.goto("/reports")
        elsewhere.get_by_role("button", name="Log out").click()  # as an idle timeout would end it
        elsewhere.wait_for_url("**/login")

        form = bedside.locator("#vitals-form")
        form.get_by_label("HR").fill("77")
        form.get_by_role("button", name="Save vitals").click()
        expect(bedside.locator("#outbox li")).to_contain_text("HR 77: not saved yet: signed out, sign in again")

        sign_in_page(elsewhere, "nurse")
        elsewhere.goto("/reports")
        expect(elsewhere.locator(".outbox-line")).to_be_hidden(timeout=20_000)
        expect(bedside.locator("#outbox")).to_be_hidden(timeout=20_000)
    assert [v["hr"] for v in api.record(session_id)["vitals"]] == [77]
