"""Forms of the klantreis: interventions, events, referrals, consent and follow-up tasks."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .forms import FlaskForm
from .models.vocabulary import (BOTTLENECKS, INTERVENTION_KINDS, REFERRAL_REASONS, TASK_KINDS,
                                TOPICS)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(vocabulary):
    """The vocabulary's options, translated when the form is shown (in the user's language):
    plain strings rather than lazy ones, which would be looked up anew at every use."""
    return lambda: [(row[0], gettext(row[1])) for row in vocabulary]


class InterventionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(INTERVENTION_KINDS))
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    bottlenecks = CheckboxList(_l("Bottlenecks identified"), choices=_choices(BOTTLENECKS))
    topics = CheckboxList(_l("Digitalisation topics"), choices=_choices(TOPICS))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=8000)],
                            description=_l("shared with other organisations when the "
                                           "entrepreneur consents"), render_kw={"rows": 3})
    internal_note = TextAreaField(_l("Internal note"), validators=[Optional(), Length(max=8000)],
                                  description=_l("never leaves your organisation"),
                                  render_kw={"rows": 2})


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_choices(INTERVENTION_KINDS), default="workshops")
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    bottlenecks = CheckboxList(_l("Bottlenecks addressed"), choices=_choices(BOTTLENECKS))
    topics = CheckboxList(_l("Digitalisation topics"), choices=_choices(TOPICS))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=8000)],
                            render_kw={"rows": 3})
    kvk_numbers = TextAreaField(
        _l("KVK numbers of the attendees"), validators=[Optional(), Length(max=200_000)],
        description=_l("paste them separated by lines, commas or spaces"),
        render_kw={"rows": 5})
    attendee_file = FileField(_l("…or upload a list (CSV or text)"),
                              description=_l("a file with the KVK numbers, such as an export "
                                             "of the registrations"))
    confirmed = BooleanField(_l("Log the event for the companies found"))


class ReferralForm(FlaskForm):
    to_organisation_id = SelectField(_l("Refer to"), choices=[], validate_choice=False)
    #: Choices grouped by organisation (``<optgroup>``); checked against the chosen organisation
    #: by :func:`crm.journeys.referrals.refer`.
    offering_id = SelectField(_l("Offering"), choices=[], validate_choice=False,
                              description=_l("optional: the offering of that organisation "
                                             "the company is referred to"))
    question = TextAreaField(_l("The entrepreneur's question"),
                             validators=[DataRequired(), Length(max=4000)],
                             description=_l("as the entrepreneur put it"), render_kw={"rows": 3})
    context = TextAreaField(_l("Context for the receiver"),
                            validators=[Optional(), Length(max=8000)],
                            description=_l("what you choose to pass on"), render_kw={"rows": 3})
    entrepreneur_agrees = BooleanField(_l("The entrepreneur agrees to this handover"))


class ReferralActionForm(FlaskForm):
    reason = SelectField(_l("Reason"), choices=lambda: [("", "—")] + _choices(
        REFERRAL_REASONS)(), validate_choice=False)
    reason_text = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=4000)],
                                render_kw={"rows": 2})
    outcome = TextAreaField(_l("Outcome"), validators=[Optional(), Length(max=8000)],
                            render_kw={"rows": 3})


class ConsentForm(FlaskForm):
    basis = StringField(_l("Basis"), validators=[DataRequired(), Length(max=300)],
                        description=_l("for example: verbally at the intake, signed form"))


class WithdrawConsentForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class TaskForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(TASK_KINDS))
    title = StringField(_l("What is to be done"), validators=[DataRequired(), Length(max=200)])
    due_on = DateField(_l("Due date"), validators=[DataRequired()])
    owner_id = SelectField(_l("Owner"), choices=[], validate_choice=False)
