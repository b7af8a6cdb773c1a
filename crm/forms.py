"""WTForms forms (CSRF through Flask-WTF). Domain rules live in the operations, not here."""
from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from wtforms import (BooleanField, EmailField, FieldList, HiddenField, IntegerField,
                     PasswordField, SelectField, StringField, TelField, TextAreaField)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from .models import LOCALES


class FlaskForm(_FlaskForm):
    """Base of every form: reads only a posted HTML form (never a JSON body), and uploaded
    files only for file fields, so a field never receives a dict, a list or a file."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if not _is_auto(formdata):
                return formdata
            if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
                return None
            data = request.form
            if any(isinstance(f, FileField) for f in form):
                return CombinedMultiDict((request.files, data))
            return data if data else ImmutableMultiDict()

    def validate(self, extra_validators=None) -> bool:
        """A field holding a NUL byte is refused before any other check: those may look the
        value up in the database, and PostgreSQL refuses text that holds one."""
        with_nul = [field for field in self if _holds_nul(field.data)]
        if not with_nul:
            return super().validate(extra_validators)
        for field in with_nul:  # (plain text: Flask-Admin joins its forms' messages)
            field.errors = list(field.errors) + [
                gettext("This contains a character that is not allowed (a NUL byte).")]
        return False


def _holds_nul(data) -> bool:
    values = data if isinstance(data, list) else [data]
    return any(isinstance(v, str) and "\x00" in v for v in values)


class RowList(FieldList):
    """A list of sub-forms whose rows are numbered in the posted names (``providers-0-name``).
    WTForms takes every number Python's ``str.isdigit`` accepts, ``²`` too, and then fails on
    ``int("²")``; here a row's number is one to :attr:`MAX_DIGITS` ASCII digits, and a name
    with any other is ignored like an unknown field."""

    #: Row numbers up to 999 are read.
    MAX_DIGITS = 3

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                number = key[offset:].split(self._field_separator, 1)[0]
                if len(number) <= self.MAX_DIGITS and number.isascii() and number.isdigit():
                    yield int(number)


def _is_auto(formdata) -> bool:
    from flask_wtf.form import _Auto
    return formdata is _Auto


def size_class_choices():
    return [("", _l("Unknown")), ("zzp", _l("zzp (self-employed)")),
            ("micro", _l("micro (1–10)")), ("klein", _l("small (10–50)")),
            ("middelgroot", _l("medium-sized (50–250)")),
            ("groot", _l("large (250 or more, not an SME)"))]


def phase_choices():
    return [("", _l("Unknown")), ("starter", _l("starter")), ("scale-up", _l("scale-up")),
            ("overig", _l("other"))]


def maturity_choices():
    return [("onbekend", _l("unknown")), ("laag", _l("low")), ("middel", _l("medium")),
            ("hoog", _l("high"))]


def language_choices():
    names = {"nl": "Nederlands", "en": "English"}
    return [(code, names[code]) for code in LOCALES]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class CompanyForm(FlaskForm):
    kvk = StringField(_l("KVK number"), validators=[DataRequired(), Length(max=20)],
                      description=_l("8 digits, for example 01234567"),
                      render_kw={"inputmode": "numeric", "autocomplete": "off"})
    establishment_number = StringField(_l("Establishment number"),
                                       validators=[Optional(), Length(max=20)],
                                       description=_l("vestigingsnummer, 12 digits"),
                                       render_kw={"inputmode": "numeric"})
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    trade_names = TextAreaField(_l("Trade names"), validators=[Optional(), Length(max=4000)],
                                description=_l("one per line"), render_kw={"rows": 2})
    sbi_code = StringField(_l("SBI code"), validators=[Optional(), Length(max=10)],
                           description=_l("2 to 5 digits, for example 6201"),
                           render_kw={"inputmode": "numeric"})
    employees = IntegerField(_l("Working persons"),
                             validators=[Optional(), NumberRange(min=0, max=1_000_000)],
                             description=_l("determines the size class when filled in"))
    size_class = SelectField(_l("Size class"), choices=size_class_choices, validate_choice=True)
    phase = SelectField(_l("Phase"), choices=phase_choices)
    municipality_id = SelectField(_l("Municipality"), choices=[], validate_choice=False)
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          render_kw={"inputmode": "url"})
    digital_maturity = SelectField(_l("Digital maturity"), choices=maturity_choices)
    non_mailing = BooleanField(_l("Non-mailing indicator (no unsolicited mail)"))
    version = HiddenField()


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "off"})
    role = StringField(_l("Role"), validators=[Optional(), Length(max=100)],
                       description=_l("for example owner or IT manager"))
    email = EmailField(_l("E-mail address"),
                       validators=[Optional(), Email(check_deliverability=False),
                                   Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=language_choices)


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(min=10, max=200)],
                                 render_kw={"autocomplete": "new-password"})


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for buttons that change something."""


# -- two-step verification (crm/journeys/mfa.py) --------------------------------------------------

def _one_time_code(label):
    return StringField(label, validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "pattern": "[0-9 ]*", "maxlength": 20,
                                  "spellcheck": "false"})


class MfaCodeForm(FlaskForm):
    """The second step of signing in: the code from the authenticator app."""
    code = _one_time_code(_l("6-digit code"))


class MfaRecoveryForm(FlaskForm):
    """The second step of signing in with a recovery code instead."""
    recovery_code = StringField(_l("Recovery code"), validators=[DataRequired(), Length(max=40)],
                                description=_l("for example abcd-efgh-jkmn"),
                                render_kw={"autocomplete": "off", "autocapitalize": "none",
                                           "spellcheck": "false"})


class MfaEnrolForm(FlaskForm):
    """Confirming two-step verification with a first code from the app."""
    code = _one_time_code(_l("6-digit code from your app"))


class MfaDisableForm(FlaskForm):
    """Turning two-step verification off: the password and a current (or recovery) code."""
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Code from your app, or a recovery code"),
                       validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "spellcheck": "false"})
