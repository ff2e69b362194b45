"""A long import read and checked in a second process while this one stores it.

Reading and checking 100,000 readings and building their rows takes Python about as long as
SQLite takes to insert them; on two cores the halves overlap. Once the import's transaction
holds the database, a child process is forked: it starts with the file and with what the
transaction read (`import_rows.Start`) and never touches the database. It reads a monitor's
CSV export as it goes, checks the readings a chunk at a time and sends the rows of each full
batch through a pipe in `marshal`'s format (plain values only, the fastest to read back); this
process inserts them from the first batch on. A file whose times go backwards is read again
whole and sorted, and the batches already inserted are undone to a savepoint. A file found to
be refused stops the batches and the transaction is rolled back, so the outcome is the
in-process import's.

Only the command line uses it: forking a threaded server process is not safe.
"""
from __future__ import annotations

import fcntl
import marshal
import multiprocessing
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from itertools import islice

from .. import errors
from ..errors import ApiError
from ..store.db import Transaction
from .formats import ParsedFile, parse, stream
from .formats.csv_format import Unsorted
from .import_check import Check, Options, Outcome, Progress, new_checked, refusal, report
from .import_rows import Batches, Start, insert

CHUNK = 1000  # readings checked between two looks at whether a batch is full
LONG = 512 * 1024  # bytes from which a second process pays for itself (about 10,000 readings)
PIPE_BYTES = 1 << 20


def worth_it(data: bytes) -> bool:
    """Whether a second process can read and check this file: a long one, on a system that forks."""
    return len(data) >= LONG and "fork" in multiprocessing.get_all_start_methods()


def store(tx: Transaction, start: Start, data: bytes, zone: tzinfo, options: Options, progress: Progress) -> Outcome:
    """Read, check and store the file: the reading and checking in a forked process, which starts at
    once; this one inserts."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    widen(sender)
    sys.stdout.flush()  # the child would write out again whatever is still buffered
    sys.stderr.flush()
    child = context.Process(target=check_in_child, args=(receiver, sender, data, zone, start, options, tx.now),
                            name="import-checker", daemon=True)
    child.start()
    sender.close()
    try:
        return receive(tx, start, receiver, progress, data.count(b"\n"))
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


def receive(tx: Transaction, start: Start, receiver, progress: Progress, lines: int) -> Outcome:
    """Insert each batch the child sends, until its outcome. The batches follow a savepoint: when the
    child finds the file out of time order it starts again from the whole file, and they are undone."""
    stored, told = 0, len(tx.events)
    tx.execute("SAVEPOINT import_batches")
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
            progress("storing", stored, max(lines, stored))
        elif kind == "again":
            tx.execute("ROLLBACK TO import_batches")
            del tx.events[told:]
            stored = 0
        elif kind == "done":
            tx.execute("RELEASE import_batches")
            outcome = Outcome(*message[1])
            if outcome.stored:  # the lines of the file were only an estimate of its readings
                progress("storing", outcome.stored, outcome.stored)
            return outcome
        elif kind == "failed":
            raise errors.from_plain(message[1])
        else:
            raise RuntimeError(f"the import's checking process failed:\n{message[1]}")


def check_in_child(receiver, sender, data: bytes, zone: tzinfo, start: Start, options: Options,
                   now: datetime) -> None:
    """The child: everything it finds goes through the pipe, errors included. It closes its copy of the
    pipe's reading end first, so that its writes fail instead of waiting if the parent stops reading."""
    receiver.close()

    def send(message: tuple) -> None:
        sender.send_bytes(marshal.dumps(message))

    try:
        outcome = produce(data, zone, start, options, now, send)
        send(("done", (outcome.report, outcome.refused, outcome.newest, outcome.stored)))
    except ApiError as error:
        send(("failed", errors.as_plain(error)))
    except BaseException:  # noqa: B036 - the parent must hear of anything that stops the child
        send(("crashed", traceback.format_exc()))
    finally:
        sender.close()


def produce(data: bytes, zone: tzinfo, start: Start, options: Options, now: datetime, send) -> Outcome:
    """Read and check the file, sending each batch as soon as it is full. A CSV export is checked as it
    is read (`formats.stream`) for as long as its times go forward; otherwise it is read whole first."""
    readable = stream(data, format=options.format, tz=zone)
    if readable is not None:
        try:
            return check_and_send(readable.parsed, iter(readable), start, options, now, send, readable.result)
        except Unsorted:
            send(("again",))
    parsed = parse(data, format=options.format, tz=zone)
    return check_and_send(parsed, iter(parsed.readings), start, options, now, send)


def check_and_send(parsed: ParsedFile, readings: Iterator, start: Start, options: Options, now: datetime, send,
                   read_to_the_end: Callable[[], ParsedFile] | None = None) -> Outcome:
    """Check the readings a chunk at a time; send each full batch unless the import is already refused."""
    checking, batches = Check(parsed, now=now, options=options), Batches(start, records=False)

    def send_all(built):
        for batch in built:
            send(("batch", batch.rows, batch.seq, batch.kept(start.source)))

    while chunk := list(islice(readings, CHUNK)):
        passed = checking.chunk(chunk)
        if not checking.refused:
            send_all(batches.add(passed))
    plan = checking.finish(read_to_the_end() if read_to_the_end else None)
    cause = refusal(plan, options)
    if cause is not None:
        return Outcome(report(plan, new_checked(plan, start.known), options, stored=False),
                       errors.as_plain(cause), None, 0)
    send_all(batches.rest())
    return Outcome(report(plan, batches.new, options), None, batches.newest, batches.stored)
