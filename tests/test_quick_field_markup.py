"""The company page writes its forms' fields with the ``quick_field`` macro instead of through
WTForms' widgets (for speed): the browser must get the same fields — the same elements, the
same attributes with the same values, the same text — as ``field`` gives, with and without
errors, in both languages."""
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from crm.journey_forms import ConsentForm, InterventionForm, WithdrawConsentForm
from crm.journeys.clock import today

MACROS = '{% from "_macros.html" import field, quick_field %}'


class _Events(HTMLParser):
    """An element tree flattened to (start tag, sorted attributes) / (text) events, with
    whitespace between elements dropped: how the browser sees the markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        # A browser drops the newline right after <textarea>; elsewhere, only the words count.
        text = " ".join(data.split())
        if text:
            self.events.append(("text", text))


def _parsed(html: str) -> list:
    parser = _Events()
    parser.feed(html)
    parser.close()
    return parser.events


def _both(app, form, name: str, class_: str = ""):
    env = app.jinja_env
    field = form[name]
    slow = env.from_string(MACROS + "{{ field(f, c) }}").render(f=field, c=class_)
    fast = env.from_string(MACROS + "{{ quick_field(f, c) }}").render(f=field, c=class_)
    return _parsed(slow), _parsed(fast)


def _forms(bound: bool):
    if not bound:
        quick = InterventionForm(formdata=None)
        quick.occurred_on.data = today()
        quick.kind.data = "scans"
        return [(quick, ["kind", "occurred_on", "summary", "internal_note"]),
                (ConsentForm(formdata=None), ["basis"]),
                (WithdrawConsentForm(formdata=None), ["note"])]
    # Bad input on every field: errors, aria-invalid and the typed value shown again.
    quick = InterventionForm(MultiDict({"kind": "geen-soort", "occurred_on": "31-31-2026",
                                        "summary": "x" * 8001, "internal_note": "<b>&</b>"}))
    consent = ConsentForm(MultiDict({"basis": ""}))
    withdraw = WithdrawConsentForm(MultiDict({"note": "y" * 2001}))
    for form in (quick, consent, withdraw):
        form.validate()
    return [(quick, ["kind", "occurred_on", "summary", "internal_note"]),
            (consent, ["basis"]), (withdraw, ["note"])]


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("bound", [False, True], ids=["empty", "with-errors"])
def test_quick_field_gives_the_same_fields_as_field(app, language, bound):
    from flask import session
    with app.test_request_context():
        session["locale"] = language
        for form, names in _forms(bound):
            for name in names:
                slow, fast = _both(app, form, name, "col-sm-6")
                assert fast == slow, name
                assert ("text", "Soort" if language == "nl" else "Kind") in fast or name != "kind"
                if bound and name != "internal_note":
                    assert ("start", "div", (("class", "invalid-feedback d-block"),
                                             ("id", f"{name}-error"))) in fast, name


def test_other_kinds_of_field_are_written_by_field(app):
    """A field the macro does not write itself (here a checkbox) goes to ``field``."""
    from wtforms import BooleanField

    from crm.forms import FlaskForm

    class Form(FlaskForm):
        agree = BooleanField("Akkoord")

    with app.test_request_context():
        slow, fast = _both(app, Form(formdata=None), "agree")
    assert fast == slow and ("start", "input", (
        ("class", "form-check-input"), ("id", "agree"), ("name", "agree"),
        ("type", "checkbox"), ("value", "y"))) in fast
