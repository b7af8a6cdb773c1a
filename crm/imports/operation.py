"""The import operation: read, map, check every row, then write in one transaction.

``import_file`` follows the journeys' shape: it validates, writes, flushes and records one
audit entry, and never commits — the view or CLI command commits once. A failure anywhere
(a crash halfway, a database error) leaves the transaction to be rolled back: nothing of the
import stays behind.
"""
import io
import os
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import object_session

from ..journeys import audit
from ..journeys.errors import N_, DomainError, NotAllowed
from ..models import Municipality, Organisation, User, utcnow
from .columns import KINDS, auto_mapping, check_mapping
from .readers import Table, read_table
from .validate import Municipalities, RowError, check_rows
from . import bulk, pipeline, write

MODES = ("all-or-nothing", "valid-rows")


class MappingProblem(DomainError):
    """The chosen columns cannot be imported (a required field has no column, …)."""

    message = N_("The columns cannot be imported like this.")

    def __init__(self, problems: list[tuple[str, dict]]):
        self.problems = problems
        super().__init__()


@dataclass
class ImportResult:
    kind: str
    mode: str
    #: Data rows in the file.
    total: int = 0
    created: int = 0
    updated: int = 0
    #: Rows that matched a record and changed nothing (or an intervention logged before).
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Row numbers with at least one error (not imported).
    invalid: set[int] = field(default_factory=set)
    #: Whether anything was written (False: nothing at all, e.g. all-or-nothing with errors).
    written: bool = False
    #: Seconds spent reading, checking (incl. look-ups) and writing.
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def valid(self) -> int:
        return self.total - len(self.invalid)

    @property
    def ok(self) -> bool:
        return not self.errors


def _bytes(file) -> bytes:
    if isinstance(file, bytes):
        return file
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as f:
            return f.read()
    if isinstance(file, io.IOBase) or hasattr(file, "read"):
        return file.read()
    raise TypeError(f"Cannot read an import from {type(file).__name__}")


def municipalities(session) -> Municipalities:
    return Municipalities(session.execute(select(
        Municipality.id, Municipality.code, Municipality.name, Municipality.province_id)).all())


def _mapping(kind: str, table: Table, mapping) -> tuple[list, dict[str, str]]:
    """The field of each column (the file's headers recognised when none is given), checked;
    and field → the column's header."""
    if kind not in KINDS:
        raise DomainError(N_("Unknown kind of import: %(kind)s."), kind=kind)
    mapping = list(mapping) if mapping is not None else auto_mapping(kind, table.headers)
    mapping = (mapping + [None] * len(table.headers))[:len(table.headers)]
    problems = check_mapping(kind, mapping)
    if problems:
        raise MappingProblem(problems)
    return mapping, {key: table.headers[i] for i, key in enumerate(mapping) if key}


def check_table(kind: str, table: Table, mapping=None, *, session,
                organisation_id: int | None = None, by_id: int | None = None):
    """Map and check every row, also against the database (existing records, unknown KVK
    numbers). Returns (checked rows, write plan); writes nothing."""
    mapping, columns = _mapping(kind, table, mapping)
    places = municipalities(session) if kind == "companies" else None
    checked = check_rows(kind, table.headers, table.rows, mapping, places)
    now = utcnow()
    if kind == "companies":
        plan = write.plan_companies(session, checked, columns, by_id=by_id, now=now)
    elif kind == "contacts":
        plan = write.plan_contacts(session, checked, columns, organisation_id=organisation_id,
                                   by_id=by_id, now=now)
    elif kind == "interventions":
        plan = write.plan_interventions(session, checked, columns,
                                        organisation_id=organisation_id, by_id=by_id, now=now)
    else:
        plan = write.plan_dma(session, checked, columns, organisation_id=organisation_id,
                              by_id=by_id, now=now)
    checked.rows[:] = [(n, v) for n, v in checked.rows if n not in checked.invalid]
    checked.errors.sort(key=lambda e: e.row)
    return checked, plan


def may_import(user: User | None, organisation: Organisation) -> bool:
    if user is None:
        return True  # the command line: whoever runs it operates the server
    from ..policy import may
    return may(user, "import", organisation)


def import_file(kind: str, file, *, by: User | None, organisation: Organisation | None = None,
                mode: str = "all-or-nothing", mapping=None, filename: str | None = None,
                session=None) -> ImportResult:
    """Import companies, contacts or interventions from CSV or .xlsx (bytes, a path, a file
    object or a read :class:`Table`). ``mode`` ``all-or-nothing`` writes nothing when any row
    is invalid; ``valid-rows`` writes the valid rows and reports the others. Raises
    FileProblem (unreadable file) or MappingProblem (columns); never commits."""
    if mode not in MODES:
        raise DomainError(N_("Unknown import mode: %(mode)s."), mode=mode)
    session = session or object_session(by) or object_session(organisation)
    organisation = organisation or (by.organisation if by is not None else None)
    if kind != "companies" and organisation is None:
        raise DomainError(N_("Choose the organisation the %(kind)s belong to."), kind=kind)
    if organisation is not None and not may_import(by, organisation):
        raise NotAllowed()
    result = ImportResult(kind, mode)
    started = time.perf_counter()
    table = file if isinstance(file, Table) else read_table(_bytes(file), filename)
    read_done = time.perf_counter()
    by_id = by.id if by is not None else None
    if kind == "companies":
        # Checked and written at once (see .pipeline); "check" ends with the last part checked.
        mapping, columns = _mapping(kind, table, mapping)
        checked, written = pipeline.import_companies(
            session, table, mapping, columns, municipalities(session), mode=mode, by_id=by_id,
            now=utcnow())
        checked_done = written.checked_at
    else:
        checked, plan = check_table(kind, table, mapping, session=session, by_id=by_id,
                                    organisation_id=organisation.id if organisation else None)
        checked_done = time.perf_counter()
    result.total, result.errors, result.invalid = checked.total, checked.errors, checked.invalid
    if not (checked.errors and mode == "all-or-nothing"):
        if kind != "companies":
            bulk.execute(session, plan)
            written = pipeline.Written(len(plan.inserts), plan.updated, plan.unchanged,
                                       bool(plan.inserts or plan.updates))
        result.created, result.updated = written.created, written.updated
        result.unchanged = written.unchanged
        result.written = written.written
        audit.record(by, "import", "organisation", organisation.id if organisation else 0,
                     session=session, changes={
                         "kind": [None, kind], "file": [None, filename], "mode": [None, mode],
                         "rows": [None, result.total], "created": [None, result.created],
                         "updated": [None, result.updated],
                         "unchanged": [None, result.unchanged],
                         "invalid": [None, len(result.invalid)]})
        session.flush()
        if result.written:
            session.expire_all()  # ORM objects loaded before may hold the old values
    done = time.perf_counter()
    result.timings = {"read": read_done - started, "check": checked_done - read_done,
                      "write": done - checked_done, "total": done - started}
    if kind == "companies":
        result.timings["writer"] = written.writing
    return result
