"""A whole-number query parameter given empty is a bad request, as the OpenAPI document says."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/events?since=", "/api/events?limit=", "/api/alerts?session_id=",
                                  "/api/audit?session_id=", "/api/rems?limit="])
def test_an_empty_number_in_the_query_is_a_bad_request(api, path):
    response = api.get(path, role="clinician")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "bad_request"


def test_an_absent_number_takes_its_default(api):
    assert api.get("/api/rems", role="clinician").status_code == 200
