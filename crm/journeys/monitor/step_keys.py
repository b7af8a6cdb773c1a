"""Step keys: the order in which a company met the archetypes, as integers per company row, and
the path (the first :data:`PATH_STEPS` archetypes) they give.

Per company, each archetype met has a step key: its first day's number × 100 + its
alphabetical rank, so the keys sort by day, then archetype; the first step is the smallest key,
each next one the smallest key above the one before. Integers per company row: no unpivot, no
sort, no text until the few hundred paths are counted (:mod:`.reach` groups the companies by
the :func:`path_key`).
"""
from datetime import date

from sqlalchemy import Date, Integer, String, and_, case, cast, func, literal, null, select, \
    type_coerce

from ...models.vocabulary import ARCHETYPE_SLUGS, KIND_CODES

#: Steps of a path.
PATH_STEPS = 3

#: Archetypes in the order a same-day tie is broken (alphabetical), and their rank: their
#: ``kind_code`` (0–11, alphabetical too).
RANK = {a: KIND_CODES[a] for a in ARCHETYPE_SLUGS}
#: Rank → archetype.
BY_RANK = {r: a for a, r in RANK.items()}
#: A missing step: larger than every step key (and no rank of :data:`RANK` modulo 100).
NO_STEP = 2_147_483_647


def least(session, values):
    """The smallest of ``values``: ``min(a, b, …)`` on SQLite (NULL when any is, so give it
    none), ``least`` elsewhere (which skips NULLs)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.min(*values)
    return func.least(*values)


#: Day numbers on PostgreSQL count from here (date minus date is a number of days there). Well
#: before any period the monitor accepts, so a step key is never negative (``% 100`` is its
#: rank), and a key in 2100 is about 7.3 million: far below :data:`NO_STEP`.
EPOCH = date(1900, 1, 1)


def day_number(session, day):
    """A day as an integer that sorts like the day: days since :data:`EPOCH` on PostgreSQL
    (integer arithmetic), YYYYMMDD from the ISO text on SQLite (which keeps dates as text)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.replace(cast(day, String), "-", ""), Integer)
    return type_coerce(day - literal(EPOCH, Date), Integer)


def or_no_step(session, key):
    """A step key, or :data:`NO_STEP` on SQLite for none (its ``min(a, b, …)`` is NULL when
    any argument is; PostgreSQL's ``least`` skips NULLs, so there it stays NULL)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.coalesce(key, literal(NO_STEP))
    return key


def above(session, key, floor):
    """``key`` if it is larger than ``floor``, else no step (NULL on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return case((key > floor, key), else_=literal(NO_STEP))
    return case((key > floor, key))


def fence(stmt):
    """``stmt`` as a subquery the database computes once per row and does not fold into the
    next level (which would repeat its expressions there): ``OFFSET 0``, a fence for both."""
    return stmt.offset(0).subquery()


def greatest(session, keys):
    """The largest step key of ``keys`` that stands for a step, or none: ``greatest`` on
    PostgreSQL (which skips NULLs); on SQLite each key modulo :data:`NO_STEP` (a missing
    step's key is :data:`NO_STEP`, so it counts as 0), 0 when there is none."""
    if session.get_bind().dialect.name == "sqlite":
        return func.max(*(k % literal(NO_STEP) for k in keys))
    return func.greatest(*keys)


def path_key(session, pc, carry: tuple[str, ...] = ()):
    """``(rows, key, has_path)``: a row per company of ``pc`` (per-company rows with the step
    keys ``x0``…``x11``, on PostgreSQL also the first step ``s0`` and the largest key
    ``last``) with the columns ``carry`` of ``pc``; ``key``, the text of its path's ranks as
    digits, ``rank0 * 10000 + rank1 * 100 + rank2`` (a missing step: a rank of 47 or more),
    which :func:`path_steps` turns into archetypes; ``has_path``, whether it met an
    archetype at all.

    The largest key is taken with the first: a company whose step so far is its last (half
    the companies have at most one archetype, four in five at most two) skips the twelve
    comparisons of the next step."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    no_step = literal(NO_STEP) if sqlite else null()
    # The first step (and the last key) come with the per-company row on PostgreSQL, a level
    # further on SQLite; each next step is computed a level further, fenced where the next
    # level refers to it twelve times; on PostgreSQL the last step is only part of the path
    # key, computed where the rows are grouped.
    level = pc
    if "s0" not in pc.c:
        x = [pc.c[f"x{i}"] for i in range(len(ARCHETYPE_SLUGS))]
        level = fence(select(*x, *(pc.c[name] for name in carry),
                             least(session, x).label("s0"),
                             greatest(session, x).label("last")).select_from(pc))
    steps = [level.c.s0]
    for n in range(1, PATH_STEPS):
        x = [level.c[f"x{i}"] for i in range(len(ARCHETYPE_SLUGS))]
        before = steps[-1]
        step = or_no_step(session, least(session, [above(session, k, before) for k in x]))
        step = case((level.c.last > before, step), else_=no_step)
        if n == PATH_STEPS - 1 and not sqlite:
            steps.append(step)  # (SQLite evaluates a grouping key per row twice: fenced)
            break
        level = fence(select(*x, *(level.c[name] for name in carry),
                             *(s.label(f"s{m}") for m, s in enumerate(steps)),
                             level.c.last, step.label(f"s{n}")))
        steps = [level.c[f"s{m}"] for m in range(n + 1)]
    ranks = [func.coalesce(step, literal(NO_STEP)) % 100 for step in steps]
    key = ranks[0]
    for rank in ranks[1:]:
        key = key * 100 + rank
    return level, cast(key, String), and_(steps[0].is_not(None), steps[0] != NO_STEP)


def path_steps(key: str) -> list[str]:
    """The archetypes of a path key of :func:`path_key`."""
    number, steps = int(key), []
    for _ in range(PATH_STEPS):
        number, rank = divmod(number, 100)
        steps.append(BY_RANK.get(rank))
    return [s for s in reversed(steps) if s]
