"""The signed-in user's notifications (newest first), and marking them read.

The navbar count comes from :func:`unread_notifications_count`, offered to every template as
``unread_notifications`` by the app-wide context processor this blueprint registers.
"""
from dataclasses import dataclass

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..journeys.notifications import KINDS, mark_read, notifications_for, unread_count
from ..models import Company, Notification, Organisation, Referral
from ..reference import parse_id
from .base import int_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PAGE_SIZE = 25


@dataclass
class Page:
    items: list
    page: int
    has_next: bool


@dataclass
class Item:
    id: int
    kind: str
    text: str
    company: str | None
    url: str | None
    created_at: object
    unread: bool


def referral_url(referral_id: int) -> str:
    """The referral's page (a plain path until the referrals blueprint exists)."""
    if "referrals.detail" in current_app.view_functions:
        return url_for("referrals.detail", id=referral_id)
    return f"{request.script_root}/referrals/{referral_id}"


def _text(kind: str, company: str | None, organisation: str | None) -> str:
    msgid = KINDS.get(kind)
    if msgid is None:
        return kind
    return _(msgid, company=company or "–", organisation=organisation or "–")


def _page(user, page: int) -> Page:
    sender, receiver = aliased(Organisation), aliased(Organisation)
    stmt = (notifications_for(user)
            .outerjoin(Referral, Referral.id == Notification.referral_id)
            .outerjoin(Company, Company.id == Notification.company_id)
            .outerjoin(sender, sender.id == Referral.from_organisation_id)
            .outerjoin(receiver, receiver.id == Referral.to_organisation_id)
            .add_columns(Company.name, Referral.from_organisation_id, sender.name,
                         receiver.name)
            .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))
    rows = db.session.execute(stmt).all()
    items = []
    for note, company, from_org_id, sender_name, receiver_name in rows[:PAGE_SIZE]:
        # The other side of the referral, seen from the recipient's organisation.
        other = receiver_name if from_org_id == user.organisation_id else sender_name
        items.append(Item(
            id=note.id, kind=note.kind, text=_text(note.kind, company, other), company=company,
            url=referral_url(note.referral_id) if note.referral_id else None,
            created_at=note.created_at, unread=note.read_at is None))
    return Page(items=items, page=page, has_next=len(rows) > PAGE_SIZE)


@bp.route("/")
def index():
    page = _page(current_user, int_arg("page", maximum=1000))
    return render_template("notifications/list.html", result=page,
                           unread=unread_notifications_count())


@bp.route("/read", methods=["POST"])
def read():
    """Mark the given notifications (``id``, repeatable) or, without ids, all of them read.
    Only the signed-in user's own notifications are touched."""
    given = request.form.getlist("id")
    ids = [i for i in map(parse_id, given[:1000]) if i is not None]
    if given and not ids:
        abort(400)
    mark_read(db.session, current_user, ids if given else None)
    db.session.commit()
    flash(_("Marked as read.") if given else _("All notifications marked as read."), "success")
    page = int_arg("page", maximum=1000)
    return redirect(url_for("notifications.index", page=page if page > 1 else None))


def unread_notifications_count() -> int | None:
    """The signed-in user's unread notifications (None when signed out or on a database error,
    so an error page still renders). Counted once per request."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = unread_count(db.session, current_user)
        except SQLAlchemyError:
            current_app.logger.warning("Could not count unread notifications", exc_info=True)
            g.unread_notifications = None
    return g.unread_notifications


@bp.app_context_processor
def _unread_notifications():
    return {"unread_notifications": unread_notifications_count()}
