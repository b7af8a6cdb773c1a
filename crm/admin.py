"""The admin area (``/admin``): organisations, users and reference data, for administrators only.

Built on Flask-Admin 2 (Bootstrap 4 theme, static files served locally). Every view, the index
included, asks :func:`crm.policy.may` (``may(user, "admin", "admin")``): anonymous visitors
are sent to the sign-in page, any other signed-in user gets 403. Forms are Flask-WTF forms, so
the site-wide CSRF protection covers them. Nothing is ever deleted here: organisations and
users are deactivated instead, and reference data is referenced by companies.
"""
import re
from urllib.parse import urlencode

from flask import abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.form import _Auto
from sqlalchemy import Integer, func, select
from werkzeug.routing import BuildError
from werkzeug.security import generate_password_hash
from wtforms import PasswordField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from .extensions import db
from .forms import FlaskForm
from .models import (LOCALES, Company, Municipality, Organisation, OrganisationKind, Province,
                     Region, Role, SbiSection, User)
from .policy import may
from .reference import normalise, parse_id

#: Dutch labels of the organisation kinds (domain vocabulary; the same in every language).
KIND_LABELS = {
    OrganisationKind.edih.value: "EDIH (European Digital Innovation Hub)",
    OrganisationKind.werkplaats.value: "Digitale mkb-werkplaats",
    OrganisationKind.programma.value: "Programma of initiatief",
    OrganisationKind.kvk.value: "KVK",
    OrganisationKind.rom.value: "Regionale ontwikkelingsmaatschappij (ROM)",
    OrganisationKind.gemeente.value: "Gemeente",
    OrganisationKind.provincie.value: "Provincie",
    OrganisationKind.kennisinstelling.value: "Kennisinstelling",
    OrganisationKind.bank.value: "Bank of financier",
    OrganisationKind.branche.value: "Brancheorganisatie",
    OrganisationKind.commercieel.value: "Commerciële dienstverlener",
    OrganisationKind.overig.value: "Overig",
}

ROLE_LABELS = {
    Role.account_manager.value: _l("Account manager"),
    Role.staff.value: _l("Staff member"),
    Role.coordinator.value: _l("Regional coordinator"),
    Role.admin.value: _l("Administrator"),
}

LOCALE_LABELS = {"nl": "Nederlands", "en": "English"}

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
WEBSITE_PATTERN = r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$"
MIN_PASSWORD_LENGTH = 10


def may_administer() -> bool:
    return may(current_user, "admin", "admin")


def _refuse():
    """Anonymous: to the sign-in page (and back here afterwards). Signed in: 403."""
    if not getattr(current_user, "is_authenticated", False):
        target = request.full_path.rstrip("?")
        try:
            return redirect(url_for("auth.login", next=target))
        except BuildError:  # the sign-in view is not registered (yet)
            return redirect(request.script_root + "/login?" + urlencode({"next": target}))
    abort(403)


class _Guarded:
    def is_accessible(self):
        return may_administer()

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()


class IndexView(_Guarded, AdminIndexView):
    @expose("/")
    def index(self):
        counts = [
            (_l("Organisations"), "admin_organisations.index_view", Organisation),
            (_l("Users"), "admin_users.index_view", User),
            (_l("Companies"), None, Company),
            (_l("Municipalities"), "admin_municipalities.index_view", Municipality),
            (_l("Regions"), "admin_regions.index_view", Region),
        ]
        rows = [(label, endpoint,
                 db.session.scalar(select(func.count()).select_from(model)))
                for label, endpoint, model in counts]
        return self.render(self._template, rows=rows)


class AdminForm(FlaskForm):
    """A Flask-WTF form (CSRF token checked by the site-wide CSRFProtect; a NUL byte refused
    like in every form of the app) that, like Flask-Admin's own BaseForm, remembers the record
    it edits: Flask-Admin's ``Unique`` validator needs ``form._obj`` to let a record keep its
    own unique values."""

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)


class SecureModelView(_Guarded, ModelView):
    """A model view that only administrators reach, with CSRF-protected Flask-WTF forms."""

    form_base_class = AdminForm
    can_delete = False          # deactivate instead; delete confirmation needs inline JS
    can_view_details = False
    can_set_page_size = True
    page_size = 50
    create_modal = edit_modal = False   # modals use inline scripts, which the CSP forbids
    #: The largest page number a list opens; beyond it, the first page.
    max_page = 100_000

    def _get_list_extra_args(self):
        """Flask-Admin's list arguments, with a page number or page size that no list has
        (beyond SQLite's integers, OFFSET and LIMIT fail: a 500) replaced by the defaults."""
        args = super()._get_list_extra_args()
        if not 0 <= (args.page or 0) <= self.max_page:
            args.page = 0
        if args.page_size and args.page_size not in self.page_size_options:
            args.page_size = 0
        return args

    def get_one(self, id):
        """The record ``id`` (from the address) names, or ``None``, which Flask-Admin answers
        with "Record does not exist": a text that is no key of the model's kind never reaches
        the database (PostgreSQL refuses to compare an integer key to ``²``: a 500)."""
        if isinstance(self.model.__mapper__.primary_key[0].type, Integer):
            return super().get_one(id) if parse_id(str(id)) is not None else None
        return super().get_one(id) if len(str(id)) <= 30 else None

    def _on_model_change(self, form, model, is_created):
        """After the view's own checks: an audit entry with the field-level changes, in the
        same transaction as the change (Flask-Admin commits right after this)."""
        from .journeys import audit
        super()._on_model_change(form, model, is_created)
        changes = audit.pending_changes(model, created=is_created)
        if is_created:
            db.session.flush()
        key = getattr(model, "id", None)
        if not isinstance(key, int):  # reference rows keyed on a code: name it in the entry
            changes.setdefault("key", [None, str(getattr(model, "letter", key))])
        kind = {"municipalities": "municipality"}.get(model.__table__.name,
                                                      model.__table__.name.rstrip("s"))
        audit.record(current_user._get_current_object(), "create" if is_created else "update",
                     kind, key if isinstance(key, int) else 0, changes=changes,
                     session=db.session)


def _others(cls, model):
    """The ids of the other rows of ``cls`` than ``model`` (all of them for a new one)."""
    query = select(cls.id)
    return query if model.id is None else query.where(cls.id != model.id)


def _kind_label(view, context, model, name):
    return KIND_LABELS.get(model.kind, model.kind)


def _role_label(view, context, model, name):
    return ROLE_LABELS.get(model.role, model.role)


class OrganisationView(SecureModelView):
    column_list = ("name", "kind", "provinces", "regions", "active")
    column_labels = {"name": _l("Name"), "kind": _l("Kind"), "provinces": _l("Provinces"),
                     "regions": _l("Regions"), "website": _l("Website"), "active": _l("Active")}
    column_formatters = {"kind": _kind_label}
    column_searchable_list = ("name",)
    column_filters = ("kind", "active")
    column_choices = {"kind": list(KIND_LABELS.items())}
    column_default_sort = "name"
    form_columns = ("name", "kind", "provinces", "regions", "website", "active", "intake_point")
    form_choices = {"kind": list(KIND_LABELS.items())}
    form_args = {
        "name": {"label": _l("Name"), "validators": [Length(max=200)]},
        "website": {"label": _l("Website"),
                    "validators": [Optional(), Length(max=300),
                                   Regexp(WEBSITE_PATTERN, flags=re.IGNORECASE,
                                          message=_l("Enter a web address such as "
                                                     "https://www.example.nl."))]},
        "provinces": {"label": _l("Provinces"),
                      "query_factory": lambda: db.session.scalars(
                          select(Province).order_by(Province.name)).all()},
        "regions": {"label": _l("Regions"),
                    "query_factory": lambda: db.session.scalars(
                        select(Region).order_by(Region.name)).all()},
        "active": {"label": _l("Active")},
        "intake_point": {"label": _l("Intake point (front door)"),
                         "description": _l("Questions from the public form for the provinces "
                                           "it serves land in its intake queue.")},
    }

    def on_model_change(self, form, model, is_created):
        model.name = " ".join((model.name or "").split())
        if not model.name:
            raise ValidationError(_l("Enter the organisation's name."))
        with db.session.no_autoflush:
            same = db.session.scalar(_others(Organisation, model).where(
                func.lower(Organisation.name) == model.name.lower()))
        if same is not None:
            raise ValidationError(_l("An organisation with this name already exists."))
        if model.website and not model.website.lower().startswith(("http://", "https://")):
            model.website = "https://" + model.website


def _mfa_label(view, context, model, name):
    """Two-step verification: on or off, and a button to reset it (a lost phone)."""
    from flask_babel import format_datetime
    from flask_wtf.csrf import generate_csrf
    from markupsafe import Markup
    if model.mfa_enabled_at is None and not model.mfa_seed:
        return _l("off")
    state = (_l("on since %(when)s", when=format_datetime(model.mfa_enabled_at, "short"))
             if model.mfa_enabled_at else _l("being set up"))
    return Markup(
        '{state} <form method="post" action="{url}" class="d-inline">'
        '<input type="hidden" name="csrf_token" value="{token}">'
        '<button type="submit" class="btn btn-sm btn-outline-danger">{label}</button>'
        '</form>').format(state=state, url=url_for(".reset_mfa", user_id=model.id),
                          token=generate_csrf(), label=_l("Reset"))


class UserView(SecureModelView):
    column_list = ("email", "name", "organisation", "role", "provinces", "active", "locale",
                   "last_login_at", "mfa_enabled_at")
    column_exclude_list = ("password_hash",)
    column_labels = {"email": _l("E-mail address"), "name": _l("Name"),
                     "organisation": _l("Organisation"), "role": _l("Role"),
                     "provinces": _l("Provinces (coordinators)"), "active": _l("Active"),
                     "locale": _l("Language"), "last_login_at": _l("Last sign-in"),
                     "new_password": _l("New password"),
                     "mfa_enabled_at": _l("Two-step verification")}
    column_formatters = {"role": _role_label, "mfa_enabled_at": _mfa_label}
    column_choices = {"role": list(ROLE_LABELS.items()), "locale": list(LOCALE_LABELS.items())}
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    column_default_sort = "email"
    form_columns = ("email", "name", "organisation", "role", "provinces", "active", "locale",
                    "new_password")
    form_excluded_columns = ("password_hash",)
    form_choices = {"role": list(ROLE_LABELS.items()),
                    "locale": [(code, LOCALE_LABELS[code]) for code in LOCALES]}
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"),
            validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=200),
                        Regexp(r"^[^\x00-\x1f\x7f]*$",
                               message=_l("A password cannot contain control characters."))],
            description=_l("At least 10 characters. Required for a new user; leave empty to "
                           "keep the current password."),
            render_kw={"autocomplete": "new-password"}),
    }
    form_args = {
        "email": {"label": _l("E-mail address"),
                  "validators": [Length(max=254),
                                 Regexp(EMAIL_PATTERN,
                                        message=_l("Enter an e-mail address such as "
                                                   "naam@organisatie.nl."))]},
        "name": {"label": _l("Name"), "validators": [Length(max=200)]},
        "organisation": {"label": _l("Organisation"),
                         "query_factory": lambda: db.session.scalars(
                             select(Organisation).order_by(Organisation.name)).all()},
        "provinces": {"label": _l("Provinces (coordinators)"),
                      "query_factory": lambda: db.session.scalars(
                          select(Province).order_by(Province.name)).all()},
        "active": {"label": _l("Active")},
    }

    @expose("/reset-two-step/<int:user_id>", methods=("POST",))
    def reset_mfa(self, user_id):
        """Turn a user's two-step verification off (audited); when their role requires it,
        they set it up again at their next sign-in."""
        from flask import flash
        from flask_babel import gettext

        from .journeys import mfa
        user = db.session.get(User, user_id)
        if user is None:
            abort(404)
        mfa.reset(db.session, current_user._get_current_object(), user)
        db.session.commit()
        flash(gettext("Two-step verification of %(name)s has been reset.", name=user.name),
              "success")
        return redirect(url_for(".index_view"))

    def on_model_change(self, form, model, is_created):
        model.email = (model.email or "").strip().lower()
        model.name = " ".join((model.name or "").split())
        if not model.name:
            raise ValidationError(_l("Enter the user's name."))
        with db.session.no_autoflush:
            same = db.session.scalar(_others(User, model).where(User.email == model.email))
        if same is not None:
            raise ValidationError(_l("A user with this e-mail address already exists."))
        password = form.new_password.data
        if password:
            from flask_babel import gettext
            from .journeys.accounts import password_problem
            problem = password_problem(password)  # also: not on a list of leaked passwords
            if problem:
                raise ValidationError(gettext(problem[0], **problem[1]))
            model.password_hash = generate_password_hash(password)
            if not is_created:  # the user's sessions end (crm/security.py:session_revoked)
                from .models import utcnow
                from .security import keep_this_session
                model.sessions_valid_from = utcnow()
                if model.id == current_user.id:
                    keep_this_session()  # an administrator's own session stays
        elif is_created:
            raise ValidationError(_l("Choose a password of at least 10 characters for the "
                                     "new user."))
        if model.role != Role.coordinator.value:
            model.provinces = []
        if model.id is not None and model.id == getattr(current_user, "id", None) and (
                model.role != Role.admin.value or not model.active):
            raise ValidationError(_l("You cannot take away your own administrator access."))


class ProvinceView(SecureModelView):
    column_list = ("code", "name")
    column_labels = {"code": _l("CBS code"), "name": _l("Name")}
    column_default_sort = "code"
    form_columns = ("code", "name")
    form_args = {"code": {"label": _l("CBS code"),
                          "validators": [Regexp(r"^PV\d\d$", message=_l("A province code is "
                                                                         "PV and two digits."))]},
                 "name": {"label": _l("Name")}}


class MunicipalityView(SecureModelView):
    column_list = ("code", "name", "province")
    column_labels = {"code": _l("CBS code"), "name": _l("Name"), "province": _l("Province")}
    column_searchable_list = ("name", "code")
    column_filters = ("province.name",)
    column_default_sort = "name"
    form_columns = ("code", "name", "province")
    form_args = {
        "code": {"label": _l("CBS code"),
                 "validators": [Regexp(r"^GM\d{4}$", message=_l("A municipality code is GM "
                                                                 "and four digits."))]},
        "name": {"label": _l("Name"), "validators": [Length(max=80)]},
        "province": {"label": _l("Province"),
                     "query_factory": lambda: db.session.scalars(
                         select(Province).order_by(Province.name)).all()},
    }

    def on_model_change(self, form, model, is_created):
        model.name = " ".join((model.name or "").split())
        model.search_name = normalise(model.name)


class RegionView(SecureModelView):
    column_list = ("name", "municipalities")
    column_labels = {"name": _l("Name"), "municipalities": _l("Municipalities")}
    column_searchable_list = ("name",)
    column_default_sort = "name"
    form_columns = ("name", "municipalities")
    form_args = {"name": {"label": _l("Name"), "validators": [Length(max=80)]},
                 "municipalities": {"label": _l("Municipalities"),
                                    "query_factory": lambda: db.session.scalars(
                                        select(Municipality).order_by(Municipality.name)).all()}}


class SbiSectionView(SecureModelView):
    column_list = ("letter", "name_nl", "name_en", "first_division", "last_division")
    column_labels = {"letter": _l("Section"), "name_nl": _l("Dutch name"),
                     "name_en": _l("English name"), "first_division": _l("First division"),
                     "last_division": _l("Last division")}
    column_default_sort = "letter"
    form_columns = ("letter", "name_nl", "name_en", "first_division", "last_division")
    form_args = {"letter": {"label": _l("Section"),
                            "validators": [Regexp(r"^[A-Z]$", message=_l("A section is one "
                                                                          "capital letter."))]},
                 "name_nl": {"label": _l("Dutch name")},
                 "name_en": {"label": _l("English name")},
                 "first_division": {"label": _l("First division")},
                 "last_division": {"label": _l("Last division")}}

    def on_model_change(self, form, model, is_created):
        if not 1 <= model.first_division <= model.last_division <= 99:
            raise ValidationError(_l("The divisions must run from 1 to 99, first before last."))


def _html_lang() -> str:
    """The ``lang`` of admin pages: the interface language of this request."""
    try:
        locale = get_locale()
    except (KeyError, RuntimeError):
        locale = None
    return locale.language if locale is not None else "nl"


def init_app(app) -> Admin:
    """A fresh Admin per application (views are bound to one app's blueprints)."""
    if "babel" not in app.extensions:  # admin pages translate through Flask-Babel
        from .extensions import babel
        babel.init_app(app)
    app.add_template_global(_html_lang, "admin_html_lang")
    admin = Admin(app, name="Volgende Deur – beheer", url="/admin",
                  theme=Bootstrap4Theme(swatch="default", fluid=True),
                  index_view=IndexView(name=_l("Overview"), url="/admin",
                                       template="admin/index.html"))
    # Flask-Admin 2.2 wants the Flask-SQLAlchemy object (it takes ``db.session`` per query);
    # passing ``db.session`` itself is deprecated.
    session = db
    admin.add_view(OrganisationView(Organisation, session, name=_l("Organisations"),
                                    endpoint="admin_organisations", url="organisations"))
    admin.add_view(UserView(User, session, name=_l("Users"), endpoint="admin_users",
                            url="users"))
    reference = _l("Reference data")
    admin.add_view(ProvinceView(Province, session, name=_l("Provinces"), category=reference,
                                endpoint="admin_provinces", url="provinces"))
    admin.add_view(MunicipalityView(Municipality, session, name=_l("Municipalities"),
                                    category=reference, endpoint="admin_municipalities",
                                    url="municipalities"))
    admin.add_view(RegionView(Region, session, name=_l("Regions"), category=reference,
                              endpoint="admin_regions", url="regions"))
    admin.add_view(SbiSectionView(SbiSection, session, name=_l("SBI sections"),
                                  category=reference, endpoint="admin_sbi_sections",
                                  url="sbi-sections"))
    admin.add_link(MenuLink(name=_l("Back to the CRM"), url="/"))
    app.extensions["crm_admin"] = admin
    return admin
