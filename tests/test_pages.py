"""The server-rendered pages through the Flask test client: who may see them and what they show."""
from __future__ import annotations

import re

import pytest

from .conftest import PASSWORDS


def sign_in(client, role: str) -> str:
    """Log in through the form as one of the test users; return the page's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": role, "password": PASSWORDS[role], "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    home = client.get("/reports").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)


def test_smoke_renders(client, api):
    s = api.session()
    sign_in(client, "nurse")
    for path in (f"/sessions/{s['id']}", f"/sessions/{s['id']}/panels", f"/sessions/{s['id']}/record",
                 f"/patients/{s['patient_id']}", "/sessions/new", "/reports"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.get_data(as_text=True)[:3000])
