"""The base view every record page uses: load the object, ask the policy, then act."""
from flask import abort, request
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user

from ..extensions import db
from ..journeys.errors import DomainError, ValidationFailed
from ..policy import CREATE, EDIT, VIEW, may
from ..reference import MAX_ID


class RecordView(MethodView):
    """Subclasses set ``model`` and ``action`` (per method via ``actions``)."""

    model: type = None
    #: The policy action each HTTP method needs.
    actions = {"GET": VIEW, "HEAD": VIEW, "POST": EDIT}
    #: URL argument holding the primary key.
    pk_arg = "id"
    #: The policy action that decides whether the record exists for the user at all.
    view_action = VIEW
    #: Loader options (``joinedload(...)``) for what the page shows of the record.
    load_options: tuple = ()

    def load(self, **kwargs):
        pk = kwargs.pop(self.pk_arg)
        if not 0 < pk <= MAX_ID:  # beyond any key: would overflow the database's integer
            abort(404)
        obj = db.session.get(self.model, pk, options=self.load_options)
        if obj is None:
            abort(404)
        return obj, kwargs

    def dispatch_request(self, **kwargs):
        obj, rest = self.load(**kwargs)
        if not may(current_user, self.view_action, obj):
            abort(404)  # what a user may not see does not exist for them
        action = self.actions.get(request.method, EDIT)
        if action not in (VIEW, self.view_action) and not may(current_user, action, obj):
            abort(403)
        handler = getattr(self, request.method.lower(), None)
        if handler is None and request.method == "HEAD":
            handler = self.get
        if handler is None:
            abort(405)
        return handler(obj, **rest)


def require(action: str, obj) -> None:
    """For views without a loaded record (creating one): 403 unless the policy allows it."""
    if not may(current_user, action if action else CREATE, obj):
        abort(403)


def message(error: DomainError) -> str:
    """The error's message in the user's language, its parameters made readable."""
    from datetime import date

    from .labels import label, short_date
    params = {}
    for key, value in error.params.items():
        if key in ("status", "action"):
            value = label(key, value)
        elif isinstance(value, date):
            value = short_date(value)
        params[key] = value
    return gettext(error.message, **params)


def apply_errors(form, error: ValidationFailed) -> list[str]:
    """Put an operation's field errors next to the form's fields; returns the rest."""
    rest = []
    for field, messages in error.errors.items():
        texts = [gettext(msg, **params) for msg, params in messages]
        if field in form:
            form[field].errors = list(form[field].errors) + texts
        else:
            rest.extend(texts)
    return rest


def int_arg(name: str, default: int = 1, minimum: int = 1, maximum: int = 10_000) -> int:
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return min(max(value, minimum), maximum)


def submit(form, operation, *, message: str, next_url, template: str, **context):
    """The common POST of a record form: validate, run the operation, commit once, flash and
    redirect; or re-render the form with the messages next to the fields (422)."""
    from flask import flash, redirect, render_template
    if form.validate():
        try:
            result = operation()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(next_url(result) if callable(next_url) else next_url)
    return render_template(template, form=form, **context), 422
