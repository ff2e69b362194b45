"""Every change, sign, login and read leaves a chained audit entry; `monitor audit verify` checks it."""
import sqlite3

import pytest
from click.testing import CliRunner

from monitor.cli import main


def test_changes_and_reads_are_audited_with_before_and_after(api):
    sid = api.session()["id"]
    stored = api.vitals(sid, {"hr": 88}).get_json()
    api.post(f"/api/vitals/{stored['id']}/amend", {"hr": 86, "reason": "misread"})
    api.get(f"/api/sessions/{sid}", role="clinician")
    entries = api.get(f"/api/audit?session_id={sid}", role="clinician").get_json()["items"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["session.create", "vitals.record", "vitals.amend", "read"]
    amend = next(e for e in entries if e["action"] == "vitals.amend")
    assert amend["before"]["hr"] == 88
    assert amend["after"]["hr"] == 86
    assert amend["actor"] == "nurse"
    assert entries[0]["actor"] == "clinician"


def test_audit_verify_passes_then_names_a_tampered_row(api, db_path, monkeypatch):
    sid = api.session()["id"]
    for hr in (70, 71, 72):
        api.vitals(sid, {"hr": hr})
    monkeypatch.setenv("MONITOR_DB", str(db_path))
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "audit chain ok" in ok.output

    conn = sqlite3.connect(db_path)
    target = conn.execute(
        "SELECT id FROM audit WHERE action = 'vitals.record' ORDER BY id LIMIT 1 OFFSET 1").fetchone()[0]
    conn.execute("DROP TRIGGER audit_no_update")  # what an attacker with file access could do
    conn.execute("UPDATE audit SET after = replace(after, '71', '99') WHERE id = ?", (target,))
    conn.commit()
    conn.close()
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"broken at entry {target}" in broken.output


def test_a_deleted_audit_row_breaks_the_chain(api, db_path, monkeypatch):
    sid = api.session()["id"]
    api.vitals(sid, {"hr": 70})
    api.vitals(sid, {"hr": 71})
    conn = sqlite3.connect(db_path)
    target = conn.execute("SELECT MAX(id) - 1 FROM audit").fetchone()[0]
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE id = ?", (target,))
    conn.commit()
    conn.close()
    monkeypatch.setenv("MONITOR_DB", str(db_path))
    broken = CliRunner().invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"broken at entry {target}" in broken.output


def test_login_is_audited(client, tokens, store):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "clinician", "password": "clinician-password-1", "csrf_token": token})
    actions = [r[0] for r in store.db.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "login"


def tampered(db_path, *statements: str) -> None:
    """Change the file as someone with access to it could: the insert-only triggers dropped first."""
    conn = sqlite3.connect(db_path)
    for table in ("audit", "vitals", "events"):
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def verify_output(db_path, monkeypatch):
    monkeypatch.setenv("MONITOR_DB", str(db_path))
    return CliRunner().invoke(main, ["audit", "verify"])


def test_entries_cut_off_the_end_of_the_chain_fail_verify(api, db_path, monkeypatch):
    """Issue 10 point 11: the chain alone still verified without its last entries; its head, kept outside
    them, does not."""
    sid = api.session()["id"]
    for hr in (70, 71, 72):
        api.vitals(sid, {"hr": hr})
    last = sqlite3.connect(db_path).execute("SELECT MAX(id) FROM audit").fetchone()[0]
    tampered(db_path, f"DELETE FROM audit WHERE id > {last - 2}")
    result = verify_output(db_path, monkeypatch)
    assert result.exit_code == 1
    assert (f"audit chain broken at entry {last - 1}: the chain ends at entry {last - 2} but its head records "
            f"entry {last}: entries were cut off the end") in result.output


@pytest.mark.parametrize("change", ["UPDATE vitals SET hr = 99 WHERE id = {id}", "DELETE FROM vitals WHERE id = {id}",
                                    "UPDATE vitals SET note = 'settled' WHERE id = {id}"])
def test_a_clinical_row_changed_with_the_triggers_dropped_fails_verify_at_the_entry_that_wrote_it(
        api, db_path, monkeypatch, change):
    sid = api.session()["id"]
    stored = [api.vitals(sid, {"hr": hr}).get_json() for hr in (70, 71, 72)]
    target = stored[1]["id"]
    db = sqlite3.connect(db_path)
    writer = db.execute("SELECT id FROM audit WHERE rows LIKE '%\"vitals\":[' || ? || ',%' OR rows LIKE"
                        " '%\"vitals\":[%,' || ? || ']%'", (target, target)).fetchone()[0]
    db.close()
    assert verify_output(db_path, monkeypatch).exit_code == 0
    tampered(db_path, change.format(id=target))
    result = verify_output(db_path, monkeypatch)
    assert result.exit_code == 1
    assert f"audit chain broken at entry {writer}: rows entry {writer} wrote (" in result.output
    assert "vitals" in result.output


def test_every_row_of_a_batch_is_tied_to_its_entry(api, db_path, monkeypatch):
    sid = api.session()["id"]
    batch = api.vitals(sid, [{"hr": 60 + i, "taken_at": f"2026-12-01T10:{i:02d}:00Z"} for i in range(20)]).get_json()
    assert verify_output(db_path, monkeypatch).exit_code == 0
    tampered(db_path, f"UPDATE vitals SET spo2 = 100 WHERE id = {batch[13]['id']}")
    assert verify_output(db_path, monkeypatch).exit_code == 1


def test_a_row_added_behind_the_apps_back_fails_verify(api, db_path, monkeypatch):
    sid = api.session()["id"]
    api.vitals(sid, {"hr": 70})
    conn = sqlite3.connect(db_path)
    columns = [c[1] for c in conn.execute("PRAGMA table_info(vitals)") if c[1] != "id"]
    conn.close()
    listed = ", ".join(columns)
    tampered(db_path, f"INSERT INTO vitals ({listed}) SELECT {listed} FROM vitals WHERE session_id = {sid}")
    result = verify_output(db_path, monkeypatch)
    assert result.exit_code == 1
    assert "vitals holds rows after those the audit trail covers" in result.output
