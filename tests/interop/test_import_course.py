"""The course CSV read back: exported from one database and imported into a fresh one holding the same
sessions without scores, its items are scored again and the export comes out the same; a row whose total
disagrees with its items is refused and stores nothing; a second import stores nothing."""
import shutil
from datetime import timedelta

import pytest

from monitor.config import Config
from monitor.web.app import create_app
from tests.helpers import ZONE, ApiClient, counts, open_store
from tests.interop.test_imports_samples import upload
from tests.interop.test_outcome_exports import START
from tests.views.test_course import infusion

DAYS = (0, 2, 5)


@pytest.fixture
def fresh(tmp_path, template_db, clock, tokens):
    """A second database from the same template, with the same users and tokens."""
    path = tmp_path / "fresh.db"
    shutil.copyfile(template_db[0], path)
    store = open_store(path, clock=clock)
    store.migrate()
    app = create_app(Config(db_path=path, secret_key="test-secret-" + "k3y" * 12, timezone=ZONE), store=store)
    app.config["TESTING"] = True
    yield ApiClient(app.test_client(), tokens), path
    store.close()


def course(api, clock, scores=True):
    """A demo-like course: three infusions, PHQ-9 before each and GAD-7 before the first."""
    patient = api.patient(mrn="COURSE-1")["id"]
    totals = ((18, 12), (12, None), (7, None)) if scores else ((None, None),) * 3
    for number, (days, (phq9, gad7)) in enumerate(zip(DAYS, totals, strict=True), start=1):
        infusion(api, clock, patient, number, START + timedelta(days=days), phq9=phq9, gad7=gad7)
    clock.set(START + timedelta(days=6))
    return patient


def exported(api, patient) -> bytes:
    return api.get(f"/api/patients/{patient}/export").get_data()


def test_the_course_csv_round_trips_its_totals_and_items(api, clock, fresh):
    source = exported(api, course(api, clock))
    other, _ = fresh
    patient = course(other, clock, scores=False)
    first_session = other.get(f"/api/patients/{patient}").get_json()["sessions"][0]["id"]
    answer = upload(other, first_session, source)
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["format"], answer.get_json()["scores_imported"], answer.get_json()["scores_refused"]) == (
        "course", 4, [])
    assert exported(other, patient) == source
    assert b"phq9_item_9" in source and b",18," in source
    again = upload(other, first_session, source).get_json()
    assert (again["scores_imported"], again["scores_refused"]) == (0, [])
    assert exported(other, patient) == source


def test_a_tampered_total_refuses_its_row_and_a_refused_file_stores_nothing(api, clock, fresh):
    source = exported(api, course(api, clock)).decode()
    other, path = fresh
    patient = course(other, clock, scores=False)
    first_session = other.get(f"/api/patients/{patient}").get_json()["sessions"][0]["id"]
    header, row_1, row_2, row_3 = source.splitlines()[:4]
    tampered = row_1.replace(",18,", ",17,", 1)  # the PHQ-9 total of the first infusion, its items unchanged
    assert tampered != row_1
    before = counts(path)
    refused = upload(other, first_session, "\r\n".join([header, tampered]).encode()).get_json()
    assert refused["scores_imported"] == 0
    assert [r["where"] for r in refused["scores_refused"]] == ["line 2"]
    assert "phq9 total 17 does not match its items, which give 18" in refused["scores_refused"][0]["message"]
    assert counts(path) == before
    partly = upload(other, first_session, "\r\n".join([header, tampered, row_2, row_3]).encode()).get_json()
    assert (partly["scores_imported"], len(partly["scores_refused"])) == (2, 1)  # nor the row's GAD-7
    shown = other.get(f"/api/patients/{patient}").get_json()["outcomes"]
    assert [p["total"] for p in shown["phq9"]] == [12, 7] and "gad7" not in shown
