"""Company names as sets of distinctive words, and how alike two such names are.

"Bakkerij Jansen B.V." and "Jansen Bakkerij VOF" are both ``{bakkerij, jansen}``: lower-cased
and accent-free (:func:`crm.reference.normalise`), punctuation removed, legal forms and common
words left out. Two names score the better of the ratio of their sorted words and 0.9 × the
word-set ratio (shared words against each side), with difflib.
"""
import re
from difflib import SequenceMatcher

from ...reference import normalise

#: Name variants compared per company (the name and the first trade names).
VARIANTS = 4

LEGAL_FORMS = {"bv", "nv", "vof", "cv", "holding", "eenmanszaak", "ez", "bvba", "gmbh", "ltd",
               "stichting", "vereniging", "cooperatie", "ua", "ba", "wa", "maatschap",
               "beheer", "groep", "group", "inc"}
COMMON_WORDS = {"de", "het", "een", "en", "van", "der", "den", "des", "the", "and", "of", "in",
                "op", "te", "ten", "ter", "t", "s", "voor", "aan", "bij", "uit", "en"}
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def name_tokens(name: str) -> tuple[str, ...]:
    """The distinctive words of a company name, in order (see the module documentation)."""
    key = normalise(name or "").replace("&", " en ")
    key = re.sub(r"[.'’`]", "", key)  # b.v. → bv, 't → t
    words = _NOT_WORD.sub(" ", key).split()
    merged: list[str] = []
    run = ""
    for word in words:  # "b v" → "bv", "v o f" → "vof"
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            merged.append(run)
            run = ""
        merged.append(word)
    if run:
        merged.append(run)
    kept = tuple(w for w in merged if w not in LEGAL_FORMS and w not in COMMON_WORDS)
    return kept or tuple(w for w in merged if w not in COMMON_WORDS) or tuple(merged)


def name_variants(name: str, trade_names: str = "") -> list[tuple[str, ...]]:
    """Token tuples of the name and the first trade names, without repeats or empties."""
    variants = [name_tokens(name)]
    for trade_name in (trade_names or "").splitlines()[:VARIANTS - 1]:
        if trade_name.strip():
            variants.append(name_tokens(trade_name))
    return [v for v in dict.fromkeys(variants) if v]


def _ratio(x: str, y: str, floor: float) -> float:
    """difflib's ratio, or 0.0 when its cheap upper bounds are below ``floor`` already."""
    matcher = SequenceMatcher(None, x, y)
    if floor and (matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor):
        return 0.0
    return matcher.ratio()


def similarity(a: tuple[str, ...], b: tuple[str, ...], floor: float = 0.0) -> float:
    """0.0 to 1.0: max(sorted-token ratio, 0.9 × token-set ratio) of two token tuples; 0 when
    both contain numbers and the numbers differ. Values below ``floor`` may come out as 0."""
    if not a or not b:
        return 0.0
    numbers_a = {t for t in a if t.isdigit()}
    numbers_b = {t for t in b if t.isdigit()}
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return 0.0  # "Garage 2000" and "Garage 3000", "Fietsenmaker 1" and "Fietsenmaker 2"
    sorted_a, sorted_b = " ".join(sorted(a)), " ".join(sorted(b))
    if sorted_a == sorted_b:
        return 1.0
    best = _ratio(sorted_a, sorted_b, floor)
    set_a, set_b = set(a), set(b)
    shared = " ".join(sorted(set_a & set_b))
    if shared:
        with_a = f"{shared} {' '.join(sorted(set_a - set_b))}".strip()
        with_b = f"{shared} {' '.join(sorted(set_b - set_a))}".strip()
        set_floor = max(floor, best) / 0.9
        token_set = max(_ratio(shared, with_a, set_floor), _ratio(shared, with_b, set_floor),
                        _ratio(with_a, with_b, set_floor))
        best = max(best, 0.9 * token_set)
    return best


def score(variants_a, variants_b, floor: int = 0) -> int:
    """The best similarity over both companies' name variants, 0 to 100 (below ``floor``: may
    come out lower than it is)."""
    best = 0.0
    for a in variants_a:
        for b in variants_b:
            best = max(best, similarity(a, b, max(best, (floor - 0.5) / 100)))
            if best == 1.0:
                return 100
    return int(round(best * 100))
