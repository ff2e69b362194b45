"""Security headers on every response, errors included; cookies; HSTS only under TLS; no inline scripts."""
from __future__ import annotations

import re

import pytest

from monitor.web.app import create_app
from tests.helpers import sign_in

from .routes import every_url, seeded_ids

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_protected(response, url: str) -> None:
    """The headers every response must carry, whatever produced it."""
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["X-Frame-Options"] == "DENY", url
    assert headers["Referrer-Policy"] == "no-referrer", url
    csp = csp_directives(response)
    assert csp["frame-ancestors"] == ["'none'"], url
    assert csp["script-src"] == ["'self'"], url
    assert csp["default-src"] == ["'self'"], url
    assert csp["object-src"] == ["'none'"], url
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"], url
    if not url.startswith("/static/"):
        assert headers["Cache-Control"] == "no-store", url
    assert "Strict-Transport-Security" not in headers, url


def test_every_route_answers_with_the_security_headers_for_everyone(app, api, store, sentinel_session):
    ids = seeded_ids(store, sentinel_session)
    anonymous, nurse = app.test_client(), app.test_client()
    sign_in(nurse, "nurse")
    checked = set()
    for client in (anonymous, nurse):
        for method, url in every_url(app, ids):
            response = client.open(url, method=method, json={} if method in UNSAFE else None)
            assert_protected(response, url)
            checked.add(response.status_code)
    assert {200, 302, 401, 403} <= checked


@pytest.mark.parametrize("method, url, status", [
    ("GET", "/no-such-page", 404),
    ("GET", "/api/no-such-thing", 404),
    ("DELETE", "/api/sessions", 405),
    ("GET", "/api/sessions", 401),
    ("POST", "/login", 403),  # no CSRF token
])
def test_error_answers_carry_the_headers(client, method, url, status):
    response = client.open(url, method=method)
    assert response.status_code == status
    assert_protected(response, url)


def test_a_413_and_a_429_carry_the_headers(api, app):
    too_big = api.client.post("/api/patients", data="x" * (2 * 1024 * 1024), content_type="application/json",
                              headers={"Authorization": f"Bearer {api.tokens['nurse']}"})
    assert too_big.status_code == 413
    assert_protected(too_big, "/api/patients")
    answers = [sign_in(app.test_client(), "nurse", "wrong") for _ in range(6)]
    assert answers[-1].status_code == 429
    assert_protected(answers[-1], "/login")


def test_an_unexpected_error_is_json_without_details_and_carries_the_headers(config, store):
    app = create_app(config, store=store)

    @app.get("/api/explode")
    def explode():
        raise RuntimeError("Quillfeather SNTL-40417")

    response = app.test_client().get("/api/explode")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal", "message": "unexpected error", "fields": {}}}
    assert_protected(response, "/api/explode")


def test_static_files_may_be_cached_but_carry_the_other_headers(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert_protected(response, "/static/css/app.css")


def test_hsts_is_sent_when_served_over_tls(config, store):
    app = create_app(config.with_overrides(tls=True), store=store)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_hsts_is_sent_for_an_https_request(app):
    response = app.test_client().get("/login", base_url="https://clinic.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def session_cookie(response) -> str:
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("monitor_session=")]
    assert cookie, response.headers
    return cookie[-1]


def test_the_login_cookie_is_httponly_and_samesite(app):
    cookie = session_cookie(sign_in(app.test_client(), "nurse"))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_the_login_cookie_is_secure_under_tls(config, store):
    app = create_app(config.with_overrides(tls=True), store=store)
    client = app.test_client()
    page = client.get("/login", base_url="https://clinic.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url="https://clinic.example",
                           headers={"Referer": "https://clinic.example/login"},
                           data={"username": "nurse", "password": "nurse-password-1", "csrf_token": token})
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# A script element that would run: no src, and not a data block (type="application/json" never runs).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/(?:ld\+)?json\"))[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize("role", ["nurse", "clinician", "admin"])
def test_no_page_needs_inline_script(app, api, store, sentinel_session, role):
    """The CSP forbids inline scripts, so no page may contain one (it would silently not run)."""
    ids = seeded_ids(store, sentinel_session)
    client = app.test_client()
    sign_in(client, role)
    pages = 0
    for method, url in every_url(app, ids):
        if method != "GET" or url.startswith(("/api/", "/static/")):
            continue
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.findall(html), url
        assert not INLINE_HANDLER.findall(html), url
        assert "javascript:" not in html, url
        pages += 1
    assert pages >= 2
