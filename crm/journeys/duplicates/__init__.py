"""Finding companies entered twice: fuzzy name matching within the same place.

A company's name (and each trade name) becomes a set of **name tokens**: lower-cased and
accent-free (:func:`crm.reference.normalise`), punctuation removed, legal forms (B.V., V.O.F.,
Holding, eenmanszaak, …) and common words (de, het, en, van, …) left out, so "Bakkerij Jansen
B.V." and "Jansen Bakkerij VOF" are both ``{bakkerij, jansen}``. Two names are compared with
difflib: the better of the ratio of their sorted tokens and (times 0.9) the token-set ratio
(shared tokens against each side), 0 to 100.

Candidates are **blocked**: only companies in the same municipality (or without a known
place) that contain the first four letters of the name's longest tokens are looked at, found
with the trigram index of company search (SQLite FTS5 ``company_fts``, PostgreSQL pg_trgm on
``search_text``) in one query: companies holding two of the keys (few), and companies holding
one key among the first :data:`SCAN_PER_KEY` the index gives for it. Every part reads a
bounded number of index rows, so a look-up costs about the same with a thousand or a million
companies.

A pair is proposed when its score reaches :data:`THRESHOLD` in the same municipality,
:data:`THRESHOLD_NO_PLACE` when either place is unknown, and :data:`THRESHOLD_BOTH_KVK` when
both companies have (different) KVK numbers: two registrations are usually two companies.
Companies in different known municipalities are never proposed. A pair marked "not a
duplicate" is stored (``duplicate_pairs``, status ``dismissed``) and never proposed again.
"""
from dataclasses import dataclass
from functools import cache
from itertools import combinations

from sqlalchemy import (Integer, Select, bindparam, column, delete, func, insert, or_, select,
                        text, union_all)
from sqlalchemy.orm import Session, aliased

from ...models import Company, DuplicatePair, User, utcnow
from .. import audit
from ..errors import N_, DomainError
from ..search import fts5_phrase, like_escape
from .names import (COMMON_WORDS, LEGAL_FORMS, VARIANTS, name_tokens,  # noqa: F401
                    name_variants, score, similarity)

#: Minimum score (0-100) for companies in the same municipality.
THRESHOLD = 85
#: Minimum score when one of the two has no known municipality.
THRESHOLD_NO_PLACE = 92
#: Minimum score when both have a KVK number (they differ: KVK numbers are unique).
THRESHOLD_BOTH_KVK = 95
#: Candidates fetched per blocking key (token prefix).
CANDIDATES_PER_KEY = 200
#: Rows of the trigram index read for one key alone, and for a pair of keys together.
SCAN_PER_KEY = 500
SCAN_PER_PAIR = 5000
#: Blocking keys per company: the first letters of its longest name tokens.
KEYS_PER_COMPANY = 3
KEY_LENGTH = 4


class NotADuplicatePair(DomainError):
    message = N_("A company cannot be a duplicate of itself.")


def threshold(kvk_a, municipality_a, kvk_b, municipality_b) -> int | None:
    """The score a pair needs, or None when it can never be a duplicate (other place)."""
    if municipality_a is not None and municipality_b is not None \
            and municipality_a != municipality_b:
        return None
    needed = THRESHOLD if municipality_a is not None and municipality_b is not None \
        else THRESHOLD_NO_PLACE
    if kvk_a and kvk_b:
        needed = max(needed, THRESHOLD_BOTH_KVK)
    return needed


def blocking_keys(variants) -> list[str]:
    """The first letters of the longest tokens (three or more characters) of every variant;
    with a single key, the whole word as well (far fewer companies contain it)."""
    tokens = sorted({t for v in variants for t in v if len(t) >= 3}, key=lambda t: (-len(t), t))
    keys = list(dict.fromkeys(t[:KEY_LENGTH] for t in tokens))[:KEYS_PER_COMPANY]
    if len(keys) == 1 and len(tokens[0]) > KEY_LENGTH:
        keys.append(tokens[0])
    return keys


_companies = Company.__table__


def _members(keys: int) -> list[tuple[int, ...]]:
    """The blocking keys each candidate query needs: every pair of keys (selective: few rows
    hold both), and every key alone (read for a bounded number of rows only)."""
    return list(combinations(range(keys), 2)) + [(n,) for n in range(keys)]


def _candidate_member(sqlite: bool, n: int, keys: tuple[int, ...], with_place: bool):
    """Companies (other than this one) in the same place, or without one, whose search text
    contains the keys: at most CANDIDATES_PER_KEY, found among the first SCAN_PER_KEY (one
    key) or SCAN_PER_PAIR (two keys) rows of the trigram index; a member of a UNION ALL."""
    c = _companies.c
    bound = SCAN_PER_KEY if len(keys) == 1 else SCAN_PER_PAIR
    if sqlite:
        matched = (text(f"SELECT rowid AS id FROM company_fts WHERE company_fts MATCH :m{n} "
                        f"LIMIT {bound}").columns(column("id", Integer)).subquery())
    else:  # the pg_trgm GIN index answers the LIKEs
        matched = (select(c.id).where(*[c.search_text.like(bindparam(f"k{i}"), escape="\\")
                                        for i in keys]).limit(bound).subquery())
    statement = (select(c.id, c.name, c.trade_names, c.kvk, c.municipality_id)
                 .join(matched, matched.c.id == c.id).where(c.id != bindparam("company_id")))
    if with_place:
        statement = statement.where(or_(c.municipality_id == bindparam("municipality_id"),
                                        c.municipality_id.is_(None)))
    return select(statement.limit(CANDIDATES_PER_KEY).subquery())


@cache
def _candidate_statement(sqlite: bool, keys: int, with_place: bool):
    if not sqlite and with_place:
        # PostgreSQL: one bitmap of the keys' trigram matches (each key read once from the GIN
        # index) ANDed with the municipality's rows from its B-tree index: only companies in
        # both are read, however common the keys are nationally.
        c = _companies.c
        return (select(c.id, c.name, c.trade_names, c.kvk, c.municipality_id)
                .where(or_(*[c.search_text.like(bindparam(f"k{n}"), escape="\\")
                             for n in range(keys)]),
                       or_(c.municipality_id == bindparam("municipality_id"),
                           c.municipality_id.is_(None)),
                       c.id != bindparam("company_id"))
                .limit(CANDIDATES_PER_KEY * keys))
    members = [_candidate_member(sqlite, n, member, with_place)
               for n, member in enumerate(_members(keys))]
    return members[0] if len(members) == 1 else union_all(*members)


def candidates(session, company_id: int, variants, municipality_id: int | None) -> list[tuple]:
    """(id, name, trade names, kvk, municipality id) of the candidates: one round trip."""
    keys = blocking_keys(variants)
    if not keys:
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    params = {"company_id": company_id, "municipality_id": municipality_id}
    if sqlite:
        params.update({f"m{n}": " AND ".join(fts5_phrase(keys[i]) for i in member)
                       for n, member in enumerate(_members(len(keys)))})
    else:
        params.update({f"k{i}": f"%{like_escape(key)}%" for i, key in enumerate(keys)})
    statement = _candidate_statement(sqlite, len(keys), municipality_id is not None)
    return list({row[0]: tuple(row) for row in session.execute(statement, params)}.values())


@dataclass
class Match:
    company_id: int
    score: int


def dismissed_ids(session: Session, company_id: int) -> set[int]:
    """Companies marked "not a duplicate" of this one."""
    p = DuplicatePair
    rows = session.execute(select(p.company_a_id, p.company_b_id).where(
        p.status == "dismissed",
        or_(p.company_a_id == company_id, p.company_b_id == company_id)))
    return {a if b == company_id else b for a, b in rows}


def match_company(session: Session, company_id: int, name: str, trade_names: str,
                  kvk: str | None, municipality_id: int | None) -> list[Match]:
    """Possible duplicates of the company described, best first (dismissed pairs left out)."""
    variants = name_variants(name, trade_names)
    seen = {row[0]: row for row in candidates(session, company_id, variants, municipality_id)}
    if not seen:
        return []
    dismissed = dismissed_ids(session, company_id)
    matches = []
    for other_id, other_name, other_trade, other_kvk, other_place in seen.values():
        if other_id in dismissed:
            continue
        needed = threshold(kvk, municipality_id, other_kvk, other_place)
        if needed is None:
            continue
        value = score(variants, name_variants(other_name, other_trade), floor=needed)
        if value >= needed:
            matches.append(Match(other_id, value))
    matches.sort(key=lambda m: (-m.score, m.company_id))
    return matches


def find_duplicates(company: Company, *, limit: int = 10) -> list[tuple[Company, int]]:
    """The possible duplicates of ``company`` as (company, score), best first."""
    from sqlalchemy.orm import joinedload, object_session
    session = object_session(company)
    matches = match_company(session, company.id, company.name, company.trade_names,
                            company.kvk, company.municipality_id)[:limit]
    if not matches:
        return []
    companies = {c.id: c for c in session.scalars(
        select(Company).options(joinedload(Company.municipality))
        .where(Company.id.in_([m.company_id for m in matches]))).unique()}
    return [(companies[m.company_id], m.score) for m in matches if m.company_id in companies]


def _ordered(a_id: int, b_id: int) -> tuple[int, int]:
    if a_id == b_id:
        raise NotADuplicatePair()
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def dismiss_pair(company: Company, other: Company, *, by: User) -> DuplicatePair:
    """Mark two companies as "not a duplicate": the pair is never proposed again."""
    from sqlalchemy.orm import object_session
    session = object_session(by)
    a_id, b_id = _ordered(company.id, other.id)
    pair = session.get(DuplicatePair, (a_id, b_id))
    if pair is None:
        pair = DuplicatePair(company_a_id=a_id, company_b_id=b_id, found_at=utcnow(),
                             score=score(name_variants(company.name, company.trade_names),
                                         name_variants(other.name, other.trade_names)))
        session.add(pair)
    pair.status = "dismissed"
    pair.dismissed_by_id = by.id
    pair.dismissed_at = utcnow()
    session.flush()
    for subject, partner in ((company, other), (other, company)):
        audit.record(by, "not-duplicate", "company", subject.id, company_id=subject.id,
                     changes={"not_duplicate_of": [None, partner.id]}, session=session)
    return pair


def scan(session: Session, *, province_ids=None, newest: int | None = None,
         batch: int = 500) -> int:
    """Look up every company (in the given provinces, or all; only the ``newest`` registered
    ones when given) and store the open pairs found; returns how many open pairs the scanned
    companies now have. Dismissed pairs stay dismissed."""
    c = _companies.c
    scope = [c.province_id.in_(list(province_ids))] if province_ids is not None else []
    if newest is not None:
        newest_ids = select(c.id).where(*scope).order_by(c.id.desc()).limit(newest).subquery()
        lowest = session.scalar(select(func.min(newest_ids.c.id)))
        scope.append(c.id >= (lowest or 0))
    last_id = 0
    found: dict[tuple[int, int], int] = {}
    scanned: list[int] = []
    while True:
        rows = session.execute(select(c.id, c.name, c.trade_names, c.kvk, c.municipality_id)
                               .where(c.id > last_id, *scope).order_by(c.id)
                               .limit(batch)).all()
        if not rows:
            break
        for company_id, name, trade_names, kvk, municipality_id in rows:
            scanned.append(company_id)
            for m in match_company(session, company_id, name, trade_names, kvk,
                                   municipality_id):
                found[_ordered(company_id, m.company_id)] = m.score
        last_id = rows[-1][0]
    p = DuplicatePair.__table__.c
    now = utcnow()
    for start in range(0, len(scanned), 500):
        chunk = scanned[start:start + 500]
        session.execute(delete(DuplicatePair.__table__).where(
            p.status == "open", or_(p.company_a_id.in_(chunk), p.company_b_id.in_(chunk))))
    dismissed = {tuple(r) for r in session.execute(
        select(p.company_a_id, p.company_b_id).where(p.status == "dismissed"))} if found else set()
    rows = [{"company_a_id": a, "company_b_id": b, "score": s, "status": "open", "found_at": now}
            for (a, b), s in sorted(found.items()) if (a, b) not in dismissed]
    for start in range(0, len(rows), 1000):
        session.execute(insert(DuplicatePair.__table__), rows[start:start + 1000])
    session.flush()
    return len(rows)


def open_pairs(scope) -> Select:
    """Open pairs, best first, with both companies, limited by ``scope`` (a condition on the
    two aliased companies, see :func:`crm.policy.duplicate_scope`)."""
    a, b = aliased(Company, name="company_a"), aliased(Company, name="company_b")
    return (select(DuplicatePair, a, b)
            .join(a, a.id == DuplicatePair.company_a_id)
            .join(b, b.id == DuplicatePair.company_b_id)
            .where(DuplicatePair.status == "open", scope(a, b))
            .order_by(DuplicatePair.score.desc(), DuplicatePair.company_a_id,
                      DuplicatePair.company_b_id))

