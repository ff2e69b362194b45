"""Signing in: one answer for every refusal, lockout after repeated failures, fresh login ids,
logout and disabling end the session at once, idle and absolute timeouts."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from monitor.record import users
from monitor.web.app import create_app
from tests.helpers import CSRF_FIELD, CSRF_META, PASSWORDS, sign_in


def refusal_text(response) -> str:
    """The refusal page with its per-session CSRF tokens blanked, to compare two answers."""
    text = CSRF_FIELD.sub('name="csrf_token" value=""', response.get_data(as_text=True))
    return CSRF_META.sub('name="csrf-token" content=""', text)


def app_with(config, store, **changes):
    app = create_app(config.with_overrides(**changes), store=store)
    app.config["TESTING"] = True
    return app


def test_unknown_user_wrong_password_and_disabled_user_get_the_same_answer(app, api, store):
    with store.write(users.actor_for(users.by_name(store.db, "admin"))) as tx:
        users.set_disabled(tx, users.by_name(store.db, "clinician")["id"], True)
    answers = [sign_in(app.test_client(), name, password) for name, password in (
        ("nobody-here", "nurse-password-1"), ("nurse", "wrong-password-9"), ("clinician", "clinician-password-1"))]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert refusal_text(answers[0]) == refusal_text(answers[1]) == refusal_text(answers[2])
    assert "Unknown user or wrong password." in refusal_text(answers[0])
    assert sorted(answers[0].headers.keys()) == sorted(answers[1].headers.keys()) == sorted(answers[2].headers.keys())


def test_an_unknown_user_costs_as_much_time_as_a_wrong_password(app):
    def seconds(name):
        client = app.test_client()
        start = time.perf_counter()
        sign_in(client, name, "wrong-password-9")
        return time.perf_counter() - start

    unknown = sorted(seconds("nobody-here") for _ in range(3))[1]
    known = sorted(seconds("nurse") for _ in range(3))[1]
    assert unknown > known / 3 and known > unknown / 3


def test_five_failures_lock_the_name_out_even_with_the_right_password(app):
    client = app.test_client()
    assert [sign_in(client, "nurse", f"guess-{i}").status_code for i in range(5)] == [401] * 5
    locked = sign_in(client, "nurse")
    assert locked.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) > 0
    assert sign_in(app.test_client(), "clinician").status_code == 302


def test_an_unknown_name_is_locked_out_the_same_way(app):
    client = app.test_client()
    assert [sign_in(client, "nobody-here", "x").status_code for _ in range(6)] == [401] * 5 + [429]


def test_successful_sign_ins_are_not_counted(app):
    assert [sign_in(app.test_client(), "nurse").status_code for _ in range(7)] == [302] * 7


def test_one_address_trying_many_names_is_limited(config, store):
    app = app_with(config, store, login_max_failures=1)
    client = app.test_client()
    answers = [sign_in(client, f"name-{i}", "x").status_code for i in range(7)]
    assert answers == [401] * 6 + [429]
    assert sign_in(client, "nurse").status_code == 429


def test_the_lockout_ends_when_its_window_has_passed(config, store, clock):
    """The window runs on the store's clock (the failures are rows in the database), moved here by hand."""
    app = app_with(config, store, login_max_failures=2, login_lockout_seconds=60)
    client = app.test_client()
    clock.set(clock())
    assert [sign_in(client, "nurse", "x").status_code for _ in range(3)] == [401, 401, 429]
    clock.advance(seconds=59)
    assert sign_in(client, "nurse").status_code == 429
    clock.advance(seconds=2)
    assert sign_in(client, "nurse").status_code == 302


def login_id(client) -> str | None:
    with client.session_transaction() as cookie_session:
        return cookie_session.get("login")


def test_each_login_gets_a_new_session_id(app, store):
    client = app.test_client()
    client.get("/login")
    assert login_id(client) is None
    sign_in(client, "nurse")
    first = login_id(client)
    sign_in(client, "nurse")
    second = login_id(client)
    assert first and second and first != second
    assert len(first) >= 40
    rows = store.db.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0]
    assert rows == 2


def copy_of_cookie(app, client):
    """A second browser holding the same cookie (as a thief would)."""
    stolen = app.test_client()
    cookie = client.get_cookie("monitor_session")
    stolen.set_cookie("monitor_session", cookie.value)
    return stolen


def test_logout_ends_the_http_session_at_once_even_for_a_copied_cookie(app):
    client = app.test_client()
    sign_in(client, "nurse")
    stolen = copy_of_cookie(app, client)
    assert stolen.get("/api/me").status_code == 200
    token = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/me").status_code == 401
    assert stolen.get("/api/me").status_code == 401
    assert stolen.get("/").headers["Location"].startswith("/login")


def test_disabling_a_user_ends_their_session_and_tokens_at_once(app, api, store):
    client = app.test_client()
    sign_in(client, "nurse")
    assert client.get("/api/me").get_json()["username"] == "nurse"
    nurse_id = users.by_name(store.db, "nurse")["id"]
    assert api.post(f"/api/users/{nurse_id}", {"disabled": True}, role="admin").status_code == 200
    assert client.get("/api/me").status_code == 401
    assert client.get("/").status_code == 302
    assert api.get("/api/me", role="nurse").status_code == 401
    assert sign_in(app.test_client(), "nurse").status_code == 401


def test_idle_timeout_is_fifteen_minutes_by_default(app, clock):
    client = app.test_client()
    sign_in(client, "nurse")
    for _ in range(4):  # activity keeps the session alive well past 15 minutes in all
        clock.advance(minutes=14)
        assert client.get("/api/me").status_code == 200
    clock.advance(minutes=15, seconds=1)
    expired = client.get("/api/me")
    assert expired.status_code == 401
    assert expired.get_json()["error"]["code"] == "unauthenticated"


def test_after_the_idle_timeout_a_page_redirects_to_login(app, clock):
    client = app.test_client()
    sign_in(client, "nurse")
    assert client.get("/").status_code == 200
    clock.advance(minutes=16)
    page = client.get("/")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/"


def test_the_idle_timeout_is_configurable(config, store, clock):
    app = app_with(config, store, idle_timeout_minutes=5)
    client = app.test_client()
    sign_in(client, "nurse")
    clock.advance(minutes=4)
    assert client.get("/api/me").status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("hours", [12, 2])
def test_the_absolute_timeout_ends_even_an_active_session(config, store, clock, hours):
    app = app_with(config, store, absolute_timeout_hours=hours)
    client = app.test_client()
    sign_in(client, "nurse")
    for _ in range(hours * 6 - 1):
        clock.advance(minutes=10)
        assert client.get("/api/me").status_code == 200
    clock.advance(minutes=10, seconds=1)
    assert client.get("/api/me").status_code == 401
    assert client.get("/").headers["Location"].startswith("/login")


def test_twenty_parallel_wrong_logins_check_only_the_allowed_five(live_server):
    """Issue 10 point 4: 20 at once were all checked (20 x 401). Each check takes its place first, in a
    write transaction, so only MONITOR_LOGIN_MAX_FAILURES are checked and the rest are refused as locked."""
    def prepared() -> tuple[requests.Session, str]:
        browser = requests.Session()
        page = browser.get(live_server.url + "/login", timeout=10).text
        return browser, CSRF_FIELD.search(page).group(1)

    clients = [prepared() for _ in range(20)]
    start = threading.Barrier(len(clients))

    def attempt(client) -> int:
        browser, token = client
        start.wait()
        return browser.post(live_server.url + "/login", allow_redirects=False, timeout=60,
                            data={"username": "admin", "password": "wrong-password", "csrf_token": token}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = sorted(pool.map(attempt, clients))
    assert answers == [401] * 5 + [429] * 15
    browser, token = prepared()
    right = browser.post(live_server.url + "/login", allow_redirects=False, timeout=10,
                         data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": token})
    assert right.status_code == 429


def test_variants_of_a_name_share_one_lockout(app):
    """Kept canonical, "Nurse", "NURSE " and "nurse" are one user, so they count toward one allowance."""
    client = app.test_client()
    tried = ["nurse", "Nurse", "NURSE ", " nurse", "ｎｕｒｓｅ"]
    assert [sign_in(client, name, "wrong-password").status_code for name in tried] == [401] * 5
    assert sign_in(client, "nUrSe").status_code == 429
