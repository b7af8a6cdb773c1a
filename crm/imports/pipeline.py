"""A company import checked and written at once: the database writes one part of the file
while Python checks the next.

Checking is Python's work and writing mostly the database's (PostgreSQL's server process,
SQLite's C library with the interpreter lock released), so on two cores they overlap: a
writer thread takes the planned parts from a short queue and writes them on the import's own
session, while the calling thread checks and plans the next part without touching the
session. Everything the checks need from the database (the companies on record for the
file's KVK numbers) is read before the writer starts.

Nothing changes for the user: the same rows are refused with the same messages (a repeated
KVK number names the first row it is on in the whole file), and ``all-or-nothing`` still
writes nothing when any row is invalid — the parts already written are undone by rolling
back to a savepoint taken before the first. Rows are written in name order, which keeps the
name-ordered indexes' insertions close together (measured on PostgreSQL: −0.35 s for
100,000 rows); the error report is in row order as always.
"""
import queue
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy.orm import scoped_session

from . import bulk
from .validate import Checked, check_rows, first_rows_by_kvk
from .write import existing_companies, plan_companies_against

#: Rows per part: what the writer writes while the next part is checked.
PART = bulk.BATCH
#: Planned parts waiting for the writer, at most (bounds the memory held).
QUEUE = 2


@dataclass
class Written:
    """What a pipelined import planned (and, unless all-or-nothing refused it, wrote)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    #: When the last part was checked (``time.perf_counter()``); writing went on after it.
    checked_at: float = 0.0
    #: Seconds the writer spent writing (the rest of its time it waited for parts).
    writing: float = 0.0


class _Writer(threading.Thread):
    """Writes the plans it is given, in order, on ``session``; keeps the first error."""

    def __init__(self, session, app, many: bool):
        super().__init__(name="import-writer", daemon=True)
        self.session, self.app, self.many = session, app, many
        self.plans: queue.Queue = queue.Queue(maxsize=QUEUE)
        self.error: BaseException | None = None
        self.busy = 0.0

    def run(self) -> None:
        given_all = False
        with self.app.app_context() if self.app is not None else nullcontext():
            try:
                with bulk.many_new_companies(self.session) if self.many else nullcontext():
                    while (plan := self.plans.get()) is not None:
                        started = time.perf_counter()
                        bulk.execute(self.session, plan, search_index_filled=self.many)
                        self.busy += time.perf_counter() - started
                    given_all = True
                    started = time.perf_counter()  # the search index is filled on leaving
                self.busy += time.perf_counter() - started
            except BaseException as error:  # handed to the calling thread
                self.error = error
                while not given_all and self.plans.get() is not None:
                    pass  # drop what is still given, until the end

    def finish(self) -> None:
        """Wait until everything given is written; raise the writer's error, if any."""
        self.plans.put(None)
        self.join()
        if self.error is not None:
            raise self.error


def _name_key(index: int | None):
    if index is None:
        return None
    return lambda row: row[1][index].strip().lower() if index < len(row[1]) else ""


def import_companies(session, table, mapping: list, columns: dict[str, str], places, *,
                     mode: str, by_id, now) -> tuple[Checked, Written]:
    """Check every row of ``table`` and write the valid ones, part by part, in the caller's
    transaction. With ``all-or-nothing`` and any invalid row, nothing stays written."""
    if isinstance(session, scoped_session):
        session = session()  # the writer thread must use this very session
    rows = table.rows
    first_rows = first_rows_by_kvk(rows, mapping.index("kvk")) if "kvk" in mapping else {}
    existing = existing_companies(session, first_rows)
    name_index = mapping.index("name") if "name" in mapping else None
    ordered = sorted(rows, key=_name_key(name_index)) if name_index is not None else rows
    checked = Checked([], [], set(), len(rows))
    done = Written()
    refuse = False
    # On SQLite a SAVEPOINT outside a transaction would start one that its RELEASE commits.
    bulk.open_sqlite_transaction(session)
    savepoint = session.begin_nested()
    writer = _Writer(session, current_app._get_current_object() if has_app_context() else None,
                     many=len(rows) - len(existing) >= bulk.BULK_INDEX_MIN)
    writer.start()
    try:
        for start in range(0, len(ordered), PART):
            if writer.error is not None:
                break  # finish() raises it
            part = check_rows("companies", table.headers, ordered[start:start + PART],
                              mapping, places, first_rows=first_rows)
            plan = plan_companies_against(existing, part, columns, by_id=by_id, now=now)
            checked.errors += part.errors
            checked.invalid |= part.invalid
            refuse = refuse or bool(checked.errors and mode == "all-or-nothing")
            done.created += len(plan.inserts)
            done.updated += plan.updated
            done.unchanged += plan.unchanged
            if not refuse:  # else keep checking: the report lists every invalid row
                writer.plans.put(plan)  # waits while QUEUE parts wait for the writer
    except BaseException:
        writer.plans.put(None)  # the caller rolls the transaction back
        writer.join()
        raise
    done.checked_at = time.perf_counter()
    writer.finish()
    done.writing = writer.busy
    if refuse:
        savepoint.rollback()
    else:
        savepoint.commit()
        done.written = bool(done.created or done.updated)
    checked.errors.sort(key=lambda e: e.row)
    return checked, done
