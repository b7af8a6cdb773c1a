"""Saved views: a user keeps the filters of the journey list or the dashboard under a name and
opens them again later. A view is personal (:func:`crm.policy.may` allows only its owner).

The filters are kept as the page's query string without ``page`` (a saved view opens on the
first page) and without empty values, so the same filters give the same string.
"""
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Select, select
from sqlalchemy.orm import object_session

from ..models import SavedView, User
from ..models.saved_view import MAX_NAME, MAX_QUERY, SAVED_VIEW_KINDS
from ..policy import may
from . import audit
from .errors import N_, NotAllowed, ValidationFailed

#: Query arguments never kept: the page number and form machinery.
_DROPPED = {"page", "csrf_token", "format"}


def clean_query(query: str) -> str:
    """The query string without the page number and empty values, in its original order."""
    pairs = [(k, v) for k, v in parse_qsl((query or "").lstrip("?"), keep_blank_values=False)
             if k not in _DROPPED and v.strip()]
    return urlencode(pairs)


def views_of(user: User, kind: str | None = None) -> Select:
    """The user's saved views (of one kind), by name."""
    stmt = select(SavedView).where(SavedView.user_id == user.id)
    if kind is not None:
        stmt = stmt.where(SavedView.kind == kind)
    return stmt.order_by(SavedView.kind, SavedView.name, SavedView.id)


def _check_name(session, user: User, kind: str, name, *, skip_id: int | None = None):
    name = " ".join(str(name or "").split())
    errors = {}
    if not name:
        errors["name"] = [(N_("Give the view a name."), {})]
    elif len(name) > MAX_NAME:
        errors["name"] = [(N_("A name is at most %(max)d characters."), {"max": MAX_NAME})]
    else:
        clash = select(SavedView.id).where(SavedView.user_id == user.id,
                                           SavedView.kind == kind, SavedView.name == name)
        if skip_id is not None:
            clash = clash.where(SavedView.id != skip_id)
        if session.scalar(clash) is not None:
            errors["name"] = [(N_("You already have a saved view called “%(name)s”; choose "
                                  "another name."), {"name": name})]
    return name, errors


def save_view(kind: str, name: str, query: str, *, by: User) -> SavedView:
    """Save the filters ``query`` (a query string) of page ``kind`` under ``name``."""
    session = object_session(by)
    errors = {}
    if kind not in SAVED_VIEW_KINDS:
        errors["kind"] = [(N_("Unknown kind of view."), {})]
    name, name_errors = _check_name(session, by, kind, name)
    errors.update(name_errors)
    query = clean_query(query)
    if len(query) > MAX_QUERY:
        errors["query"] = [(N_("These filters are too long to save."), {})]
    if errors:
        raise ValidationFailed(errors)
    view = SavedView(user_id=by.id, kind=kind, name=name, query=query)
    session.add(view)
    session.flush()
    audit.record(by, "create", "saved_view", view.id,
                 changes={"name": [None, name], "kind": [None, kind], "query": [None, query]})
    return view


def rename_view(view: SavedView, name: str, *, by: User) -> SavedView:
    if not may(by, "edit", view):
        raise NotAllowed()
    session = object_session(view)
    name, errors = _check_name(session, by, view.kind, name, skip_id=view.id)
    if errors:
        raise ValidationFailed(errors)
    before = view.name
    view.name = name
    session.flush()
    audit.record(by, "update", "saved_view", view.id, changes={"name": [before, name]})
    return view


def delete_view(view: SavedView, *, by: User) -> SavedView:
    if not may(by, "delete", view):
        raise NotAllowed()
    session = object_session(view)
    audit.record(by, "delete", "saved_view", view.id,
                 changes={"name": [view.name, None], "kind": [view.kind, None]})
    session.delete(view)
    session.flush()
    return view
