"""The ecosystem map: offerings of every organisation, their coverage and the provider network."""
from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import (BooleanField, DateField, EmailField, Form, FormField, SelectField,
                     StringField, TelField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional

from ..extensions import db
from ..forms import ConfirmForm, FlaskForm, RowList
from ..journey_forms import CheckboxList
from ..journeys.errors import NotAllowed, ValidationFailed
from ..journeys.offerings import (ARCHETYPE_REACH_EFFORT, COVERAGE_MATURITIES, COVERAGE_SIZES,
                                  SCALAR_FIELDS, TAG_FIELDS, coverage_by_province,
                                  create_offering, offerings_matching, provider_memberships,
                                  provider_network, reactivate, tags_by_offering,
                                  update_offering, withdraw_offering)
from ..models import Offering, Organisation, Province, Region, Role, SbiSection
from ..models.vocabulary import (ARCHETYPES, BOTTLENECKS, COST_KINDS, DIGITALISATION_FORMS,
                                 MARKET_FAILURES, PROVIDER_ROLES, TARGET_MATURITIES,
                                 TECHNOLOGY_TAGS)
from ..policy import CREATE, EDIT, may
from ..reference import parse_id
from .base import RecordView, apply_errors, int_arg, message, require

bp = Blueprint("offerings", __name__)

PER_PAGE = 50


def _vocabulary(rows):
    return lambda: [(row[0], _l(row[1])) for row in rows]


def size_choices():
    return [("zzp", _l("zzp (self-employed)")), ("micro", _l("micro (1–10)")),
            ("klein", _l("small (10–50)")), ("middelgroot", _l("medium-sized (50–250)"))]


def phase_choices():
    return [("starter", _l("starter")), ("scale-up", _l("scale-up")), ("overig", _l("other"))]


#: Data key → choices of the multi-valued dimensions (sector's come from the database).
TAG_CHOICES = {
    "size": size_choices,
    "phase": phase_choices,
    "maturity": _vocabulary(TARGET_MATURITIES),
    "form": _vocabulary(DIGITALISATION_FORMS),
    "technology": _vocabulary(TECHNOLOGY_TAGS),
    "bottleneck": _vocabulary(BOTTLENECKS),
    "market_failure": _vocabulary(MARKET_FAILURES),
}


class ProviderRow(Form):
    """One provider of an offering (a repeated row of the offering form; no CSRF of its own)."""

    name = StringField(_l("Provider"), validators=[Optional(), Length(max=200)],
                       description=_l("for example Rabobank or Ministerie van EZK"))
    organisation_id = SelectField(_l("…or an organisation in the CRM"), choices=[],
                                  validate_choice=False)
    role = SelectField(_l("Role"), choices=lambda: [("", "—")] + _vocabulary(PROVIDER_ROLES)(),
                       validate_choice=False)


class OfferingForm(FlaskForm):
    organisation_id = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=8000)],
                                description=_l("what it is and what a company gets out of it"),
                                render_kw={"rows": 4})
    archetype = SelectField(_l("Archetype"),
                            choices=lambda: [("", _l("Choose an archetype"))] + [
                                (a[0], _l(a[1])) for a in ARCHETYPES],
                            validate_choice=False)
    cost_kind = SelectField(_l("Cost to the entrepreneur"), choices=_vocabulary(COST_KINDS),
                            validate_choice=False)
    cost_note = StringField(_l("Cost details"), validators=[Optional(), Length(max=300)],
                            description=_l("amount, conditions"))
    starts_on = DateField(_l("Starts on"), validators=[Optional()],
                          description=_l("empty: already running"))
    ends_on = DateField(_l("Ends on"), validators=[Optional()],
                        description=_l("empty: open-ended"))
    contact_name = StringField(_l("Contact point"), validators=[Optional(), Length(max=200)],
                               description=_l("a name or a desk"))
    contact_email = EmailField(_l("Contact e-mail address"),
                               validators=[Optional(), Length(max=254)])
    contact_phone = TelField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    url = StringField(_l("Web page"), validators=[Optional(), Length(max=300)],
                      render_kw={"inputmode": "url"})
    takes_referrals = BooleanField(_l("Takes referrals from other organisations"),
                                   default=True)
    province_ids = CheckboxList(_l("Provinces"), choices=[], validate_choice=False)
    region_ids = CheckboxList(_l("Regions"), choices=[], validate_choice=False)
    sector = CheckboxList(_l("Sectors (SBI sections)"), choices=[], validate_choice=False)
    size = CheckboxList(_l("Size classes"), choices=TAG_CHOICES["size"], validate_choice=False)
    phase = CheckboxList(_l("Phases"), choices=TAG_CHOICES["phase"], validate_choice=False)
    maturity = CheckboxList(_l("Digital maturity"), choices=TAG_CHOICES["maturity"],
                            validate_choice=False)
    form = CheckboxList(_l("Digitalisation forms"), choices=TAG_CHOICES["form"],
                        validate_choice=False)
    technology = CheckboxList(_l("Technologies and applications"),
                              choices=TAG_CHOICES["technology"], validate_choice=False)
    bottleneck = CheckboxList(_l("Bottlenecks addressed"), choices=TAG_CHOICES["bottleneck"],
                              validate_choice=False)
    market_failure = CheckboxList(_l("Market failures answered"),
                                  choices=TAG_CHOICES["market_failure"], validate_choice=False)
    providers = RowList(FormField(ProviderRow), min_entries=3)


def _options() -> dict:
    return {
        "provinces": db.session.execute(
            select(Province.id, Province.name).order_by(Province.name)).all(),
        "regions": db.session.execute(select(Region.id, Region.name).order_by(Region.name)).all(),
        "sections": db.session.execute(
            select(SbiSection.letter, SbiSection.name_nl).order_by(SbiSection.letter)).all(),
        "organisations": db.session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.name)).all(),
    }


def _may_choose_organisation() -> bool:
    return current_user.role in (Role.coordinator.value, Role.admin.value)


def _prepare(form: OfferingForm, options: dict, offering: Offering | None) -> None:
    form.province_ids.choices = [(str(i), n) for i, n in options["provinces"]]
    form.region_ids.choices = [(str(i), n) for i, n in options["regions"]]
    form.sector.choices = [(letter, f"{letter} – {name}") for letter, name in options["sections"]]
    organisations = [(str(i), n) for i, n in options["organisations"]]
    form.organisation_id.choices = organisations
    for row in form.providers:
        row.organisation_id.choices = [("", "—")] + organisations
    if not _may_choose_organisation():
        del form.organisation_id


def _fill(form: OfferingForm, offering: Offering | None) -> None:
    """Put the record's values in a fresh form (GET), with three empty provider rows."""
    if offering is None:
        if "organisation_id" in form:
            form.organisation_id.data = str(current_user.organisation_id)
        form.takes_referrals.data = True
        form.cost_kind.data = "gratis"
        providers = []
    else:
        for field in SCALAR_FIELDS:
            form[field].data = getattr(offering, field)
        if "organisation_id" in form:
            form.organisation_id.data = str(offering.organisation_id)
        form.province_ids.data = [str(p.id) for p in offering.provinces]
        form.region_ids.data = [str(r.id) for r in offering.regions]
        for field, dimension in TAG_FIELDS.items():
            form[field].data = offering.values(dimension)
        providers = offering.providers
    while len(form.providers):
        form.providers.pop_entry()
    for provider in providers:
        form.providers.append_entry({"name": provider.name, "role": provider.role,
                                     "organisation_id": str(provider.organisation_id or "")})
    for _i in range(3):
        form.providers.append_entry()


def _data(form: OfferingForm) -> dict:
    data = {field: form[field].data for field in SCALAR_FIELDS}
    data["province_ids"] = form.province_ids.data or []
    data["region_ids"] = form.region_ids.data or []
    for field in TAG_FIELDS:
        data[field] = form[field].data or []
    data["providers"] = [{"name": row.form.name.data, "role": row.form.role.data,
                          "organisation_id": row.form.organisation_id.data or None}
                         for row in form.providers]
    if "organisation_id" in form:
        data["organisation_id"] = form.organisation_id.data
    return data


def _apply_errors(form: OfferingForm, error: ValidationFailed) -> list[str]:
    """Field errors next to their fields, provider-row errors next to the row's field."""
    rows = {}
    for key in list(error.errors):
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "providers" and parts[1].isdigit():
            rows[key] = error.errors.pop(key)
    rest = apply_errors(form, error)
    for key, messages in rows.items():
        _prefix, index, field = key.split("-")
        texts = [_(msg, **params) for msg, params in messages]
        if int(index) < len(form.providers) and field in form.providers[int(index)].form:
            target = form.providers[int(index)].form[field]
            target.errors = list(target.errors) + texts
        else:
            rest.extend(texts)
    return rest


def _render_form(form, offering, status=200, errors=()):
    return render_template("offerings/form.html", form=form, offering=offering,
                           errors=list(errors)), status


# --- the map ----------------------------------------------------------------------------------

def _filters(options) -> tuple[dict, dict]:
    """The map's filters from the query string (unknown values are dropped), and the
    arguments to keep in the pager's links."""
    args = request.args
    chosen: dict = {}
    q = (args.get("q") or "").strip()[:200]
    if q:
        chosen["q"] = q
    if args.get("archetype") in ARCHETYPE_REACH_EFFORT:
        chosen["archetype"] = args["archetype"]
    if args.get("cost_kind") in {c for c, _ in COST_KINDS}:
        chosen["cost_kind"] = args["cost_kind"]
    organisation_id = parse_id(args.get("organisation"))
    if organisation_id in {i for i, _ in options["organisations"]}:
        chosen["organisation_id"] = organisation_id
    province_id = parse_id(args.get("province"))
    if province_id in {i for i, _ in options["provinces"]}:
        chosen["province_id"] = province_id
    if args.get("sector") in {letter for letter, _ in options["sections"]}:
        chosen["sector"] = args["sector"]
    for field, choices in TAG_CHOICES.items():
        if args.get(field) in {value for value, _ in choices()}:
            chosen[field] = args[field]
    if args.get("takes_referrals") == "1":
        chosen["takes_referrals"] = True
    show_expired = args.get("expired") == "1"
    show_withdrawn = args.get("withdrawn") == "1"
    keep = {("organisation" if k == "organisation_id" else "province" if k == "province_id"
             else k): (1 if v is True else v) for k, v in chosen.items()}
    if show_expired:
        keep["expired"] = 1
    if show_withdrawn:
        keep["withdrawn"] = 1
    query = dict(chosen)
    if not show_expired:
        query["expired"] = False
    if not show_withdrawn:
        query["withdrawn"] = False
    return query, keep


@bp.route("/offerings")
def index():
    options = _options()
    query, keep = _filters(options)
    page = _page_with_total(offerings_matching(query), int_arg("page", maximum=1000))
    tags = tags_by_offering(db.session, [o.id for o in page.items])
    return render_template("offerings/index.html", page=page, tags=tags, args=keep,
                           options=options, tag_choices={k: c() for k, c in TAG_CHOICES.items()},
                           reach_table=ARCHETYPE_REACH_EFFORT,
                           choices={"archetype": [(a[0], _(a[1])) for a in ARCHETYPES],
                                    "cost": [(c, _(n)) for c, n in COST_KINDS],
                                    "sector": [(letter, f"{letter} – {name}")
                                               for letter, name in options["sections"]]},
                           may_create=may(current_user, CREATE, Offering))


def _page_with_total(stmt, number: int) -> SimpleNamespace:
    """One page of offerings with the number of all matches, from one query: the filters
    (string tests on every offering's profile) run once, where a page plus a separate count
    ran them twice."""
    total = func.count().over().label("total")
    rows = db.session.execute(
        stmt.add_columns(total).options(joinedload(Offering.organisation),
                                        selectinload(Offering.provinces),
                                        selectinload(Offering.regions))
        .limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    if rows:
        count = rows[0].total
    else:  # past the last page: still say how many there are
        count = db.session.scalar(select(func.count()).select_from(
            stmt.order_by(None).subquery()))
    return SimpleNamespace(items=[row[0] for row in rows], total=count, page=number,
                           has_next=(number - 1) * PER_PAGE + len(rows) < count)


@bp.route("/offerings/coverage")
def coverage():
    coverage = coverage_by_province(session=db.session)
    return render_template("offerings/coverage.html", coverage=coverage,
                           sizes=size_choices(), maturities=COVERAGE_MATURITIES,
                           size_slugs=COVERAGE_SIZES, archetypes=ARCHETYPES)


@bp.route("/offerings/network")
def network():
    provinces = db.session.execute(select(Province.id, Province.name)
                                   .order_by(Province.name)).all()
    province_id = parse_id(request.args.get("province"))
    if province_id not in {i for i, _ in provinces}:
        province_id = None
    stmt = provider_network(province_id=province_id)
    number = int_arg("page", maximum=1000)
    rows = db.session.execute(stmt.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)).all()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = SimpleNamespace(page=number, has_next=len(rows) > PER_PAGE, total=total)
    providers = rows[:PER_PAGE]
    memberships: dict = {}
    if providers:
        rows = db.session.execute(
            provider_memberships(providers, province_id=province_id)
            .options(joinedload(Offering.organisation))).all()
        for name, organisation_id, provider, offering in rows:
            memberships.setdefault((name, organisation_id), []).append((provider, offering))
    return render_template("offerings/network.html", page=page, providers=providers,
                           memberships=memberships, provinces=provinces,
                           province_id=province_id,
                           args={"province": province_id} if province_id else {})


# --- a record ---------------------------------------------------------------------------------

_LOAD = (joinedload(Offering.organisation), selectinload(Offering.provinces),
         selectinload(Offering.regions), selectinload(Offering.tags),
         selectinload(Offering.providers))


class OfferingDetail(RecordView):
    model = Offering
    load_options = _LOAD

    def get(self, offering):
        sections = dict(db.session.execute(select(SbiSection.letter, SbiSection.name_nl)).all())
        return render_template("offerings/detail.html", offering=offering,
                               reach_table=ARCHETYPE_REACH_EFFORT, sections=sections,
                               may_edit=may(current_user, EDIT, offering),
                               confirm=ConfirmForm())


@bp.route("/offerings/new", methods=["GET", "POST"])
def create():
    require(CREATE, Offering)
    options = _options()
    if request.method == "GET":
        form = OfferingForm(formdata=None)
        _prepare(form, options, None)
        _fill(form, None)
        return _render_form(form, None)
    form = OfferingForm()
    _prepare(form, options, None)
    errors = []
    if form.validate():
        try:
            offering = create_offering(_data(form), by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            errors = _apply_errors(form, exc)
        except NotAllowed:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_("Offering %(name)s registered.", name=offering.name), "success")
            return redirect(url_for("offerings.detail", id=offering.id))
    return _render_form(form, None, 422, errors)


class OfferingEdit(RecordView):
    model = Offering
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}
    load_options = _LOAD

    def get(self, offering):
        form = OfferingForm(formdata=None)
        _prepare(form, _options(), offering)
        _fill(form, offering)
        return _render_form(form, offering)

    def post(self, offering):
        form = OfferingForm()
        _prepare(form, _options(), offering)
        errors = []
        if form.validate():
            try:
                update_offering(offering, _data(form), by=current_user)
            except ValidationFailed as exc:
                db.session.rollback()
                errors = _apply_errors(form, exc)
            except NotAllowed:
                db.session.rollback()
                abort(403)
            else:
                db.session.commit()
                flash(_("Offering %(name)s saved.", name=offering.name), "success")
                return redirect(url_for("offerings.detail", id=offering.id))
        offering = db.session.get(Offering, offering.id)
        return _render_form(form, offering, 422, errors)


class OfferingActive(RecordView):
    """Withdraw an offering from the map, or put it back."""

    model = Offering
    actions = {"POST": EDIT}

    def __init__(self, withdraw: bool):
        self.withdraw = withdraw

    def post(self, offering):
        form = ConfirmForm()
        if not form.validate():
            flash(_("The form had expired. Please try again."), "warning")
            return redirect(url_for("offerings.detail", id=offering.id))
        try:
            (withdraw_offering if self.withdraw else reactivate)(offering, by=current_user)
        except NotAllowed as exc:
            db.session.rollback()
            return render_template("error.html", code=403, title=_("No access"),
                                   message=message(exc)), 403
        db.session.commit()
        flash(_("The offering was withdrawn from the map.") if self.withdraw
              else _("The offering is on the map again."), "success")
        return redirect(url_for("offerings.detail", id=offering.id))


bp.add_url_rule("/offerings/<int:id>", view_func=OfferingDetail.as_view("detail"))
bp.add_url_rule("/offerings/<int:id>/edit", view_func=OfferingEdit.as_view("edit"),
                methods=["GET", "POST"])
bp.add_url_rule("/offerings/<int:id>/withdraw",
                view_func=OfferingActive.as_view("withdraw", withdraw=True), methods=["POST"])
bp.add_url_rule("/offerings/<int:id>/reactivate",
                view_func=OfferingActive.as_view("reactivate", withdraw=False),
                methods=["POST"])
