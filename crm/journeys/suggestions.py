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

Speed: the company context takes three small queries (visible interventions with their
tags, the visible referrals to offerings, the regions of the company's municipality); the
offerings come from the in-memory catalogue (:mod:`.suggestion_catalogue`: parsed profiles
indexed by province and region, checked against a token that database triggers renew on every
change), so only the offerings whose area takes in the company are looked at; scoring is plain
Python, and only the best ``limit`` offerings are loaded as objects (one more query). See
``bench/suggestions.py`` (≤ 20 ms p50 at 5,000 offerings).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session

from ..models import Company, Intervention, Offering, Referral, Region, User
from ..models.reference import region_municipalities
from ..models.vocabulary import ARCHETYPES, OPEN_REFERRAL_STATUSES, TOPICS
from ..policy import _active, intervention_filter, referral_route_filter
from ..reference import normalise
from .clock import today
from .suggestion_catalogue import Entry, catalogue
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


def _entry_keywords(entry) -> frozenset:
    """The keyword stems of an offering's name, description, archetype and tags (found once
    per catalogue read)."""
    if entry.stems is None:
        text = " ".join([entry.name, entry.description, entry.archetype,
                         " ".join(v.replace("-", " ") for v in entry.tag_pairs)])
        entry.stems = frozenset(keywords(text))
    return entry.stems


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
    bottlenecks: dict[str, float] = {}
    topics: dict[str, float] = {}
    done_kinds: set[tuple[int, str]] = set()
    for org_id, kind, occurred_on, tags_b, tags_t in session.execute(
            select(Intervention.organisation_id, Intervention.kind, Intervention.occurred_on,
                   Intervention.bottleneck_list, Intervention.topic_list)
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


def _fit(entry: Entry, target: _Target, region_ids) -> tuple[int | None, bool] | None:
    """``(the first of the company's regions the offering names, whether it names the
    company's province)``, or None when its place or explicit target group excludes the
    company."""
    province_id = target.province_id
    in_province = province_id is not None and province_id in entry.provinces
    matching = [r for r in entry.regions if r in region_ids]
    in_region = min(matching) if matching else None
    if province_id and not (in_region is not None or in_province or entry.national):
        return None
    dims = entry.dims
    for dimension, value in (("sector", target.sbi_section), ("size", target.size_class),
                             ("phase", target.phase)):
        if value and dimension in dims and value not in dims[dimension]:
            return None
    if target.maturity and "maturity" in dims:
        levels = dims["maturity"]
        if target.maturity not in levels and "ongespecificeerd" not in levels:
            return None
    return in_region, in_province


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
    own = viewer.organisation_id
    for entry in catalogue(session).reaching(target.province_id, regions):
        oid, archetype = entry.id, entry.archetype
        if (not entry.current(on) or entry.organisation_id == own or oid in done_offerings
                or (entry.organisation_id, archetype) in done_kinds):
            continue
        place = _fit(entry, target, regions)
        if place is None:
            continue
        in_region, in_province = place
        dims = entry.dims
        score = 0.0
        reasons: list[Reason] = []
        # target group, in the order the line reads: size, place, sector, phase, maturity
        if size_class and size_class in dims.get("size", ()):
            score += W_SIZE
            reasons.append((_SIZE_REASON.get(size_class, size_class), {}))
        if in_region is not None:
            score += W_REGION
            reasons.append((N_("%(place)s"), {"place": regions[in_region]}))
        elif in_province:
            score += W_PROVINCE
            reasons.append((N_("%(place)s"), {"place": place_name or ""}))
        elif entry.national:
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
            found = sorted(asked.keys() & _entry_keywords(entry))[:MAX_KEYWORDS]
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
