"""Merging a duplicate company into the surviving one, and reversing that.

:func:`merge_companies` moves **every** row that refers to the duplicate — found by walking
the foreign keys to ``companies.id`` in the metadata, so tables added later are included
without changes here — to the survivor in one transaction, applies the chosen master data,
and deletes the duplicate's row (freeing its KVK number for the survivor and removing it from
search). A :class:`~crm.models.CompanyMerge` keeps a snapshot of the duplicate, the
survivor's fields before and after, and the primary keys of the moved rows, so
:func:`unmerge` can put everything back — or refuse, changing nothing, when it cannot.
"""
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import object_session

from ...models import (AuditEntry, Base, Company, CompanyMerge, Consent, DuplicatePair, User,
                       size_class_for, utcnow)
from .. import audit
from ..companies import COMPANY_FIELDS, search_fields
from ..errors import N_, StaleEdit, ValidationFailed
from .rows import (CHUNK, MergeRefused, UnmergeRefused, company_columns,  # noqa: F401
                   count_rows, key_columns, key_condition, missing_rows, plain,
                   referencing_columns, resolve_unique, restore_pairs, restore_value, row_json,
                   row_values, table_of)

#: Fields that follow another field's choice (derived from it).
FOLLOWS = {"sbi_section": "sbi_code", "province_id": "municipality_id"}
#: Choices per field: the survivor's value, the duplicate's, or (trade names) both.
CHOICES = ("survivor", "duplicate", "both")


def _pick(field: str, choice: str, survivor: Company, duplicate: Company):
    ours, theirs = getattr(survivor, field), getattr(duplicate, field)
    if choice == "both" and field == "trade_names":
        lines = [t for t in (ours or "").splitlines() + (theirs or "").splitlines() if t.strip()]
        return "\n".join(dict.fromkeys(lines))
    return theirs if choice == "duplicate" else ours


def default_choices(survivor: Company, duplicate: Company) -> dict[str, str]:
    """The survivor's value, unless it is empty and the duplicate's is not (trade names: both)."""
    choices = {}
    for field in COMPANY_FIELDS:
        ours, theirs = getattr(survivor, field), getattr(duplicate, field)
        if field == "trade_names":
            choices[field] = "both" if theirs and theirs != ours else "survivor"
        elif ours in (None, "", "onbekend") and theirs not in (None, "", "onbekend"):
            choices[field] = "duplicate"
        else:
            choices[field] = "survivor"
    return choices


def _merged_values(survivor, duplicate, choices) -> dict:
    errors = {}
    values = {}
    for field in COMPANY_FIELDS:
        choice = choices.get(field) or "survivor"
        if choice not in CHOICES or (choice == "both" and field != "trade_names"):
            errors[field] = [(N_("Choose which value to keep."), {})]
            continue
        values[field] = _pick(field, choice, survivor, duplicate)
    if errors:
        raise ValidationFailed(errors)
    for derived, source in FOLLOWS.items():
        chosen = duplicate if choices.get(source) == "duplicate" else survivor
        values[derived] = getattr(chosen, derived)
    if values["employees"] is not None:
        values["size_class"] = size_class_for(values["employees"])
    values.update(search_fields(values["name"], values["trade_names"]))
    return values


def merge_companies(survivor: Company, duplicate: Company, choices: dict, *, by: User,
                    survivor_version: int | None = None,
                    duplicate_version: int | None = None) -> CompanyMerge:
    """Merge ``duplicate`` into ``survivor``: see the module documentation. ``choices`` maps
    each field of :data:`COMPANY_FIELDS` to "survivor" or "duplicate" (trade names: "both")."""
    session = object_session(by)
    if survivor.id == duplicate.id:
        raise MergeRefused(N_("A company cannot be merged with itself."))
    if (survivor_version is not None and survivor_version != survivor.version) or (
            duplicate_version is not None and duplicate_version != duplicate.version):
        raise StaleEdit()
    values = _merged_values(survivor, duplicate, choices)
    session.flush()
    by_id, survivor_id, duplicate_id = by.id, survivor.id, duplicate.id
    companies = Company.__table__
    snapshot = row_json(companies, session.execute(
        select(companies).where(companies.c.id == duplicate_id)).one())
    before = {k: plain(getattr(survivor, k)) for k in values}
    pairs = DuplicatePair.__table__
    adjustments: dict = {"pairs": [row_json(pairs, r) for r in session.execute(
        select(pairs).where((pairs.c.company_a_id == duplicate_id)
                            | (pairs.c.company_b_id == duplicate_id)))]}
    moved: dict[str, list] = {}
    for col in referencing_columns():
        resolve_unique(session, col, survivor_id, duplicate_id, adjustments, by)
        keys = key_columns(col.table)
        rows = session.execute(select(*keys).where(col == duplicate_id)).all()
        if not rows:
            continue
        session.execute(update(col.table).where(col == duplicate_id)
                        .values({col.name: survivor_id}))
        # The keys as they are after the move (the company column may be part of the key).
        moved[f"{col.table.name}.{col.name}"] = [
            [plain(survivor_id if k is col else v) for k, v in zip(keys, r)]
            if len(keys) > 1 else plain(survivor_id if keys[0] is col else r[0])
            for r in rows]
    session.expunge(duplicate)
    session.expire_all()
    deleted = session.execute(delete(companies).where(
        companies.c.id == duplicate_id, companies.c.version == snapshot["version"]))
    if deleted.rowcount != 1:
        raise StaleEdit()
    survivor = session.get(Company, survivor_id)
    after = {k: plain(v) for k, v in values.items()}
    changed = {k: v for k, v in values.items() if plain(getattr(survivor, k)) != after[k]}
    for key, value in changed.items():
        setattr(survivor, key, value)
    survivor.updated_by_id = by_id
    survivor.updated_at = utcnow()
    session.flush()
    merge = CompanyMerge(
        survivor_id=survivor_id, duplicate_id=duplicate_id,
        duplicate_name=snapshot["name"], survivor_name=survivor.name, snapshot=snapshot,
        survivor_before={k: before[k] for k in changed},
        survivor_after={k: after[k] for k in changed}, moved=moved,
        adjustments=adjustments, merged_by_id=by_id, merged_at=utcnow())
    session.add(merge)
    session.flush()
    fields = [f for f in changed if f in COMPANY_FIELDS]
    audit.record(by, "merge", "company", survivor_id, company_id=survivor_id, session=session,
                 changes={**{k: [before[k], after[k]] for k in fields},
                          "merged_from": [None, duplicate_id], "merge": [None, merge.id]})
    audit.record(by, "merge", "company", duplicate_id, company_id=survivor_id, session=session,
                 changes={"merged_into": [None, survivor_id], "name": [snapshot["name"], None],
                          "kvk": [snapshot["kvk"], None], "merge": [None, merge.id]})
    return merge


def later_merge(session, merge: CompanyMerge) -> CompanyMerge | None:
    """The merge (in force) that removed this merge's survivor, if any."""
    return session.scalars(select(CompanyMerge).where(
        CompanyMerge.duplicate_id == merge.survivor_id, CompanyMerge.reverted_at.is_(None))
        .order_by(CompanyMerge.merged_at.desc())).first()


def unmerge(merge: CompanyMerge, *, by: User) -> CompanyMerge:
    """Reverse a merge: the duplicate comes back with its own id, the rows the merge moved go
    back to it, and the survivor's fields the merge changed are restored (a field changed
    since keeps its newer value; that is noted). Refuses, changing nothing, when impossible."""
    session = object_session(by)
    if merge.reverted_at is not None:
        raise UnmergeRefused(N_("This merge was already reversed."))
    survivor = session.get(Company, merge.survivor_id)
    if survivor is None:
        later = later_merge(session, merge)
        if later is not None:
            raise UnmergeRefused(N_("%(name)s has since been merged into %(other)s: reverse "
                                    "that merge first."), name=merge.survivor_name,
                                 other=later.survivor_name)
        raise UnmergeRefused(N_("The surviving company no longer exists."))
    companies = Company.__table__
    missing = missing_rows(session, merge)
    if missing:
        raise UnmergeRefused(
            N_("%(count)s records moved by the merge have since been deleted or moved "
               "(%(tables)s), so the merge cannot be reversed exactly. Nothing was changed."),
            count=sum(missing.values()),
            tables=", ".join(f"{t}: {n}" for t, n in sorted(missing.items())))
    restore, kept = {}, []
    for field, value in merge.survivor_before.items():
        if field in ("sort_name", "search_text"):
            continue  # derived again below from what the name fields end up as
        if plain(getattr(survivor, field)) == merge.survivor_after.get(field):
            restore[field] = restore_value(companies.c[field], value)
        elif field in COMPANY_FIELDS:
            kept.append(field)
    kvk = merge.snapshot.get("kvk")
    if kvk:
        holder = session.scalar(select(Company.id).where(Company.kvk == kvk))
        if holder is not None and not (holder == survivor.id and "kvk" in restore):
            raise UnmergeRefused(N_("KVK number %(kvk)s now belongs to another company, so "
                                    "the merged company cannot get it back."), kvk=kvk)
    by_id = by.id
    before = {k: plain(getattr(survivor, k)) for k in restore}
    for field, value in restore.items():
        setattr(survivor, field, value)
    for field, value in search_fields(survivor.name, survivor.trade_names).items():
        setattr(survivor, field, value)
    if restore:
        survivor.updated_by_id = by_id
        survivor.updated_at = utcnow()
    session.flush()
    values = row_values(companies, merge.snapshot)
    for fk in companies.foreign_keys:  # a user removed since: "registered by" becomes empty
        value = values.get(fk.parent.name)
        if value is not None and fk.parent.nullable and not session.scalar(
                select(func.count()).select_from(fk.column.table).where(fk.column == value)):
            values[fk.parent.name] = None
    if session.get(Company, merge.duplicate_id) is not None:
        # SQLite hands the highest number out again: a company registered after the merge
        # may have the duplicate's. It comes back under a new number then.
        del values["id"]
    restored_id = session.execute(insert(companies).values(values)).inserted_primary_key[0]
    for key, pks in merge.moved.items():
        table, col = table_of(key)
        keys = key_columns(table)
        for start in range(0, len(pks), CHUNK):
            session.execute(update(table).where(
                key_condition(keys, pks[start:start + CHUNK]), col == merge.survivor_id)
                .values({col.name: restored_id}))
    adjustments = merge.adjustments or {}
    consents = Consent.__table__
    for consent_id in adjustments.get("closed_consents", []):
        session.execute(update(consents).where(and_(
            consents.c.id == consent_id, consents.c.company_id == restored_id)).values(
            withdrawn_at=None, withdrawn_by_id=None, withdrawal_note=None))
    for table_name, rows in adjustments.get("dropped", {}).items():
        table = Base.metadata.tables[table_name]
        session.execute(insert(table), [
            {k: restored_id if k in company_columns(table) and v == merge.duplicate_id else v
             for k, v in row_values(table, r).items()} for r in rows])
    restore_pairs(session, adjustments.get("pairs", []), merge.duplicate_id, restored_id)
    entries = AuditEntry.__table__  # the merge's entry about the duplicate goes back with it
    session.execute(update(entries).where(
        entries.c.record_type == "company", entries.c.record_id == merge.duplicate_id,
        entries.c.action == "merge", entries.c.company_id == merge.survivor_id)
        .values(company_id=restored_id))
    merge.restored_as_id = restored_id if restored_id != merge.duplicate_id else None
    merge.reverted_at = utcnow()
    merge.reverted_by_id = by_id
    merge.reversal_note = ", ".join(kept) or None
    session.flush()
    session.expire_all()
    audit.record(by, "unmerge", "company", restored_id, company_id=restored_id,
                 session=session, changes={"merged_into": [merge.survivor_id, None],
                                           "merge": [merge.id, None]})
    audit.record(by, "unmerge", "company", merge.survivor_id, company_id=merge.survivor_id,
                 session=session, changes={**{k: [before[k], plain(v)]
                                              for k, v in restore.items()
                                              if k in COMPANY_FIELDS},
                                           "merged_from": [restored_id, None]})
    session.flush()
    return merge


def active_merges(duplicate_id: int):
    return select(CompanyMerge.survivor_id).where(CompanyMerge.duplicate_id == duplicate_id,
                                                  CompanyMerge.reverted_at.is_(None))


def surviving_id(session, company_id: int, *, hops: int = 10) -> int | None:
    """Where a merged company lives on (following later merges), or None if it was not merged."""
    found = None
    for _ in range(hops):
        nxt = session.scalar(active_merges(company_id).order_by(CompanyMerge.merged_at.desc())
                             .limit(1))
        if nxt is None:
            break
        found = company_id = nxt
    return found
