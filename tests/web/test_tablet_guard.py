"""While the tablet is in self-report mode the nurse's login reaches only the questionnaire and the one
assessment it saves; every other API call is refused and every page leads back; the password ends it."""
from tests.helpers import PASSWORDS, counts, csrf_token, sign_in


def test_the_mode_holds_the_login_until_the_nurses_password(client, api, db_path):
    session = api.session()["id"]
    other = api.session()["id"]
    sign_in(client, "nurse")
    assert client.get(f"/sessions/{session}/self-report?instrument=madrs").status_code == 404  # clinician-rated
    page = client.get(f"/sessions/{session}/self-report?instrument=gad7")
    assert page.status_code == 200 and b"<nav" not in page.data
    token = csrf_token(client, f"/sessions/{session}/self-report")
    headers = {"X-CSRFToken": token}
    assert client.get("/").headers["Location"].endswith(f"/sessions/{session}/self-report")
    before = counts(db_path)
    assert client.get(f"/api/sessions/{other}", headers=headers).status_code == 403
    elsewhere = client.post(f"/api/sessions/{other}/assessments", headers=headers,
                            json={"instrument": "gad7", "items": {f"item_{n}": 0 for n in range(1, 8)}})
    assert elsewhere.status_code == 403
    assert counts(db_path) == before
    saved = client.post(f"/api/sessions/{session}/assessments", headers=headers, json={
        "instrument": "gad7", "items": {f"item_{n}": 1 for n in range(1, 8)}, "answered_by": "patient"})
    assert saved.status_code == 201 and saved.get_json()["answered_by"] == "patient"
    assert client.post("/self-report/leave", headers=headers, json={"password": "wrong"}).status_code == 422
    assert client.get("/").status_code == 302
    left = client.post("/self-report/leave", headers=headers, json={"password": PASSWORDS["nurse"]})
    assert left.status_code == 200 and left.get_json()["next"] == f"/sessions/{session}"
    assert client.get("/").status_code == 200
