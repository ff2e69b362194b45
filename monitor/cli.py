"""The `monitor` command (click): set-up, users and tokens, the server, the demo, backups, audit."""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from . import config as config_module
from . import demo as demo_module
from .alerts import triggers
from .errors import ApiError
from .record import users
from .store import audit
from .store.backup import backup as take_backup
from .store.db import SYSTEM, Store, unavailable


def open_store() -> tuple[config_module.Config, Store]:
    cfg = config_module.from_env()
    store = triggers.listen(Store(cfg.db_path, synchronous=cfg.synchronous))
    store.migrate()
    return cfg, store


@click.group(help="Infusion Monitor: session records, live monitoring and alerts for ketamine clinics.")
def main() -> None:
    pass


@main.command("init-db", help="Create or migrate the database (MONITOR_DB); safe to run again.")
def init_db() -> None:
    cfg, _ = open_store()
    click.echo(f"database ready: {cfg.db_path}")


@main.group(help="Manage users.")
def user() -> None:
    pass


@user.command("add", help="Add a user with a role; the password is asked for, or read from stdin.")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True, help="nurse, clinician or admin")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(name: str, role: str, password_stdin: bool) -> None:
    _, store = open_store()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with store.write(SYSTEM) as tx:
            users.add(tx, name, role, password)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"user {name} added as {role}", err=True)


@main.group(help="Manage API tokens.")
def token() -> None:
    pass


@token.command("create", help="Print a new API token for a user, alone on one line (shown once).")
@click.argument("name")
@click.option("--days", default=users.TOKEN_DAYS, show_default=True, help="How many days the token lasts.")
def token_create(name: str, days: int) -> None:
    _, store = open_store()
    found = users.by_name(store.db, name)
    if found is None or found["disabled"]:
        raise click.ClickException(f"no enabled user {name}")
    try:
        with store.write(users.actor_for(found)) as tx:
            value = users.create_token(tx, found["id"], days)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    click.echo(value)


@token.command("list", help="List a user's tokens: id, made, lasts until, revoked (never the token).")
@click.argument("name")
def token_list(name: str) -> None:
    _, store = open_store()
    found = users.by_name(store.db, name)
    if found is None:
        raise click.ClickException(f"no user {name}")
    for t in users.tokens_of(store.db, found["id"]):
        state = f"revoked {t['revoked_at']}" if t["revoked_at"] else "active"
        click.echo(f"{t['id']}\tmade {t['created_at']}\tlasts until {t['expires_at']}\t{state}")


@token.command("revoke", help="Revoke one token by its id (from `monitor token list`); other tokens stay.")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    _, store = open_store()
    try:
        with store.write(SYSTEM) as tx:
            users.revoke_token(tx, token_id)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"token {token_id} revoked", err=True)


@main.command(help="Serve HTTP and Socket.IO with a production server (gunicorn, gevent workers).")
@click.option("--host", default=None, help="Address to listen on (MONITOR_HOST, default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (MONITOR_PORT, default 5000).")
@click.option("--workers", default=None, type=int,
              help="Server processes on the one port (MONITOR_WORKERS, default 1); more than one needs "
                   "MONITOR_MESSAGE_QUEUE.")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    from .server import run  # here: only `serve` loads gunicorn; every other command starts fast

    cfg = config_module.from_env()
    cfg = cfg.with_overrides(host=host or cfg.host, port=port or cfg.port, workers=workers or cfg.workers)
    problems = config_module.problems_for_production(cfg) or database_problems(cfg)
    if problems:
        raise click.ClickException("refusing to start:\n  - " + "\n  - ".join(problems))
    run(cfg)


def database_problems(cfg: config_module.Config) -> list[str]:
    """Why the database cannot be written, if it cannot: a server on it would take saves it cannot keep."""
    store = Store(cfg.db_path, synchronous=cfg.synchronous)
    try:
        store.migrate()
        problem = store.writable()
        why = problem and problem.code
    except (sqlite3.Error, OSError) as error:
        problem = unavailable(error) if isinstance(error, sqlite3.Error) else None
        why = problem.code if problem else str(error)
    finally:
        store.close()
    return [] if why is None else [f"the database {cfg.db_path} cannot be written ({why}): give the server's "
                                   "user write access to it and its directory, or free space on its disk"]


@main.command(help="Seed a demo clinic; --live keeps the active sessions producing vitals.")
@click.option("--live", is_flag=True, help="Keep adding vitals to the active sessions until stopped.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between live vitals rounds.")
def demo(live: bool, interval: float) -> None:
    cfg, store = open_store()
    if demo_module.seeded(store.db):
        click.echo("the demo clinic is already seeded", err=True)
    else:
        logins = demo_module.seed(store, cfg.timezone)
        click.echo("demo clinic seeded; logins:")
        for name, role, password in logins:
            click.echo(f"  {name:<10} {role:<10} password: {password}")
    if live:
        click.echo("adding vitals to active sessions; Ctrl-C to stop", err=True)
        demo_module.run_live(store, interval)


@main.command(help="Take a consistent online copy of the database to DEST, checked before it is kept.")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
def backup(dest: Path) -> None:
    cfg, store = open_store()
    try:
        pages = take_backup(cfg.db_path, dest)
    except (ValueError, sqlite3.Error) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {dest} ({pages} pages, integrity ok)")


@main.group("audit", help="The audit trail.")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="Check the audit trail's hash chain; exit 1 naming the first bad entry.")
def audit_verify() -> None:
    _, store = open_store()
    verdict = audit.check(store.db)
    if verdict.broken is not None:
        click.echo(f"audit chain broken at entry {verdict.broken}: {verdict.reason} ({verdict.checked} entries "
                   "before it verify)", err=True)
        sys.exit(1)
    click.echo(f"audit chain ok: {verdict.checked} entries, the rows they wrote and the chain's head")


def acting_as(store: Store, name: str | None):
    """The user a command acts as (--user), or the system itself."""
    if name is None:
        return SYSTEM
    found = users.by_name(store.db, name)
    if found is None or found["disabled"]:
        raise click.ClickException(f"no enabled user {name}")
    return users.actor_for(found)


@main.command("import", help="Import observations from a CSV, HL7 v2 (ORU^R01) or FHIR R4 file into a session, "
              "with a progress bar on standard error; the import report is printed on standard output as JSON.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--session", "session_id", type=int, required=True, help="The session to import into.")
@click.option("--format", "format_", type=click.Choice(["csv", "hl7", "fhir"]),
              help="The file's format (default: detected from its content).")
@click.option("--dry-run", is_flag=True, help="Check the file and print the report; store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid readings even when some values are rejected.")
@click.option("--confirm", is_flag=True, help="Store unusual values (CLINICAL.md §2) too.")
@click.option("--align-start", metavar="TIME", help="Move every time so the first reading lands at TIME (ISO 8601; "
              "without an offset in MONITOR_TIMEZONE): for de-identified files.")
@click.option("--user", metavar="NAME", help="Record the import as this user (default: the system).")
def import_command(file: Path, session_id: int, format_: str | None, dry_run: bool, skip_invalid: bool,
                   confirm: bool, align_start: str | None, user: str | None) -> None:
    from .interop import imports  # here: the parsers and the import's checks load only for `import`

    cfg, store = open_store()
    actor = acting_as(store, user)
    bar = ProgressBar()
    try:
        options = imports.options_from({"format": format_, "align_start": align_start}, zone=cfg.timezone,
                                       now=store.now())
        options = imports.Options(format=options.format, align_start=options.align_start, dry_run=dry_run,
                                  skip_invalid=skip_invalid, confirm=confirm)
        report = imports.run(store, session_id, file.read_bytes(), actor=actor, zone=cfg.timezone,
                             options=options, progress=bar.show)
    except ApiError as error:
        bar.close()
        click.echo(json.dumps(error.to_json(), indent=2, ensure_ascii=False))
        raise click.ClickException(error.message) from None
    bar.close()
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))


class ProgressBar:
    """An import's progress on standard error: one tqdm bar, its label the stage (checking, storing)."""

    def __init__(self):
        self.bar = None

    def show(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage == "reading":
            return
        if self.bar is None:
            self.bar = tqdm(total=total, unit=" readings", file=sys.stderr, mininterval=0.2, dynamic_ncols=True)
        self.bar.set_description(stage, refresh=False)
        self.bar.total, self.bar.n = total, done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@main.command("export", help="Export one session: its vitals as CSV, or the whole session as a FHIR R4 Bundle "
              "(JSON), to FILE or standard output.")
@click.argument("session_id", type=int)
@click.option("--format", "format_", type=click.Choice(["csv", "fhir"]), required=True, help="csv or fhir")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@click.option("--user", metavar="NAME", help="Record the export in the audit trail as this user (default: the "
              "system).")
def export_command(session_id: int, format_: str, output: Path | None, user: str | None) -> None:
    from .interop import exports  # here: the FHIR and CSV writers load only for `export`

    _, store = open_store()
    actor = acting_as(store, user)
    try:
        text, _ = exports.export(store.db, session_id, format_, store.now())
    except ApiError as error:
        raise click.ClickException(error.message) from None
    with store.write(actor) as tx:
        tx.audit("export", "session", session_id, session_id=session_id, after={"format": format_})
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"session {session_id} written to {output} ({format_})", err=True)


if __name__ == "__main__":
    main()
