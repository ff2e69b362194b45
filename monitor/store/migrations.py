"""The schema as numbered, idempotent migrations (PRAGMA user_version holds the last applied).

Clinical tables, the audit trail and the event log are insert-only: triggers make
the database itself refuse UPDATE and DELETE on them. A vitals record's status is
derived (a later record `supersedes` it, or a row in `vitals_voids` voids it), so
no clinical row ever changes. The only mutable clinical column is `sessions.state`,
a cache of the last row in the insert-only `transitions` table.
"""
from __future__ import annotations

from sqlite_utils import Database

INSERT_ONLY = (
    "transitions", "vitals", "vitals_voids", "side_effects", "side_effect_resolutions",
    "assessments", "notes", "signatures", "audit", "events", "alert_rule_versions",
)


# The insert-only tables but the audit trail itself: the rows each write adds to them are tied to its
# audit entry (store/audit.py). Filled as the migrations below declare their insert-only tables.
PROTECTED: list[str] = []


def insert_only_triggers(table: str) -> str:
    if table != "audit" and table not in PROTECTED:
        PROTECTED.append(table)
    return f"""
    CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is insert-only'); END;
    CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is insert-only'); END;
    """


CORE = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('nurse', 'clinician', 'admin')),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS login_sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    ended_at TEXT
);
CREATE TABLE IF NOT EXISTS patients (
    id INTEGER PRIMARY KEY,
    mrn TEXT NOT NULL UNIQUE,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT,
    weight_kg REAL,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id)
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    chair TEXT NOT NULL,
    drug TEXT NOT NULL CHECK (drug IN ('ketamine', 'esketamine')),
    route TEXT NOT NULL CHECK (route IN ('iv', 'intranasal', 'im')),
    dose_mg REAL,
    dose_mg_per_kg REAL,
    planned_minutes INTEGER,
    indication TEXT,
    series_number INTEGER,
    lot_number TEXT,
    checklist TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id)
);
CREATE INDEX IF NOT EXISTS sessions_state ON sessions(state);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT,
    override INTEGER NOT NULL DEFAULT 0,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id)
);
CREATE INDEX IF NOT EXISTS transitions_session ON transitions(session_id, id);
CREATE TABLE IF NOT EXISTS vitals (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    taken_at TEXT NOT NULL,
    hr REAL, sbp REAL, dbp REAL, spo2 REAL, rr REAL, temp_c REAL, etco2 REAL, o2_lpm REAL,
    consciousness TEXT, pain INTEGER, moaas INTEGER,
    map INTEGER,
    news2 TEXT NOT NULL,
    note TEXT,
    source TEXT NOT NULL,
    supersedes INTEGER UNIQUE REFERENCES vitals(id),
    reason TEXT,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    late INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    idempotency_key TEXT,
    import_key TEXT
);
CREATE INDEX IF NOT EXISTS vitals_session_time ON vitals(session_id, taken_at);
CREATE UNIQUE INDEX IF NOT EXISTS vitals_idempotency ON vitals(entered_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS vitals_import ON vitals(session_id, import_key)
    WHERE import_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS vitals_voids (
    id INTEGER PRIMARY KEY,
    vitals_id INTEGER NOT NULL UNIQUE REFERENCES vitals(id),
    reason TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id)
);
CREATE TABLE IF NOT EXISTS side_effects (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe')),
    observed_at TEXT NOT NULL,
    intervention TEXT,
    serious INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    late INTEGER NOT NULL,
    idempotency_key TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS side_effects_idempotency ON side_effects(entered_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS side_effect_resolutions (
    id INTEGER PRIMARY KEY,
    side_effect_id INTEGER NOT NULL UNIQUE REFERENCES side_effects(id),
    resolved_at TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id)
);
CREATE TABLE IF NOT EXISTS assessments (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    instrument TEXT NOT NULL,
    items TEXT NOT NULL,
    total INTEGER NOT NULL,
    meets_discharge_criteria INTEGER,
    at TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    late INTEGER NOT NULL,
    idempotency_key TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS assessments_idempotency ON assessments(entered_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL CHECK (kind IN ('note', 'medication', 'rate_change', 'escalation', 'addendum')),
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    medication TEXT,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id),
    late INTEGER NOT NULL,
    idempotency_key TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS notes_idempotency ON notes(entered_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS signatures (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL UNIQUE REFERENCES sessions(id),
    signed_at TEXT NOT NULL,
    signed_by INTEGER NOT NULL REFERENCES users(id),
    meaning TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    session_id INTEGER,
    before TEXT,
    after TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_session ON audit(session_id);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    session_id INTEGER,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_session ON events(session_id, seq);
CREATE TABLE IF NOT EXISTS alert_rule_versions (
    version INTEGER PRIMARY KEY,
    rules TEXT NOT NULL,
    reason TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by INTEGER REFERENCES users(id)
);
CREATE VIEW IF NOT EXISTS vitals_current AS
    SELECT v.* FROM vitals v
    WHERE NOT EXISTS (SELECT 1 FROM vitals later WHERE later.supersedes = v.id)
      AND NOT EXISTS (SELECT 1 FROM vitals_voids x WHERE x.vitals_id = v.id);
"""
CORE_TRIGGERS = "".join(insert_only_triggers(t) for t in INSERT_ONLY)


ALERTS = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    key TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    message TEXT NOT NULL,
    value TEXT,
    limits TEXT NOT NULL DEFAULT '{}',
    rules_version INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
    latched INTEGER NOT NULL DEFAULT 0,
    condition_holds INTEGER NOT NULL DEFAULT 1,
    raised_at TEXT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    comment TEXT,
    silenced_until TEXT,
    cleared_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open ON alerts(session_id, key) WHERE state != 'cleared';
CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state);
"""

# NEWS2 needs the latest value of each parameter in the last 30 minutes: one small index per
# parameter finds it without scanning every record of the window.
NEWS2_INDEXES = "".join(
    f"CREATE INDEX IF NOT EXISTS vitals_latest_{p} ON vitals(session_id, taken_at) WHERE {p} IS NOT NULL;\n"
    for p in ("rr", "spo2", "o2_lpm", "sbp", "hr", "consciousness", "temp_c")
)

# The esketamine REMS Patient Monitoring Form of a session, marked submitted (insert-only: once).
REMS_SUBMISSIONS = """
CREATE TABLE IF NOT EXISTS rems_submissions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL UNIQUE REFERENCES sessions(id),
    submitted_at TEXT NOT NULL,
    reference TEXT,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id)
);
""" + insert_only_triggers("rems_submissions")

# Every index entry is work for each imported row, so the NEWS2 inputs share one index instead of
# a partial index each. The session's time index now also carries the NEWS2 inputs (after
# the id, so it still gives records in (taken_at, id) order), and a parameter found in the
# latest record or two (rate, SpO2, pressure, pulse, temperature) is read from the index alone.
# O2 flow and ACVPU, which most records lack, keep their small partial index so that looking
# for them does not walk the whole 30-minute window.
NEWS2_COVERING_INDEX = "".join(
    f"DROP INDEX IF EXISTS vitals_latest_{p};\n" for p in ("rr", "spo2", "sbp", "hr", "temp_c")
) + """
DROP INDEX IF EXISTS vitals_session_time;
CREATE INDEX IF NOT EXISTS vitals_session_time
    ON vitals(session_id, taken_at, id, rr, spo2, o2_lpm, sbp, hr, consciousness, temp_c);
"""

# The outcome measures (CLINICAL.md §8): the band under the settings in force when scored, and who
# answered (`staff`, or `patient` for a self-report on the tablet, entered by the nurse's login).
ASSESSMENT_OUTCOMES = """
ALTER TABLE assessments ADD COLUMN band TEXT;
ALTER TABLE assessments ADD COLUMN answered_by TEXT NOT NULL DEFAULT 'staff';
"""

# Years of records (issue 13): every list pages on an index and every view reads only its window or
# subject. Caches on `sessions`, each written once by a trigger in the transaction that makes it
# true, so a list filters and sorts on one index instead of joining all history: `first_dose_at`
# (first entry to infusing), `listed_at` (first dose, else creation: the lists' date), `signed_at`
# (its signature), `rems_submitted_at` (its REMS form marked submitted), `began_at` (its first step)
# and `ended_at` (discharged or aborted).
RANK = "CASE priority WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END"  # engine.ORDER's rank
YEARS_OF_RECORDS = f"""
ALTER TABLE sessions ADD COLUMN first_dose_at TEXT;
ALTER TABLE sessions ADD COLUMN listed_at TEXT;
ALTER TABLE sessions ADD COLUMN signed_at TEXT;
ALTER TABLE sessions ADD COLUMN rems_submitted_at TEXT;
ALTER TABLE sessions ADD COLUMN began_at TEXT;
ALTER TABLE sessions ADD COLUMN ended_at TEXT;
UPDATE sessions SET first_dose_at = (SELECT MIN(at) FROM transitions t
    WHERE t.session_id = sessions.id AND t.to_state = 'infusing');
UPDATE sessions SET listed_at = COALESCE(first_dose_at, created_at),
    signed_at = (SELECT signed_at FROM signatures g WHERE g.session_id = sessions.id),
    rems_submitted_at = (SELECT submitted_at FROM rems_submissions r WHERE r.session_id = sessions.id),
    began_at = (SELECT MIN(at) FROM transitions t WHERE t.session_id = sessions.id),
    ended_at = (SELECT MIN(at) FROM transitions t WHERE t.session_id = sessions.id
                AND t.to_state IN ('discharged', 'aborted'));
CREATE TRIGGER IF NOT EXISTS sessions_began AFTER INSERT ON transitions
BEGIN UPDATE sessions SET began_at = NEW.at WHERE id = NEW.session_id AND began_at IS NULL; END;
CREATE TRIGGER IF NOT EXISTS sessions_ended AFTER INSERT ON transitions
    WHEN NEW.to_state IN ('discharged', 'aborted')
BEGIN UPDATE sessions SET ended_at = NEW.at WHERE id = NEW.session_id AND ended_at IS NULL; END;
CREATE INDEX IF NOT EXISTS sessions_ended ON sessions(ended_at) WHERE ended_at IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS sessions_listed AFTER INSERT ON sessions
BEGIN UPDATE sessions SET listed_at = NEW.created_at WHERE id = NEW.id; END;
CREATE TRIGGER IF NOT EXISTS sessions_first_dose AFTER INSERT ON transitions
    WHEN NEW.to_state = 'infusing'
BEGIN UPDATE sessions SET first_dose_at = NEW.at, listed_at = NEW.at
    WHERE id = NEW.session_id AND first_dose_at IS NULL; END;
CREATE TRIGGER IF NOT EXISTS sessions_signed AFTER INSERT ON signatures
BEGIN UPDATE sessions SET signed_at = NEW.signed_at WHERE id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS sessions_rems_submitted AFTER INSERT ON rems_submissions
BEGIN UPDATE sessions SET rems_submitted_at = NEW.submitted_at WHERE id = NEW.session_id; END;
CREATE INDEX IF NOT EXISTS sessions_listed ON sessions(listed_at, id);
CREATE INDEX IF NOT EXISTS sessions_patient ON sessions(patient_id, listed_at, id);
CREATE INDEX IF NOT EXISTS sessions_first_dose ON sessions(first_dose_at) WHERE first_dose_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_to_sign ON sessions(listed_at, id)
    WHERE signed_at IS NULL AND state IN ('discharged', 'aborted');
CREATE INDEX IF NOT EXISTS sessions_rems_due ON sessions(first_dose_at, id)
    WHERE drug = 'esketamine' AND first_dose_at IS NOT NULL AND rems_submitted_at IS NULL;
CREATE INDEX IF NOT EXISTS alerts_listed ON alerts({RANK}, raised_at, id);
CREATE INDEX IF NOT EXISTS alerts_open_listed ON alerts({RANK}, raised_at, id) WHERE state != 'cleared';
CREATE INDEX IF NOT EXISTS alerts_session ON alerts(session_id);
CREATE INDEX IF NOT EXISTS side_effects_session ON side_effects(session_id, observed_at);
CREATE INDEX IF NOT EXISTS assessments_session ON assessments(session_id, instrument, at);
CREATE INDEX IF NOT EXISTS notes_session ON notes(session_id, at);
CREATE INDEX IF NOT EXISTS users_listed ON users(username, id);
CREATE INDEX IF NOT EXISTS patients_listed ON patients(family_name, given_name, id);
DROP INDEX IF EXISTS sessions_state;
CREATE INDEX IF NOT EXISTS sessions_active ON sessions(state) WHERE state NOT IN ('discharged', 'aborted');
CREATE INDEX IF NOT EXISTS audit_alert_time ON audit(action, at) WHERE entity = 'alert';
CREATE INDEX IF NOT EXISTS audit_alert_entity ON audit(entity_id) WHERE entity = 'alert';
"""

# An entry's Idempotency-Key, kept once for every kind of entry: whose it is, a digest of the
# request it came with (kind, session, body) and the records it stored. A key matches exactly and
# only its own request; the per-table idempotency_key columns before it are no longer written.
IDEMPOTENCY_KEYS = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    key TEXT NOT NULL,
    request TEXT NOT NULL,
    entity TEXT NOT NULL,
    records TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idempotency_keys_caller ON idempotency_keys(user_id, key);
""" + insert_only_triggers("idempotency_keys")
# One row that `Store.writable` rewrites: /healthz and `monitor serve` prove a write commits.
HEALTH = """
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL,
    headroom BLOB
);
"""

# What the REMS form asks because the record cannot know it (enrolment, and the dose, lot or readiness the
# session lacks): each answer is a row, insert-only; the newest answer to a field is the one on the form.
REMS_ANSWERS = """
CREATE TABLE IF NOT EXISTS rems_answers (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    answers TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by INTEGER REFERENCES users(id)
);
CREATE INDEX IF NOT EXISTS rems_answers_session ON rems_answers(session_id, id);
""" + insert_only_triggers("rems_answers")

# A nurse's shift: the chairs she has taken (kept for her login), and the handover sheets handed from
# one nurse to another. A handover is insert-only; its acceptance is its own row.
SHIFTS = """
CREATE TABLE IF NOT EXISTS chosen_chairs (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    chairs TEXT NOT NULL,
    chosen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS handovers (
    id INTEGER PRIMARY KEY,
    from_user INTEGER NOT NULL REFERENCES users(id),
    to_user INTEGER NOT NULL REFERENCES users(id),
    chairs TEXT NOT NULL,
    since TEXT NOT NULL,
    note TEXT,
    handed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS handovers_to ON handovers(to_user, id);
CREATE TABLE IF NOT EXISTS handover_acceptances (
    id INTEGER PRIMARY KEY,
    handover_id INTEGER NOT NULL UNIQUE REFERENCES handovers(id),
    accepted_at TEXT NOT NULL
);
""" + insert_only_triggers("handovers") + insert_only_triggers("handover_acceptances")
# Password checks under way and failed, per user name tried and per address (keys are hashes): a check
# takes its place before the slow hash is compared, in a write transaction, so parallel attempts (and
# several server processes) cannot all be checked. A success removes its rows; old rows are pruned.
LOGIN_ATTEMPTS = """
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('checking', 'failed'))
);
CREATE INDEX IF NOT EXISTS login_attempts_key ON login_attempts(key, at);
"""

# The report's per-session figures (the treatment series' definitions: the last BP before the first
# dose, the highest after it, first recovery, last ready) as SQL of a session `{id}`; a signed
# record no longer changes, so signing keeps them on the session, in the signing transaction, and
# the report reads them from there instead of from every reading of its window.
SESSION_FIGURES = {
    "baseline_sbp": "(SELECT v.sbp FROM vitals_current v WHERE v.session_id = {id} AND v.sbp IS NOT NULL"
                    " AND v.taken_at <= {first_dose} ORDER BY v.taken_at DESC, v.id DESC LIMIT 1)",
    "peak_sbp": "(SELECT MAX(v.sbp) FROM vitals_current v WHERE v.session_id = {id} AND v.sbp IS NOT NULL"
                " AND v.taken_at >= {first_dose})",
    "recovery_at": "(SELECT MIN(t.at) FROM transitions t WHERE t.session_id = {id} AND t.to_state = 'recovery')",
    "ready_at": "(SELECT MAX(t.at) FROM transitions t WHERE t.session_id = {id} AND t.to_state = 'ready')",
}


def figures_sql(session_id: str, first_dose: str) -> dict[str, str]:
    return {name: sql.format(id=session_id, first_dose=first_dose) for name, sql in SESSION_FIGURES.items()}


def figures_set(session_id: str) -> str:
    return ", ".join(f"{k} = {v}" for k, v in figures_sql(session_id, "sessions.first_dose_at").items())


SIGNED_FIGURES = "".join(f"ALTER TABLE sessions ADD COLUMN {name} {'REAL' if name.endswith('sbp') else 'TEXT'};\n"
                         for name in SESSION_FIGURES) + f"""
UPDATE sessions SET {figures_set('sessions.id')} WHERE signed_at IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS sessions_signed_figures AFTER INSERT ON signatures
BEGIN UPDATE sessions SET {figures_set('NEW.session_id')} WHERE id = NEW.session_id; END;
"""

# A list filtered to what is still open reads an index of only those rows, already in the list's
# order: otherwise finding the 6 active sessions (or the few unsigned) walked every session since the
# first, looking for a hundred that are not there.
OPEN_LISTED = """
CREATE INDEX IF NOT EXISTS sessions_active_listed ON sessions(listed_at, id)
    WHERE state NOT IN ('discharged', 'aborted');
CREATE INDEX IF NOT EXISTS sessions_unsigned_listed ON sessions(listed_at, id) WHERE signed_at IS NULL;
"""


def audit_anchor() -> str:
    """The audit chain's head, and the columns tying a write's rows to its entry; the head starts at the
    chain's end and at the rows there are now (those before it are covered by the chain alone)."""
    marks = ", ".join(f"'{t}', (SELECT COALESCE(MAX(rowid), 0) FROM [{t}])" for t in PROTECTED)
    return f"""
ALTER TABLE audit ADD COLUMN rows TEXT;
ALTER TABLE audit ADD COLUMN rows_hash TEXT;
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER,
    last_hash TEXT NOT NULL,
    marks TEXT NOT NULL
);
INSERT OR IGNORE INTO audit_head (id, last_id, last_hash, marks) VALUES (1, (SELECT MAX(id) FROM audit),
    COALESCE((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '{"0" * 64}'), json_object({marks}));
"""


AUDIT_ANCHOR = audit_anchor()

# Finding a patient by any part of the MRN or name: a trigram index (FTS5) answers a search of three
# letters or more from the patients it matches, where LIKE '%…%' read every patient the clinic has had.
# Kept by a trigger in the transaction that adds the patient (patients are never edited).
PATIENT_SEARCH = """
CREATE VIRTUAL TABLE IF NOT EXISTS patients_search USING fts5(words, tokenize='trigram');
INSERT INTO patients_search(rowid, words)
    SELECT id, mrn || ' ' || given_name || ' ' || family_name FROM patients;
CREATE TRIGGER IF NOT EXISTS patients_searchable AFTER INSERT ON patients
BEGIN INSERT INTO patients_search(rowid, words)
    VALUES (NEW.id, NEW.mrn || ' ' || NEW.given_name || ' ' || NEW.family_name); END;
"""

# An API token lasts a number of days (90 for the tokens made before it had an end), and can be revoked
# on its own.
TOKEN_EXPIRY = """
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+90 days');
"""

# The clinic's totals since it opened: kept by triggers in the transaction of each write they count,
# so the report shows all history without reading it.
CLINIC_TOTALS = """
CREATE TABLE IF NOT EXISTS clinic_totals (name TEXT PRIMARY KEY, count INTEGER NOT NULL);
INSERT OR IGNORE INTO clinic_totals (name, count) VALUES ('patients', (SELECT COUNT(*) FROM patients)),
    ('sessions', (SELECT COUNT(*) FROM sessions)),
    ('dosed', (SELECT COUNT(*) FROM sessions WHERE first_dose_at IS NOT NULL)),
    ('signed', (SELECT COUNT(*) FROM signatures));
CREATE TRIGGER IF NOT EXISTS clinic_totals_patients AFTER INSERT ON patients
BEGIN UPDATE clinic_totals SET count = count + 1 WHERE name = 'patients'; END;
CREATE TRIGGER IF NOT EXISTS clinic_totals_sessions AFTER INSERT ON sessions
BEGIN UPDATE clinic_totals SET count = count + 1 WHERE name = 'sessions'; END;
CREATE TRIGGER IF NOT EXISTS clinic_totals_dosed AFTER UPDATE OF first_dose_at ON sessions
    WHEN OLD.first_dose_at IS NULL AND NEW.first_dose_at IS NOT NULL
BEGIN UPDATE clinic_totals SET count = count + 1 WHERE name = 'dosed'; END;
CREATE TRIGGER IF NOT EXISTS clinic_totals_signed AFTER INSERT ON signatures
BEGIN UPDATE clinic_totals SET count = count + 1 WHERE name = 'signed'; END;
"""

# User names are kept canonical (record/users.py canonical_name): names made before that are trimmed and
# lower-cased where no other user has that name already, so their users can still sign in.
CANONICAL_USERNAMES = """
UPDATE users SET username = lower(trim(username)) WHERE username != lower(trim(username))
    AND lower(trim(username)) NOT IN (SELECT username FROM users);
"""

MIGRATIONS: list[str] = [
    CORE + CORE_TRIGGERS,
    ALERTS,
    NEWS2_INDEXES,
    REMS_SUBMISSIONS,
    NEWS2_COVERING_INDEX,
    ASSESSMENT_OUTCOMES,
    YEARS_OF_RECORDS,
    IDEMPOTENCY_KEYS,
    HEALTH,
    REMS_ANSWERS,
    SHIFTS,
    LOGIN_ATTEMPTS,
    SIGNED_FIGURES,
    OPEN_LISTED,
    AUDIT_ANCHOR,
    PATIENT_SEARCH,
    TOKEN_EXPIRY,
    CLINIC_TOTALS,
    CANONICAL_USERNAMES,
]


def apply(db: Database) -> int:
    """Apply every migration not yet applied; safe to run again. Returns the version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(MIGRATIONS)


def split_statements(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements, current = [], []
    for line in script.splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            statements.append(text)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements
