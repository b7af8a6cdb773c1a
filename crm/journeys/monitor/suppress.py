"""Small-cell suppression: in views across organisations a cell that counts 1 to 4 companies
is shown as "< 5", so no single company can be recognised from the figures.

Zero stays 0 (it identifies no one). Suppression is applied in one place, :func:`suppress_row`
(and :func:`suppress` for a single number), to figures already computed; the counts that depend
on the same companies in that row (contacts, referrals, rates, means) are suppressed with it.
"""
MIN_COMPANIES = 5
SUPPRESSED = "< 5"


def is_small(companies) -> bool:
    return isinstance(companies, int) and 0 < companies < MIN_COMPANIES


def suppress(value, *, companies=None, applies: bool = True):
    """``value``, or "< 5" when ``applies`` and the number of companies behind it (``value``
    itself unless ``companies`` is given) is 1 to 4."""
    basis = value if companies is None else companies
    if applies and is_small(basis):
        return SUPPRESSED
    return value


def suppress_row(row: dict, *, applies: bool, basis: str = "companies",
                 keep: tuple[str, ...] = ("key", "name", "label", "from_key", "to_key",
                                          "from_name", "to_name", "steps")) -> dict:
    """A copy of ``row`` where every value except the ``keep`` keys becomes "< 5" when
    ``applies`` and ``row[basis]`` counts 1 to 4 companies."""
    if not applies or not is_small(row.get(basis)):
        return dict(row)
    return {k: (v if k in keep else SUPPRESSED) for k, v in row.items()}


def suppress_rows(rows: list[dict], *, applies: bool, basis: str = "companies") -> list[dict]:
    return [suppress_row(r, applies=applies, basis=basis) for r in rows]
