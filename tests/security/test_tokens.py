"""API tokens (issue 10 point 15): each lasts a number of days, and one can be revoked without the others."""
from __future__ import annotations

from monitor.record import users
from monitor.store.db import SYSTEM
from tests.helpers import monitor


def new_token(store, name: str, days: int = users.TOKEN_DAYS) -> str:
    with store.write(SYSTEM) as tx:
        return users.create_token(tx, users.by_name(store.db, name)["id"], days)


def answer(client, token: str) -> int:
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_stops_working_when_its_days_are_over(client, store, clock):
    clock.set(clock())
    token = new_token(store, "nurse", days=1)
    assert answer(client, token) == 200
    clock.advance(hours=23, minutes=59)
    assert answer(client, token) == 200
    clock.advance(minutes=2)
    assert answer(client, token) == 401


def test_a_new_token_lasts_ninety_days_by_default(client, store, clock):
    clock.set(clock())
    token = new_token(store, "nurse")
    clock.advance(days=89, hours=23)
    assert answer(client, token) == 200
    clock.advance(hours=2)
    assert answer(client, token) == 401


def test_one_token_is_revoked_and_the_others_go_on(client, store, clinic):
    env, _ = clinic
    kept, revoked = new_token(store, "clinician"), new_token(store, "clinician")
    listed = monitor(env, "token", "list", "clinician")
    assert listed.returncode == 0, listed.stderr
    newest = listed.stdout.splitlines()[0].split("\t")
    assert newest[3] == "active" and newest[2].startswith("lasts until ")
    result = monitor(env, "token", "revoke", newest[0])
    assert result.returncode == 0, result.stderr
    assert (answer(client, revoked), answer(client, kept)) == (401, 200)
    assert monitor(env, "token", "list", "clinician").stdout.splitlines()[0].split("\t")[3].startswith("revoked ")
    again = monitor(env, "token", "revoke", newest[0])
    assert again.returncode == 1 and f"token {newest[0]} was revoked at" in again.stderr


def test_the_command_makes_a_token_of_the_days_asked(clinic, client, store, clock):
    env, _ = clinic
    made = monitor(env, "token", "create", "admin", "--days", "7")
    assert made.returncode == 0, made.stderr
    clock.set(clock())
    clock.advance(days=6, hours=23)
    assert answer(client, made.stdout.strip()) == 200
    clock.advance(hours=2)
    assert answer(client, made.stdout.strip()) == 401
    assert monitor(env, "token", "create", "admin", "--days", "0").returncode == 1
