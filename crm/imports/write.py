"""Planning an import: the checked rows against the database (existing records, unknown KVK
numbers, duplicates), giving the full rows to insert and the changes to update, which
:mod:`.bulk` writes."""
import json
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import String, Table, bindparam, func, select

from ..journeys.companies import search_fields
from ..journeys.errors import N_
from ..models import Company, ContactPerson, Intervention, size_class_for
from ..reference import normalise, section_for_sbi
from .validate import Checked

#: Values per IN (…) look-up.
LOOKUP = 1000

COMPANY_COLUMNS = ("name", "trade_names", "establishment_number", "sbi_code", "employees",
                   "size_class", "phase", "municipality_id", "website", "non_mailing")


@dataclass
class Plan:
    """What the import will write: full rows to insert, and per set of changed columns the
    rows to update (with their ``id``)."""

    table: Table
    inserts: list[dict] = field(default_factory=list)
    updates: dict[tuple, list[dict]] = field(default_factory=dict)
    unchanged: int = 0
    #: Intervention bottlenecks and topics per inserted row (same order as ``inserts``).
    extras: list[tuple[list, list]] = field(default_factory=list)

    @property
    def updated(self) -> int:
        return sum(len(rows) for rows in self.updates.values())


def _chunks(values, size=LOOKUP):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


#: KVK numbers per look-up query (one array or JSON parameter each).
KVK_LOOKUP = 20_000


def companies_by_kvk(session, columns, kvks):
    """Rows of ``columns`` of the companies with these KVK numbers. The numbers go in as one
    parameter per query (comma-separated text that PostgreSQL splits into an array, a JSON
    array for SQLite's ``json_each``): a hundred thousand numbers are a few queries, not a
    hundred ``IN (…)`` lists. PostgreSQL joins the numbers to the KVK key in KVK order (with
    1,000,000 companies: 56 ms per 20,000 numbers; ``kvk = ANY(…)`` was planned as a scan of
    the table, 110 ms). KVK numbers are digits only, so a comma cannot be part of one; and
    plain text costs the driver nothing (an array parameter: ~20 ms per 20,000 numbers)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    for chunk in _chunks(sorted(set(kvks)), KVK_LOOKUP):
        if postgresql:
            if any("," in kvk for kvk in chunk):
                raise ValueError("a KVK number holds digits only")
            listed = func.string_to_array(bindparam("kvks", ",".join(chunk), type_=String), ",")
            numbers = (func.unnest(listed).table_valued("kvk")
                       .render_derived(name="numbers"))
            statement = (select(*columns).select_from(numbers)
                         .join(Company, Company.kvk == numbers.c.kvk))
        else:
            numbers = func.json_each(bindparam("kvks", json.dumps(chunk))).table_valued("value")
            statement = select(*columns).where(Company.kvk.in_(select(numbers.c.value)))
        yield from session.execute(statement)


def company_ids(session, kvks) -> dict[str, int]:
    return {kvk: id_ for kvk, id_ in companies_by_kvk(session, [Company.kvk, Company.id], kvks)}


# --- companies ---------------------------------------------------------------------------------

@cache
def _section(code: str) -> str | None:
    return section_for_sbi(code)


def fast_search_fields(name: str, trade_names: str) -> dict:
    """:func:`search_fields`, quicker for plain-ASCII text (most names), with the same result:
    for ASCII, Unicode decomposition changes nothing and case folding is lower-casing."""
    if name.isascii() and trade_names.isascii():
        lower = name.lower()
        return {"sort_name": " ".join(lower.split())[:200],
                "search_text": " ".join(f"{lower} {trade_names.lower()}".split())}
    return search_fields(name, trade_names)


def _company_values(values: dict) -> dict:
    """File values → column values (municipality → ids, SBI → section, employees → size)."""
    out = dict(values)
    del out["kvk"]
    if "municipality" in out:
        out["municipality_id"], out["province_id"] = out.pop("municipality")
    if "sbi_code" in out:
        out["sbi_section"] = _section(out["sbi_code"])
    if "employees" in out:
        out["size_class"] = size_class_for(out["employees"])
    return out


#: A new company's columns before the file's values are filled in.
_NEW_COMPANY = {"kvk": None, "name": None, "trade_names": "", "establishment_number": None,
                "sbi_code": None, "sbi_section": None, "employees": None, "size_class": None,
                "phase": None, "non_mailing": False, "municipality_id": None,
                "province_id": None, "website": None, "digital_maturity": "onbekend",
                "created_by_id": None, "created_at": None, "version": 1,
                "sort_name": None, "search_text": None}
# updated_at and updated_by_id stay NULL: the record was never edited.


def existing_companies(session, kvks) -> dict[str, dict]:
    """KVK number → the columns an import compares, for the companies on record."""
    fetch = [Company.id, Company.kvk, Company.name, Company.trade_names, Company.employees,
             *(getattr(Company, c) for c in COMPANY_COLUMNS if c not in ("name", "trade_names",
                                                                         "employees")),
             Company.province_id, Company.sbi_section]
    return {row.kvk: row._asdict() for row in companies_by_kvk(session, fetch, kvks)}


def plan_companies(session, checked: Checked, columns: dict[str, str], *, by_id, now) -> Plan:
    existing = existing_companies(session, (values["kvk"] for _, values in checked.rows))
    return plan_companies_against(existing, checked, columns, by_id=by_id, now=now)


def plan_companies_against(existing: dict[str, dict], checked: Checked, columns: dict[str, str],
                           *, by_id, now) -> Plan:
    """:func:`plan_companies` with the companies on record looked up already (no database)."""
    plan = Plan(Company.__table__)
    keep = []
    for number, values in checked.rows:
        current = existing.get(values["kvk"])
        if ("employees" in values and "size_class" in values
                and size_class_for(values["employees"]) != values["size_class"]):
            checked.reject(number, columns.get("size_class", ""), values["size_class"], N_(
                "The size class does not match the number of working persons (%(n)d)."),
                n=values["employees"])
            continue
        if (current is not None and "size_class" in values and "employees" not in values
                and current["employees"] is not None
                and size_class_for(current["employees"]) != values["size_class"]):
            checked.reject(number, columns.get("size_class", ""), values["size_class"], N_(
                "The size class does not match the %(n)d working persons on record; give the "
                "number of working persons instead."), n=current["employees"])
            continue
        if current is None and not values.get("name"):
            checked.reject(number, columns.get("name", ""), "", N_(
                "Enter the company name: KVK number %(kvk)s is new."), kvk=values["kvk"])
            continue
        keep.append((number, values, current))
    template = {**_NEW_COMPANY, "created_at": now}
    for number, values, current in keep:
        new = _company_values(values)
        if current is None:
            row = template.copy()
            row.update(new)
            row["kvk"] = values["kvk"]
            row.update(fast_search_fields(row["name"], row["trade_names"]))
            plan.inserts.append(row)
            continue
        changed = {k: v for k, v in new.items() if current.get(k) != v}
        if not changed:
            plan.unchanged += 1
            continue
        if "name" in changed or "trade_names" in changed:
            derived = fast_search_fields(changed.get("name", current["name"]),
                                         changed.get("trade_names", current["trade_names"]))
            changed.update(derived)
        changed.update(b_id=current["id"], updated_by_id=by_id, updated_at=now)
        key = tuple(sorted(k for k in changed if k != "b_id"))
        plan.updates.setdefault(key, []).append(changed)
    return plan


# --- contacts ----------------------------------------------------------------------------------

def _reject_unknown(checked: Checked, ids: dict[str, int], kvk_column: str) -> None:
    for number, values in list(checked.rows):
        if values["kvk"] not in ids:
            checked.reject(number, kvk_column, values["kvk"], N_(
                "No company has KVK number %(kvk)s. Import or register the company first."),
                kvk=values["kvk"])
    checked.rows[:] = [(n, v) for n, v in checked.rows if n not in checked.invalid]


def plan_contacts(session, checked: Checked, columns: dict[str, str], *, organisation_id,
                  by_id, now) -> Plan:
    plan = Plan(ContactPerson.__table__)
    ids = company_ids(session, (v["kvk"] for _, v in checked.rows))
    _reject_unknown(checked, ids, columns.get("kvk", "kvk"))
    existing: dict[tuple, dict] = {}
    fetch = select(ContactPerson.id, ContactPerson.company_id, ContactPerson.name,
                   ContactPerson.email, ContactPerson.phone, ContactPerson.role)
    for chunk in _chunks(set(ids[v["kvk"]] for _, v in checked.rows)):
        for row in session.execute(fetch.where(
                ContactPerson.company_id.in_(chunk),
                ContactPerson.organisation_id == organisation_id)).mappings():
            row = dict(row)
            if row["email"]:
                existing.setdefault((row["company_id"], "@", row["email"]), row)
            existing.setdefault((row["company_id"], "=", normalise(row["name"])), row)
    for number, values in checked.rows:
        company_id = ids[values["kvk"]]
        given = {k: values[k] for k in ("name", "email", "phone", "role") if k in values}
        match = (existing.get((company_id, "@", values["email"])) if "email" in values
                 else existing.get((company_id, "=", normalise(values["name"]))))
        if match is None:
            row = {"company_id": company_id, "organisation_id": organisation_id,
                   "name": given["name"], "email": given.get("email"),
                   "phone": given.get("phone"), "role": given.get("role"),
                   "created_by_id": by_id, "created_at": now}
            plan.inserts.append(row)
            # A second row for the same person in this file updates the first one's values.
            key = ((company_id, "@", row["email"]) if row["email"]
                   else (company_id, "=", normalise(row["name"])))
            existing[key] = {**row, "id": None, "_new": row}
            continue
        if match.get("_new") is not None:
            match["_new"].update(given)
            continue
        changed = {k: v for k, v in given.items() if match.get(k) != v}
        if not changed:
            plan.unchanged += 1
            continue
        match.update(changed)
        changed["b_id"] = match["id"]
        plan.updates.setdefault(tuple(sorted(k for k in changed if k != "b_id")),
                                []).append(changed)
    return plan


# --- interventions -----------------------------------------------------------------------------

def plan_interventions(session, checked: Checked, columns: dict[str, str], *,
                       organisation_id, by_id, now) -> Plan:
    plan = Plan(Intervention.__table__)
    ids = company_ids(session, (v["kvk"] for _, v in checked.rows))
    _reject_unknown(checked, ids, columns.get("kvk", "kvk"))
    logged = set()
    fetch = select(Intervention.company_id, Intervention.occurred_on, Intervention.kind,
                   Intervention.summary)
    for chunk in _chunks(set(ids[v["kvk"]] for _, v in checked.rows)):
        logged.update(tuple(row) for row in session.execute(fetch.where(
            Intervention.company_id.in_(chunk),
            Intervention.organisation_id == organisation_id)))
    for number, values in checked.rows:
        row = {"company_id": ids[values["kvk"]], "organisation_id": organisation_id,
               "user_id": by_id, "event_id": None, "occurred_on": values["occurred_on"],
               "kind": values["kind"], "summary": values.get("summary", ""),
               "internal_note": values.get("internal_note", ""), "created_by_id": by_id,
               "created_at": now,
               # as the tag tables' triggers would write them (then they change nothing)
               "bottleneck_list": ",".join(sorted(set(values.get("bottlenecks", [])))),
               "topic_list": ",".join(sorted(set(values.get("topics", []))))}
        key = (row["company_id"], row["occurred_on"], row["kind"], row["summary"])
        if key in logged:
            plan.unchanged += 1  # imported before: not logged twice
            continue
        plan.inserts.append(row)
        plan.extras.append((values.get("bottlenecks", []), values.get("topics", [])))
    return plan




# --- DMA results -------------------------------------------------------------------------------

def plan_dma(session, checked: Checked, columns: dict[str, str], *, organisation_id, by_id,
             now) -> Plan:
    """DMA results (six scores and a date per company) for the organisation. A result the
    organisation has for that company and date already is left alone (a file imported twice);
    the same company and date twice in one file is an error."""
    from ..journeys.maturity import average_of
    from ..models.survey import DmaAssessment
    from ..models.vocabulary import DMA_DIMENSION_NAMES
    plan = Plan(DmaAssessment.__table__)
    ids = company_ids(session, (v["kvk"] for _, v in checked.rows))
    _reject_unknown(checked, ids, columns.get("kvk", "kvk"))
    recorded = set()
    for chunk in _chunks(set(ids[v["kvk"]] for _, v in checked.rows)):
        recorded.update(tuple(row) for row in session.execute(
            select(DmaAssessment.company_id, DmaAssessment.assessed_on).where(
                DmaAssessment.company_id.in_(chunk),
                DmaAssessment.organisation_id == organisation_id)))
    in_file: dict[tuple, int] = {}
    for number, values in checked.rows:
        key = (ids[values["kvk"]], values["assessed_on"])
        first = in_file.setdefault(key, number)
        if first != number:
            checked.reject(number, columns.get("assessed_on", ""),
                           values["assessed_on"].isoformat(), N_(
                               "This company has a result of this date in row %(first)d "
                               "already."), first=first)
            continue
        if key in recorded:
            plan.unchanged += 1
            continue
        scores = {d: values[d] for d in DMA_DIMENSION_NAMES}
        plan.inserts.append({"company_id": key[0], "organisation_id": organisation_id,
                             "assessed_on": key[1], **scores, "average": average_of(scores),
                             "source": "imported", "created_by_id": by_id, "created_at": now})
    return plan
