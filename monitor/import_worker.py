"""A long import checked in a second process while this one stores it.

Checking 100,000 readings and building their rows takes Python about as long as SQLite takes to
insert them; on two cores the halves overlap. Once the file is parsed and the import's
transaction holds the database, a child process is forked: it starts with the readings and with
what the transaction read (`import_rows.Start`) and never touches the database. It checks the
readings a chunk at a time and sends the rows of each full batch through a pipe in `marshal`'s
format (plain values only, the fastest to read back); this process inserts them. A file found
to be refused stops the batches and the transaction is rolled back, so the outcome is the
in-process import's.

Only the command line uses it: forking a threaded server process is not safe.
"""
from __future__ import annotations

import fcntl
import marshal
import multiprocessing
import sys
import traceback
from datetime import datetime

from . import errors
from .db import Transaction
from .errors import ApiError
from .import_check import Check, Options, Outcome, Progress, refusal, report
from .import_rows import Batches, Start, insert
from .importers import ParsedFile

CHUNK = 1000  # readings checked between two looks at whether a batch is full
LONG = 20_000  # readings from which a second process pays for itself
PIPE_BYTES = 1 << 20


def worth_it(parsed: ParsedFile) -> bool:
    """Whether a second process can check this file: a long one, on a system that forks."""
    return len(parsed.readings) >= LONG and "fork" in multiprocessing.get_all_start_methods()


def store(tx: Transaction, start: Start, parsed: ParsedFile, options: Options, progress: Progress) -> Outcome:
    """Check and store the readings, the checking in a forked process; this one inserts."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    widen(sender)
    sys.stdout.flush()  # the child would write out again whatever is still buffered
    sys.stderr.flush()
    child = context.Process(target=check_in_child, args=(receiver, sender, parsed, start, options, tx.now),
                            name="import-checker", daemon=True)
    child.start()
    sender.close()
    try:
        return receive(tx, start, receiver, progress, len(parsed.readings))
    except BaseException:
        child.kill()  # its work is lost with the transaction
        raise
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()


def widen(connection) -> None:
    """A pipe of a megabyte instead of 64 KB where Linux allows it: the child runs a few batches ahead
    instead of waiting for each one to be read."""
    try:
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size
        pass


def receive(tx: Transaction, start: Start, receiver, progress: Progress, total: int) -> Outcome:
    """Insert each batch the child sends, until its outcome."""
    stored = 0
    while True:
        try:
            message = marshal.loads(receiver.recv_bytes())
        except EOFError:
            raise RuntimeError("the import's checking process stopped without an answer") from None
        kind = message[0]
        if kind == "batch":
            _, rows, seq, kept = message
            insert(tx, start.session_id, rows, seq, kept)
            stored += len(rows)
            progress("storing", stored, total)
        elif kind == "done":
            outcome = Outcome(*message[1])
            if outcome.stored:  # duplicates and rejected readings were counted in the total
                progress("storing", outcome.stored, outcome.stored)
            return outcome
        elif kind == "failed":
            name, text, fields = message[1]
            raise getattr(errors, name)(text, fields)
        else:
            raise RuntimeError(f"the import's checking process failed:\n{message[1]}")


def check_in_child(receiver, sender, parsed: ParsedFile, start: Start, options: Options, now: datetime) -> None:
    """The child: everything it finds goes through the pipe, errors included. It closes its copy of the
    pipe's reading end first, so that its writes fail instead of waiting if the parent stops reading."""
    receiver.close()

    def send(message: tuple) -> None:
        sender.send_bytes(marshal.dumps(message))

    try:
        outcome = produce(parsed, start, options, now, send)
        send(("done", (outcome.report, outcome.refused, outcome.newest, outcome.stored)))
    except ApiError as error:
        send(("failed", (type(error).__name__, error.message, error.fields)))
    except BaseException:  # noqa: B036 - the parent must hear of anything that stops the child
        send(("crashed", traceback.format_exc()))
    finally:
        sender.close()


def produce(parsed: ParsedFile, start: Start, options: Options, now: datetime, send) -> Outcome:
    """Check the readings a chunk at a time, sending each batch as soon as it is full."""
    checking, batches, readings = Check(parsed, now=now, options=options), Batches(start, records=False), \
        parsed.readings

    def send_all(built):
        for batch in built:
            send(("batch", batch.rows, batch.seq, batch.kept(start.source)))

    for offset in range(0, len(readings), CHUNK):
        passed = checking.chunk(readings[offset:offset + CHUNK])
        if not checking.refused:
            send_all(batches.add(passed))
    plan = checking.finish()
    return outcome(plan, start, options, batches, send_all)


def outcome(plan, start: Start, options: Options, batches: Batches, send_all) -> Outcome:
    """Send the last batch unless the import is refused, and say what it came to."""
    cause = refusal(plan, options)
    if cause is not None:
        new = [c for c in plan.checked if c.key not in start.known]
        return Outcome(report(plan, new, options, stored=False),
                       (type(cause).__name__, cause.message, cause.fields), None, 0)
    send_all(batches.rest())
    return Outcome(report(plan, batches.new, options), None, batches.newest, batches.stored)
