"""Every change, sign, login and read leaves a chained audit entry; `monitor audit verify` checks it."""
import sqlite3

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
