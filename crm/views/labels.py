"""Labels of the fixed vocabularies and short dates in the user's language, computed once per
request (a long timeline asks for them hundreds of times)."""
from datetime import datetime

from babel.dates import get_month_names
from flask import request
from flask_babel import get_locale, gettext

from ..journeys.clock import AMSTERDAM
from ..models import vocabulary as v

_VOCABULARIES = {
    "kind": v.INTERVENTION_KINDS,
    "archetype": v.ARCHETYPES,
    "bottleneck": v.BOTTLENECKS,
    "topic": v.TOPICS,
    "status": v.REFERRAL_STATUSES,
    "action": v.REFERRAL_ACTIONS,
    "reason": v.REFERRAL_REASONS,
    "task": v.TASK_KINDS,
    "target_maturity": v.TARGET_MATURITIES,
    "form": v.DIGITALISATION_FORMS,
    "technology": v.TECHNOLOGY_TAGS,
    "provider_role": v.PROVIDER_ROLES,
    "market_failure": v.MARKET_FAILURES,
    "cost": v.COST_KINDS,
}


def _cache() -> dict:
    cache = getattr(request, "_vd_labels", None)
    if cache is None:
        cache = request._vd_labels = {}
    return cache


def label(vocabulary: str, slug: str | None) -> str:
    if not slug:
        return ""
    cache = _cache()
    key = (vocabulary, slug)
    text = cache.get(key)
    if text is None:
        text = cache[key] = gettext(v.label(_VOCABULARIES[vocabulary], slug))
    return text


def timeline_texts() -> dict:
    """The fixed texts of a timeline entry, translated once per page (format strings kept)."""
    _ = gettext
    return {"by": _("by %(name)s"), "referred": _("referred to %(org)s"),
            "route": _("referral %(from)s → %(to)s"), "open": _("Open referral"),
            "withdrawn": _("consent withdrawn"),
            "given": _("consent to share the journey recorded"), "question": _("Question:"),
            "note": _("Note:"), "internal": _("Internal note:"), "edit": _("Edit"),
            "follow": _("Plan a follow-up"),
            # vocabulary labels as plain lookups: cheaper in a loop than a call per entry
            **{name: _labels(name) for name in ("kind", "status", "reason", "bottleneck",
                                                "topic")}}


def _labels(vocabulary: str) -> dict:
    return {entry[0]: label(vocabulary, entry[0]) for entry in _VOCABULARIES[vocabulary]}


def status_label(slug: str) -> str:
    return label("status", slug)


def _months() -> dict:
    cache = _cache()
    months = cache.get("months")
    if months is None:
        months = cache["months"] = get_month_names("abbreviated", locale=get_locale())
    return months


def short_date(value) -> str:
    """``3 mrt 2026`` (or ``3 Mar 2026``): a date, or a moment's date in Amsterdam."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(AMSTERDAM)
    return f"{value.day} {_months()[value.month].rstrip('.')} {value.year}"


def short_moment(value) -> str:
    """``3 mrt 2026 14:05`` in Amsterdam time."""
    if value is None:
        return "–"
    if not isinstance(value, datetime):
        return short_date(value)
    local = value.astimezone(AMSTERDAM)
    return f"{short_date(local)} {local:%H:%M}"


def init_app(app) -> None:
    from ..journeys.clock import today

    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["timeline_texts"] = timeline_texts
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["short_moment"] = short_moment

    @app.context_processor
    def dates():
        return {"today": today()}


