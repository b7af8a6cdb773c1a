"""Next-door suggestions: which active offerings fit a company, best first, and why.

:func:`suggest_next_doors` ranks the offerings other organisations run for a company and,
optionally, the entrepreneur's question. It is deterministic (equal scores are ordered by
offering id) and Flask-free; each suggestion carries its reasons as ``(msgid, params)`` pairs,
translated where they are shown with :func:`explain` ("past bij: micro, Utrecht, kunnen").

Candidates
    Offerings that are active, not expired on the day (``ends_on`` ≥ today or open-ended), take
    referrals, belong to an active organisation other than the viewer's, and reach the company:
    no provinces and no regions (national), or one of its provinces is the company's, or one of
    its regions contains the company's municipality. A company without a known place gets
    every offering, and only national ones earn the place points.

Hard exclusions
    * *Target group*: an offering that names sectors (SBI sections), sizes, phases or maturity
      levels, none of which is the company's, is left out (``size = klein`` for a micro company).
      An empty dimension means "any"; maturity ``ongespecificeerd`` means any level; a company
      value that is unknown (no SBI section, ``onbekend`` maturity, …) excludes nothing.
    * *Already done*: a referral of the company to that very offering that is open or completed
      (among the referrals whose route the viewer may see), or an intervention the viewer may see
      of the offering's organisation with the offering's archetype.

Scoring (points add up; the table is repeated in the README)

=========================  ====================================================  ===========
signal                     when                                                   points
=========================  ====================================================  ===========
place                      one of the offering's regions contains the company's    30
                           municipality
                           one of the offering's provinces is the company's        25
                           national offering (no provinces, no regions)            10
sector                     the offering names the company's SBI section            10
size                       the offering names the company's size class             10
phase                      the offering names the company's phase                   6
maturity                   the offering names the company's digital maturity        8
open bottleneck            per bottleneck the offering addresses that a visible    20 × recency
                           intervention of the last 730 days recorded
topic                      per topic of such an intervention that is one of the     5 × recency
                           offering's forms or technologies
question                   per keyword of the question found in the offering's      8 (max 3
                           name, description, archetype or tags                     keywords)
=========================  ====================================================  ===========

*Recency* is ``0.5 ** (age in days / 180)`` of the most recent visible intervention carrying the
bottleneck or topic (1 today, ½ after half a year, ¼ after a year). Keywords are compared
lower-cased and accent-free, on a crude stem (a plural ``-s``/``-en`` dropped, cut to 6
letters), ignoring common Dutch and English stop words. Scores are rounded to 2 decimals before
ordering; ties go to the lower offering id.

Speed: the company context takes three small queries (visible interventions with their tags,
the visible referrals to offerings, the regions of the company's municipality) and the
candidates one, whose ``WHERE`` applies the place and
target-group rules and whose select list aggregates each candidate's tags into one string;
scoring is plain Python over those rows, and only the best ``limit`` offerings are loaded as
objects (one more query). See ``bench/suggestions.py`` (≤ 20 ms p50 at 5,000 offerings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, literal, or_, select
from sqlalchemy.orm import Session, joinedload, object_session

from ..models import Company, Intervention, Offering, Organisation, Referral, Region, User
from ..models.intervention import intervention_bottlenecks, intervention_topics
from ..models.offering import OfferingTag
from ..models.reference import region_municipalities
from ..models.vocabulary import ARCHETYPES, OPEN_REFERRAL_STATUSES, TOPICS
from ..policy import _active, intervention_filter, referral_route_filter
from ..reference import normalise
from .clock import today
from .errors import N_

# --- weights (keep in step with the module docstring and the README) --------------------------
W_REGION = 30.0
W_PROVINCE = 25.0
W_NATIONAL = 10.0
W_SECTOR = 10.0
W_SIZE = 10.0
W_PHASE = 6.0
W_MATURITY = 8.0
W_BOTTLENECK = 20.0
W_TOPIC = 5.0
W_KEYWORD = 8.0
MAX_KEYWORDS = 3
#: A bottleneck (or topic) counts as open when a visible intervention recorded it this recently.
OPEN_WITHIN_DAYS = 730
#: Its weight halves every so many days.
HALF_LIFE_DAYS = 180.0

#: The line a suggestion is explained in; ``%(reasons)s`` is the comma-separated reasons.
FITS = N_("fits: %(reasons)s")

_SIZE_REASON = {"zzp": N_("zzp"), "micro": N_("micro"), "klein": N_("small"),
                "middelgroot": N_("medium-sized")}
_PHASE_REASON = {"starter": N_("starter"), "scale-up": N_("scale-up"),
                 "overig": N_("established company")}
_MATURITY_REASON = {"laag": N_("low maturity"), "middel": N_("medium maturity"),
                    "hoog": N_("high maturity")}
#: Short bottleneck names for the one-line reason (weten, willen, kunnen, vraagarticulatie).
_BOTTLENECK_REASON = {"weten": N_("knowing"), "willen": N_("wanting"),
                      "kunnen": N_("being able"),
                      "vraagarticulatie": N_("articulating the question")}
_TOPIC_LABEL = dict(TOPICS)
_ARCHETYPE_LABEL = {a[0]: a[1] for a in ARCHETYPES}

_STOP_WORDS = frozenset("""
de het een en of van voor met bij naar in op aan om te tot uit als dat die dit deze wat wie
hoe er is zijn wordt worden kan kunnen wil willen ons onze wij we ze zij hij mijn uw je jij
niet geen ook nog meer maar dan door over the a an and or of for with to in on at by is are be
we our my it this that how what can want need help hulp vraag vragen graag bedrijf
""".split())
_WORD = re.compile(r"[a-z0-9]+")


Reason = tuple[str, dict]


@dataclass(slots=True)
class Suggestion:
    offering: Offering
    score: float
    #: Why it fits, as (msgid, params) pairs; translate with :func:`explain`.
    reasons: list[Reason] = field(default_factory=list)
    #: The reasons in one line, untranslated (English); for logs and tests.
    reason_text: str = ""


def explain(reasons: list[Reason], gettext=None) -> str:
    """The reasons in one line, translated with ``gettext`` (``flask_babel.gettext`` in views):
    "fits: micro, Utrecht, being able" — "past bij: micro, Utrecht, kunnen"."""
    if gettext is None:
        def gettext(msgid, **params):
            return msgid % params if params else msgid
    parts = [gettext(msgid, **params) for msgid, params in reasons]
    return gettext(FITS, reasons=", ".join(parts))


def keywords(text: str | None) -> dict[str, str]:
    """The meaningful words of ``text`` (accent-free, lower-case), keyed by their stem."""
    if not text:
        return {}
    found: dict[str, str] = {}
    for word in _WORD.findall(normalise(text)):
        if word in _STOP_WORDS or len(word) < 2 or word.isdigit():
            continue
        found.setdefault(_stem(word), word)
    return found


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("en"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    return word[:6]


#: Offering id → (hash of its text, its keyword stems): descriptions are tokenised once.
_TOKEN_CACHE: dict[int, tuple[int, frozenset]] = {}
_TOKEN_CACHE_MAX = 50_000


def _offering_keywords(offering_id: int, text: str) -> frozenset:
    key = hash(text)
    hit = _TOKEN_CACHE.get(offering_id)
    if hit is not None and hit[0] == key:
        return hit[1]
    stems = frozenset(keywords(text))  # the stems (the keys)
    if len(_TOKEN_CACHE) >= _TOKEN_CACHE_MAX:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[offering_id] = (key, stems)
    return stems


def _joined(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.string_agg(column, ",")
    return func.group_concat(column, ",")


def _recency(age_days: int) -> float:
    return 0.5 ** (max(age_days, 0) / HALF_LIFE_DAYS)


@dataclass(slots=True)
class _Context:
    bottlenecks: dict[str, float]
    topics: dict[str, float]
    done_offerings: set[int]
    done_kinds: set[tuple[int, str]]


def _company_context(session: Session, company: Company, viewer: User, on: date) -> _Context:
    """What the viewer may see of the company's journey that matters for the ranking."""
    bottlenecks_col = (select(_joined(session, intervention_bottlenecks.c.bottleneck))
                       .where(intervention_bottlenecks.c.intervention_id == Intervention.id)
                       .scalar_subquery())
    topics_col = (select(_joined(session, intervention_topics.c.topic))
                  .where(intervention_topics.c.intervention_id == Intervention.id)
                  .scalar_subquery())
    bottlenecks: dict[str, float] = {}
    topics: dict[str, float] = {}
    done_kinds: set[tuple[int, str]] = set()
    for org_id, kind, occurred_on, tags_b, tags_t in session.execute(
            select(Intervention.organisation_id, Intervention.kind, Intervention.occurred_on,
                   bottlenecks_col, topics_col)
            .where(Intervention.company_id == company.id, intervention_filter(viewer))):
        done_kinds.add((org_id, kind))
        age = (on - occurred_on).days
        if age > OPEN_WITHIN_DAYS:
            continue
        weight = _recency(age)
        for slug in (tags_b.split(",") if tags_b else ()):
            if weight > bottlenecks.get(slug, 0.0):
                bottlenecks[slug] = weight
        for slug in (tags_t.split(",") if tags_t else ()):
            if weight > topics.get(slug, 0.0):
                topics[slug] = weight
    done_offerings = set(session.scalars(
        select(Referral.offering_id).where(
            Referral.company_id == company.id, Referral.offering_id.is_not(None),
            Referral.status.in_(OPEN_REFERRAL_STATUSES + ("completed",)),
            referral_route_filter(viewer))))
    return _Context(bottlenecks, topics, done_offerings, done_kinds)


def _has_dimension(dimension: str):
    return exists().where(OfferingTag.offering_id == Offering.id,
                          OfferingTag.dimension == dimension)


def candidates_statement(session: Session, company: Company, viewer: User, on: date,
                         with_text: bool, region_ids=()):
    """One row per offering that may be suggested, with its profile (``dimension:value``
    tokens, provinces and regions); place and target group are applied in Python
    (:func:`_fit`), so the query is a plain scan without a subquery per offering."""
    columns = [Offering.id, Offering.organisation_id, Offering.archetype, Offering.profile]
    if with_text:
        columns += [Offering.name, Offering.description]
    conditions = [
        Offering.active.is_(True), Offering.takes_referrals.is_(True),
        or_(Offering.ends_on.is_(None), Offering.ends_on >= on),
        Organisation.active.is_(True),
    ]
    if viewer.organisation_id is not None:
        conditions.append(Offering.organisation_id != viewer.organisation_id)
    # Cheap string tests on the profile narrow the rows before Python looks at them.
    padded = literal(" ") + Offering.profile + literal(" ")

    def has(token: str):
        return padded.like(f"% {token} %")

    def names(dimension: str):
        return padded.like(f"% {dimension}:%")

    for dimension, value in (("sector", company.sbi_section), ("size", company.size_class),
                             ("phase", company.phase)):
        if value:
            conditions.append(or_(~names(dimension), has(f"{dimension}:{value}")))
    if company.digital_maturity in ("laag", "middel", "hoog"):
        conditions.append(or_(~names("maturity"), has(f"maturity:{company.digital_maturity}"),
                              has("maturity:ongespecificeerd")))
    if company.province_id:
        conditions.append(or_(has(f"province:{company.province_id}"),
                              ~names("province") & ~names("region"),
                              *[has(f"region:{r}") for r in region_ids]))
    return (select(*columns).join(Organisation, Organisation.id == Offering.organisation_id)
            .where(*conditions))


@dataclass(slots=True)
class _Candidate:
    id: int
    organisation_id: int
    archetype: str
    dims: dict
    tag_pairs: list
    in_region: int | None
    in_province: bool
    national: bool
    name: str | None = None
    description: str | None = None


@dataclass(slots=True, frozen=True)
class _Target:
    """The company's values the candidates are fitted against, read from the ORM object once
    (an instrumented attribute read costs more than the comparison it feeds)."""
    province_id: int | None
    sbi_section: str | None
    size_class: str | None
    phase: str | None
    maturity: str | None

    @classmethod
    def of(cls, company: Company) -> "_Target":
        maturity = company.digital_maturity
        return cls(company.province_id, company.sbi_section, company.size_class, company.phase,
                   maturity if maturity in ("laag", "middel", "hoog") else None)


def _fit(oid: int, organisation_id: int, archetype: str, profile: str | None, target: _Target,
         region_ids, name: str | None = None, description: str | None = None
         ) -> _Candidate | None:
    """The candidate, or None when its place or explicit target group excludes the company."""
    dims: dict[str, list[str]] = {}
    tag_pairs, provinces, regions = [], [], []
    for token in (profile or "").split():
        d, _, v = token.partition(":")
        if d == "province":
            provinces.append(int(v))
        elif d == "region":
            regions.append(int(v))
        else:
            dims.setdefault(d, []).append(v)
            tag_pairs.append(token)
    national = not provinces and not regions
    province_id = target.province_id
    in_province = province_id is not None and province_id in provinces
    matching = [r for r in regions if r in region_ids]
    in_region = min(matching) if matching else None
    if province_id and not (in_region is not None or in_province or national):
        return None
    for dimension, value in (("sector", target.sbi_section), ("size", target.size_class),
                             ("phase", target.phase)):
        if value and dimension in dims and value not in dims[dimension]:
            return None
    if target.maturity and "maturity" in dims:
        levels = dims["maturity"]
        if target.maturity not in levels and "ongespecificeerd" not in levels:
            return None
    return _Candidate(oid, organisation_id, archetype, dims, tag_pairs, in_region,
                      in_province, national, name, description)


def suggest_next_doors(company: Company, *, viewer: User, question: str | None = None,
                       limit: int = 10, on: date | None = None,
                       session: Session | None = None) -> list[Suggestion]:
    """The best ``limit`` next doors for ``company`` as ``viewer`` sees it, best first."""
    session = session or object_session(company)
    if not _active(viewer) or limit <= 0:
        return []
    on = on or today()
    context = _company_context(session, company, viewer, on)
    asked = keywords(question)
    with_text = bool(asked)
    place_name = None
    if company.province_id:
        place_name = company.province.name if company.province else None

    scored: list[tuple[float, int, list[Reason]]] = []
    bottlenecks = context.bottlenecks
    topics = context.topics
    regions = dict(session.execute(
        select(Region.id, Region.name)
        .join(region_municipalities, region_municipalities.c.region_id == Region.id)
        .where(region_municipalities.c.municipality_id == company.municipality_id)).all()
    ) if company.municipality_id else {}
    target = _Target.of(company)
    size_class, sbi_section, phase = target.size_class, target.sbi_section, target.phase
    maturity = company.digital_maturity
    done_offerings, done_kinds = context.done_offerings, context.done_kinds
    for oid, organisation_id, archetype, profile, *text in session.connection().execute(
            candidates_statement(session, company, viewer, on, with_text,
                                 tuple(sorted(regions)))).all():
        if oid in done_offerings or (organisation_id, archetype) in done_kinds:
            continue
        row = _fit(oid, organisation_id, archetype, profile, target, regions, *text)
        if row is None:
            continue
        oid, archetype, tag_pairs, dims = row.id, row.archetype, row.tag_pairs, row.dims
        score = 0.0
        reasons: list[Reason] = []
        # target group, in the order the line reads: size, place, sector, phase, maturity
        if size_class and size_class in dims.get("size", ()):
            score += W_SIZE
            reasons.append((_SIZE_REASON.get(size_class, size_class), {}))
        if row.in_region is not None:
            score += W_REGION
            reasons.append((N_("%(place)s"), {"place": regions[row.in_region]}))
        elif row.in_province:
            score += W_PROVINCE
            reasons.append((N_("%(place)s"), {"place": place_name or ""}))
        elif row.national:
            score += W_NATIONAL
            reasons.append((N_("national"), {}))
        if sbi_section and sbi_section in dims.get("sector", ()):
            score += W_SECTOR
            reasons.append((N_("sector %(letter)s"), {"letter": sbi_section}))
        if phase and phase in dims.get("phase", ()):
            score += W_PHASE
            reasons.append((_PHASE_REASON.get(phase, phase), {}))
        if maturity in dims.get("maturity", ()):
            score += W_MATURITY
            reasons.append((_MATURITY_REASON[maturity], {}))
        # the company's open bottlenecks and topics
        if bottlenecks:
            for slug in dims.get("bottleneck", ()):
                weight = bottlenecks.get(slug)
                if weight:
                    score += W_BOTTLENECK * weight
                    reasons.append((_BOTTLENECK_REASON[slug], {}))
        if topics:
            for dim in ("form", "technology"):
                for slug in dims.get(dim, ()):
                    weight = topics.get(slug)
                    if weight:
                        score += W_TOPIC * weight
                        reasons.append((_TOPIC_LABEL[slug], {}))
        # the question
        if asked:
            text = " ".join([row.name or "", row.description or "", archetype,
                             " ".join(v.replace("-", " ") for v in tag_pairs)])
            found = sorted(asked.keys() & _offering_keywords(oid, text))[:MAX_KEYWORDS]
            if found:
                score += W_KEYWORD * len(found)
                reasons.append((N_("question: %(words)s"),
                                {"words": ", ".join(asked[stem] for stem in found)}))
        scored.append((round(score, 2), oid, reasons))

    scored.sort(key=lambda s: (-s[0], s[1]))
    best = scored[:limit]
    if not best:
        return []
    offerings = {o.id: o for o in session.scalars(
        select(Offering).where(Offering.id.in_([oid for _, oid, _ in best]))
        .options(joinedload(Offering.organisation)))}
    result = []
    for score, oid, reasons in best:
        if not reasons:
            reasons = [(N_("open to every company"), {})]
        result.append(Suggestion(offerings[oid], score, reasons, explain(reasons)))
    return result


def archetype_label(slug: str) -> str:
    """The archetype's label msgid (translate where shown)."""
    return _ARCHETYPE_LABEL.get(slug, slug)
