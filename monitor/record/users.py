"""Users, roles, passwords (argon2id), API tokens (stored only as hashes) and login sessions."""
from __future__ import annotations

import functools
import hashlib
import math
import re
import secrets
import unicodedata
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from ..errors import Conflict, LockedOut, NotFound, ValidationFailed
from ..store.db import Actor, Transaction
from ..timeutil import iso, parse_stored

ROLES = ("nurse", "clinician", "admin")
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
RECORDERS = ("nurse", "clinician")
MIN_PASSWORD = 8  # characters, and as many besides spaces
hasher = PasswordHasher()  # argon2id with the library's recommended parameters


@functools.cache
def dummy_hash() -> str:
    """Checked against when the user is unknown, so both answers take the same time; made on first use,
    not at import (every `monitor` command imports this module, and hashing is slow by design)."""
    return hasher.hash("not a real password")


def token_hash(token: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is a safe, fast lookup key."""
    return hashlib.sha256(token.encode()).hexdigest()


def canonical_name(typed: str) -> str:
    """A user name as it is kept and looked up: Unicode-normalised (NFKC), without surrounding spaces,
    in lower case, so "Nurse " and "nurse" are one name."""
    return unicodedata.normalize("NFKC", typed).strip().lower()


def add(tx: Transaction, username: str, role: str, password: str) -> int:
    """A new user. Its name is kept canonical and must be plain letters a-z, digits, `.`, `_` or `-`, so
    no look-alike (a zero-width or right-to-left mark, a Cyrillic letter, a trailing space) can pass for
    another user; a password of only spaces is refused."""
    username = canonical_name(username)
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", {"role": "unknown role"})
    if not USERNAME.fullmatch(username):
        raise ValidationFailed("a user name is 1 to 64 of the letters a-z, digits, '.', '_' and '-', starting "
                               "with a letter or digit", {"username": "letters a-z, digits, . _ - only"})
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password must be at least {MIN_PASSWORD} characters", {"password": "too short"})
    if len(password.strip()) < MIN_PASSWORD:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD} characters besides spaces",
                               {"password": "too many spaces"})
    if tx.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(f"user {username} exists", {"username": "already exists"})
    user_id = tx.insert("users", {
        "username": username, "role": role, "password_hash": hasher.hash(password),
        "disabled": 0, "created_at": iso(tx.now)})
    tx.audit("user.add", "user", user_id, after={"username": username, "role": role})
    return user_id


def set_disabled(tx: Transaction, user_id: int, disabled: bool) -> None:
    """Disable (ending its logins and tokens at once) or enable a user; the last enabled admin stays,
    or no one could manage users again."""
    if disabled and is_last_admin(tx.db, user_id):
        raise Conflict("the last active admin cannot be disabled: make another user admin first",
                       {"disabled": "last active admin"})
    tx.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
    if disabled:
        tx.execute("UPDATE login_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
                   (iso(tx.now), user_id))
        tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                   (iso(tx.now), user_id))
    tx.audit("user.disable" if disabled else "user.enable", "user", user_id)


def is_last_admin(db: Database, user_id: int) -> bool:
    admins = [r[0] for r in db.execute("SELECT id FROM users WHERE role = 'admin' AND disabled = 0")]
    return admins == [user_id]


def by_name(db: Database, username: str) -> dict | None:
    row = db.execute("SELECT id, username, role, password_hash, disabled FROM users WHERE username = ?",
                     (canonical_name(username),)).fetchone()
    return dict(zip(("id", "username", "role", "password_hash", "disabled"), row)) if row else None


def by_id(db: Database, user_id: int) -> dict | None:
    row = db.execute("SELECT id, username, role, disabled FROM users WHERE id = ?", (user_id,)).fetchone()
    return dict(zip(("id", "username", "role", "disabled"), row)) if row else None


def list_all(db: Database) -> list[dict]:
    cursor = db.execute("SELECT id, username, role, disabled, created_at FROM users ORDER BY username")
    return [dict(zip(("id", "username", "role", "disabled", "created_at"), r)) for r in cursor]


def check_password(db: Database, username: str, password: str) -> dict | None:
    """The user when the password is right and the account enabled; None otherwise (same effort)."""
    user = by_name(db, username)
    try:
        hasher.verify(user["password_hash"] if user else dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user["disabled"]:
        return None
    return user


def actor_for(user: dict) -> Actor:
    return Actor(user["id"], user["username"], user["role"])


TOKEN_DAYS = 90  # how long a new API token lasts unless its maker says otherwise


def create_token(tx: Transaction, user_id: int, days: int = TOKEN_DAYS) -> str:
    """A new token that lasts `days`, returned once; only its hash is kept."""
    if not 1 <= days <= 3660:
        raise ValidationFailed("a token lasts 1 to 3660 days", {"days": "out of range"})
    token = secrets.token_urlsafe(32)
    expires = iso(tx.now + timedelta(days=days))
    token_id = tx.insert("api_tokens", {"user_id": user_id, "token_hash": token_hash(token), "created_at": iso(tx.now),
                                        "expires_at": expires})
    tx.audit("token.create", "user", user_id, after={"token_id": token_id, "expires_at": expires})
    return token


def tokens_of(db: Database, user_id: int) -> list[dict]:
    """A user's tokens, newest first (never the token itself: only its hash is kept)."""
    columns = ("id", "created_at", "expires_at", "revoked_at")
    rows = db.execute(f"SELECT {', '.join(columns)} FROM api_tokens WHERE user_id = ? ORDER BY id DESC", (user_id,))
    return [dict(zip(columns, row)) for row in rows]


def revoke_token(tx: Transaction, token_id: int) -> None:
    """Revoke one token at once, leaving the user's other tokens and logins alone."""
    row = tx.execute("SELECT user_id, revoked_at FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row[1] is not None:
        raise Conflict(f"token {token_id} was revoked at {row[1]}")
    tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", (iso(tx.now), token_id))
    tx.audit("token.revoke", "user", row[0], after={"token_id": token_id})


def user_for_token(db: Database, token: str, now: datetime | None = None) -> dict | None:
    """The enabled user of a token that is neither revoked nor past its end."""
    moment = iso(now or datetime.now(timezone.utc))
    row = db.execute(
        "SELECT u.id, u.username, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND u.disabled = 0",
        (token_hash(token), moment)).fetchone()
    return dict(zip(("id", "username", "role"), row)) if row else None


def start_login(tx: Transaction, user: dict) -> str:
    """A new login session id (never reused), audited as a login."""
    session_id = secrets.token_urlsafe(32)
    tx.insert("login_sessions", {"id": token_hash(session_id), "user_id": user["id"],
                                 "created_at": iso(tx.now), "last_seen": iso(tx.now)})
    tx.audit("login", "user", user["id"])
    return session_id


def end_login(tx: Transaction, session_id: str) -> None:
    tx.execute("UPDATE login_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
               (iso(tx.now), token_hash(session_id)))
    tx.audit("logout", "login_session", None)


def user_for_login(db: Database, session_id: str, now: datetime, idle: timedelta,
                   absolute: timedelta) -> tuple[dict | None, bool]:
    """The user of a live login session, and whether `last_seen` is worth refreshing."""
    row = db.execute(
        "SELECT u.id, u.username, u.role, s.created_at, s.last_seen FROM login_sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.ended_at IS NULL AND u.disabled = 0",
        (token_hash(session_id),)).fetchone()
    if not row:
        return None, False
    created, last_seen = parse_stored(row[3]), parse_stored(row[4])
    if now - last_seen > idle or now - created > absolute:
        return None, False
    return dict(zip(("id", "username", "role"), row[:3])), now - last_seen > timedelta(seconds=30)


def touch_login(db: Database, session_id: str, now: datetime) -> None:
    db.execute("UPDATE login_sessions SET last_seen = ? WHERE id = ?", (iso(now), token_hash(session_id)))



def begin_password_check(tx: Transaction, allowances: dict[str, int], window: timedelta, locked: str) -> list[int]:
    """Take a place for one more failure under each key's allowance (key -> failures allowed in `window`)
    before the password is compared; LockedOut (with `locked` as its message) when a key has none left.
    Checks under way count as failures until they end, so parallel attempts cannot all be checked."""
    tx.execute("DELETE FROM login_attempts WHERE at < ?", (iso(tx.now - window),))
    for key, allowed in allowances.items():
        oldest = tx.execute("SELECT at FROM login_attempts WHERE key = ? ORDER BY at LIMIT 1 OFFSET ?",
                            (key, allowed - 1)).fetchone()
        if oldest is not None:
            first = tx.execute("SELECT MIN(at) FROM login_attempts WHERE key = ?", (key,)).fetchone()[0]
            wait = parse_stored(first) + window - tx.now
            raise LockedOut(locked, retry_after=max(1, math.ceil(wait.total_seconds())))
    return [tx.insert("login_attempts", {"key": key, "at": iso(tx.now), "outcome": "checking"})
            for key in allowances]


def end_password_check(tx: Transaction, places: list[int], failed: bool) -> None:
    """A failure keeps its places for the window; a success gives them back (successes are not counted)."""
    marks = ", ".join("?" for _ in places)
    if failed:
        tx.execute(f"UPDATE login_attempts SET outcome = 'failed' WHERE id IN ({marks})", places)
    else:
        tx.execute(f"DELETE FROM login_attempts WHERE id IN ({marks})", places)
