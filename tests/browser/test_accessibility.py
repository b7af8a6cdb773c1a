"""An axe-core sweep (WCAG 2.0/2.1 A and AA) over every page, in Dutch, as the user sees it.

Fails on every violation of impact "serious" or "critical", listing the rule, its impact and
the first elements it was found on. axe is injected with ``add_script_tag``, i.e. an inline
script, which the app's CSP (``script-src 'self'``) blocks: the contexts used here bypass the
CSP in the browser. The app's CSP itself is unchanged (tests/test_security_basics.py checks it).
"""
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Company

from .conftest import browser_login
from .test_import import (open_import_check, open_import_columns, open_import_done,
                          open_import_with_errors)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """All axe violations on the page as it is now."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm install --no-save --no-audit "
                    "--no-fund --prefix tests axe-core@4.11.4` (the Makefile does this)",
                    pytrace=False)
    page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN_AXE, TAGS)


def describe(violations) -> str:
    return "\n".join(f"  {v['id']} ({v['impact']}, {v['count']}x): {v['help']} -- "
                     + "; ".join(v["targets"]) for v in violations)


def assert_accessible(page, label: str):
    violations = axe_violations(page)
    lesser = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if lesser:  # shown with -rA / on failure; not failing
        print(f"[axe] {label} {page.url}: minor/moderate\n{describe(lesser)}")
    serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not serious, (f"axe: serious/critical WCAG violations on {label} ({page.url}):\n"
                         f"{describe(serious)}")


@pytest.fixture
def axe_context(new_context):
    """A context in which axe can be injected despite the CSP."""
    def make(**options):
        return new_context(bypass_csp=True, **options)
    return make


@pytest.fixture
def data(make_org, make_user, make_company, make_contact):
    org = make_org(name="Digitale Werkplaats Utrecht")
    user = make_user(org=org, name="Sanne Jansen")
    company = make_company(name="Bakkerij De Zonnebloem B.V.", kvk="01234567",
                           trade_names="De Zonnebloem\nZonnebloem Online",
                           website="https://www.zonnebloem.example", phase="starter")
    for name in ("Anna de Vries", "Bram Bakker"):
        make_contact(company, org, name=name)
    for n in range(3):
        make_company(name=f"Fietsenmaker {n} B.V.")
    from crm.journeys.consent import give_consent
    from crm.journeys.interventions import log_event, log_intervention
    from crm.journeys.referrals import refer, transition
    from crm.journeys.tasks import add_task
    partner = make_org(name="EDIH Noord-West")
    partner_user = make_user(org=partner, name="Piet Partner")
    intervention = log_intervention(company, {
        "kind": "intake", "bottlenecks": ["kunnen"], "topics": ["ai"],
        "summary": "Wil een webshop", "internal_note": "Interne notitie"}, by=user)
    event, _ = log_event({"title": "Workshop AI", "kind": "workshops"}, [company], by=user,
                         unresolved=["99999999"])
    referral = refer(company, partner, "Hulp bij webshop", by=user, context="Gemotiveerd",
                     entrepreneur_agrees=True)
    received = refer(company, org, "Vraag terug", by=partner_user, entrepreneur_agrees=True)
    transition(referral, "accept", by=partner_user)
    add_task(intervention, {"title": "Terugbellen", "due_on": "2026-01-05"}, by=user)
    give_consent(company, "mondeling bij intake", by=user)
    from crm.journeys.intake import submit_question
    from crm.journeys.offerings import create_offering
    from crm.models import Municipality
    offering = create_offering({
        "name": "Webshop-spreekuur", "description": "Studenten helpen met de webshop",
        "archetype": "werken-met-studenten", "cost_kind": "gratis",
        "size": ["zzp", "micro"], "bottleneck": ["kunnen"],
        "providers": [{"name": "Hogeschool Utrecht", "role": "uitvoerder"}]}, by=user)
    org.intake_point = True
    utrecht = db.session.scalar(sa.select(Municipality.id).where(Municipality.name == "Utrecht"))
    intake = submit_question(db.session, {
        "kvk": "55555555", "company_name": "Nieuw Bedrijf", "municipality_id": utrecht,
        "contact_name": "Kees", "email": "kees@example.nl", "question": "Hoe begin ik met AI?",
        "consent": True}, address="127.0.0.9")
    db.session.commit()
    return {"user": user, "company": company, "contact": company.contacts[0],
            "intervention": intervention, "event": event, "referral": referral,
            "received": received, "offering": offering, "intake": intake}


def _open_event_preview(page, data):
    page.goto("/events/new")
    page.locator("#title").fill("Masterclass data")
    page.locator("#kvk_numbers").fill("01234567\n99999999\nonzin")
    with page.expect_navigation() as nav:
        page.locator("form:has(#title) button[type=submit]").click()
    assert nav.value.status == 200
    expect(page.locator("#preview-heading")).to_be_visible()


def _open_referral_with_errors(page, data):
    page.goto(f"/referrals/{data['received'].id}")
    with page.expect_navigation() as nav:
        page.locator("form[action$='/reject'] button[type=submit]").click()
    assert nav.value.status == 422


def _open_company_form_with_errors(page, data):
    page.goto("/companies/new")
    page.locator("#kvk").fill("123")
    page.locator("#name").fill("Foutje B.V.")
    page.locator("#sbi_code").fill("99999")
    page.locator("#website").fill("geen website")
    with page.expect_navigation() as nav:
        page.locator("form:has(#kvk) button[type=submit]").click()
    assert nav.value.status == 422
    expect(page.locator("#kvk-error")).to_be_visible()


def _open_company_conflict(page, data):
    company = data["company"]
    page.goto(f"/companies/{company.id}/edit")
    saved = db.session.get(Company, company.id)
    saved.name = "Bakkerij De Zonnebloem Holding B.V."
    db.session.commit()
    page.locator("#name").fill("Mijn Bakkerij B.V.")
    with page.expect_navigation() as nav:
        page.locator("form:has(#kvk) button[type=submit]").click()
    assert nav.value.status == 409
    expect(page.locator(".alert-warning table")).to_be_visible()


def _open_contact_form_with_errors(page, data):
    page.goto(f"/companies/{data['company'].id}/contacts/new")
    page.locator("#email").fill("geen-adres")
    page.locator("#phone").fill("bel me")
    with page.expect_navigation() as nav:
        page.locator("form:has(#email) button[type=submit]").click()
    assert nav.value.status == 422


def _open_account_with_errors(page, data):
    page.goto("/account/")
    page.locator("#pw-current_password").fill("fout")
    page.locator("#pw-new_password").fill("kort")
    with page.expect_navigation() as nav:
        page.locator("form:has(#pw-new_password) button[type=submit]").click()
    assert nav.value.status == 422


def _open_flash_message(page, data):
    """A page with a flash message (the detail page after saving)."""
    company = data["company"]
    page.goto(f"/companies/{company.id}/edit")
    with page.expect_navigation():
        page.locator("form:has(#kvk) button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()


def _open_survey_link(page, data):
    """The staff page of a personal survey link (made for the intervention)."""
    from crm.journeys.survey import invite
    invitation = invite(data["intervention"], by=data["user"], email="ik@example.nl")
    db.session.commit()
    response = page.goto(f"/survey-links/{invitation.id}")
    assert response.status == 200


def _open_dma_form_with_errors(page, data):
    page.goto(f"/companies/{data['company'].id}/maturity")
    page.locator("#assessed_on").fill("2025-01-01")
    page.locator("#green").fill("150")
    with page.expect_navigation() as nav:
        page.locator("form:has(#green) button[type=submit]").click()
    assert nav.value.status == 422


#: Pages of a signed-in user: a path (formatted with the data) or a function opening the page.
USER_PAGES = {
    "search-all": "/",
    "search-results": "/?q=zonnebl",
    "search-filtered": "/?q=bedrijf&size=micro&province=1&sector=J",
    "search-no-results": "/?q=bestaat-niet-xyz",
    "company-detail-with-contacts": "/companies/{company.id}",
    "company-detail-after-save": _open_flash_message,
    "company-new": "/companies/new",
    "company-new-prefilled": "/companies/new?kvk=76543210",
    "company-new-with-errors": _open_company_form_with_errors,
    "company-edit": "/companies/{company.id}/edit",
    "company-edit-conflict-409": _open_company_conflict,
    "contact-new": "/companies/{company.id}/contacts/new",
    "contact-new-with-errors": _open_contact_form_with_errors,
    "contact-edit": "/contacts/{contact.id}/edit",
    "account": "/account/",
    "intervention-new": "/companies/{company.id}/interventions/new",
    "intervention-edit": "/interventions/{intervention.id}/edit",
    "event-new": "/events/new",
    "event-preview": _open_event_preview,
    "event-detail": "/events/{event.id}",
    "referral-new": "/companies/{company.id}/refer",
    "referral-detail-sent": "/referrals/{referral.id}",
    "referral-detail-received": "/referrals/{received.id}",
    "referral-action-with-errors": _open_referral_with_errors,
    "referrals-inbox": "/referrals?box=inbox",
    "referrals-outbox": "/referrals?box=outbox&status=open",
    "task-for-intervention": "/interventions/{intervention.id}/tasks/new",
    "task-for-referral": "/referrals/{referral.id}/tasks/new",
    "tasks": "/tasks",
    "company-suggestions": "/companies/{company.id}/suggestions",
    "offering-detail": "/offerings/{offering.id}",
    "offering-edit": "/offerings/{offering.id}/edit",
    "offerings-filtered": "/offerings?q=webshop&size_class=micro",
    "intake-queue": "/intake",
    "intake-detail": "/intake/{intake.id}",
    "account-with-errors": _open_account_with_errors,
    "not-found-404": "/companies/999999",
    "unknown-path-404": "/bestaat/niet",
    "import-upload": "/import/",
    "import-upload-with-errors": open_import_with_errors,
    "import-columns": open_import_columns,
    "import-check": open_import_check,
    "import-result": open_import_done,
    "survey-for-intervention": "/interventions/{intervention.id}/survey",
    "survey-for-referral": "/referrals/{received.id}/survey",
    "survey-link": _open_survey_link,
    "dma-company": "/companies/{company.id}/maturity",
    "dma-form-with-errors": _open_dma_form_with_errors,
    "company-duplicates": "/companies/{company.id}/duplicates",
    "journeys-filtered": "/journeys?size=micro&open_referral=1&sort=-last_step",
    "saved-views": "/saved-views",
    "eu-report": "/journeys/eu-report?from=2026-01-01&to=2026-12-31",
    "company-history": "/companies/{company.id}/history",
    "contact-history": "/contacts/{contact.id}/history",
    "referral-history": "/referrals/{referral.id}/history",
    "offering-history": "/offerings/{offering.id}/history",
    "monitor": "/monitor",
    "monitor-filtered": "/monitor?from=2025-01-01&to=2026-12-31&size_class=micro&archetype=intake",
}


@pytest.mark.parametrize("name", USER_PAGES)
def test_user_page_is_accessible(name, axe_context, data):
    page = browser_login(axe_context().new_page(), data["user"])
    target = USER_PAGES[name]
    if callable(target):
        target(page, data)
    else:
        response = page.goto(target.format(**data))
        expected = 404 if "404" in name else 200
        assert response.status == expected, (name, response.status)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    assert_accessible(page, name)


def test_login_page_is_accessible(axe_context):
    page = axe_context().new_page()
    response = page.goto("/login?next=/companies/1")
    assert response.status == 200
    assert_accessible(page, "login")


def test_front_door_is_accessible_without_signing_in(axe_context):
    page = axe_context().new_page()
    response = page.goto("/voordeur")
    assert response.status == 200
    assert_accessible(page, "front-door")
    with page.expect_navigation() as nav:
        page.locator("form:has(#question) button[type=submit]").click()
    assert nav.value.status == 422
    assert_accessible(page, "front-door-with-errors")


def test_public_survey_is_accessible_without_signing_in(axe_context, data):
    """The entrepreneur's survey: on a phone, with errors, in English, and its end pages."""
    from crm.journeys.survey import invite, survey_path
    invitation = invite(data["intervention"], by=data["user"])
    db.session.commit()
    page = axe_context(viewport={"width": 360, "height": 740}, is_mobile=True).new_page()
    assert page.goto(survey_path(invitation)).status == 200
    assert_accessible(page, "survey")
    page.locator("fieldset").first.locator("input[value='4']").check()
    page.locator("#comment").fill("x" * 10)
    page.evaluate("document.querySelector('input[name=answer_2]').value = '9'")
    page.locator("fieldset").nth(1).locator("input").first.check()
    with page.expect_navigation() as nav:
        page.locator("form:has(#comment) button[type=submit]").click()
    assert nav.value.status == 422
    assert_accessible(page, "survey-with-errors")
    with page.expect_navigation():
        page.locator("form[action*='/language/'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "survey-english")
    page.locator("fieldset").first.locator("input").first.check()
    with page.expect_navigation():
        page.locator("form:has(#comment) button[type=submit]").click()
    assert_accessible(page, "survey-thanks")
    assert page.goto(survey_path(invitation)).status == 409
    assert_accessible(page, "survey-already-answered")
    assert page.goto("/enquete/kapot").status == 404
    assert_accessible(page, "survey-invalid-link")


def test_login_page_with_error_is_accessible(axe_context, make_user):
    page = axe_context().new_page()
    page.goto("/login")
    page.locator("#email").fill(make_user().email)
    page.locator("#password").fill("fout")
    with page.expect_navigation() as nav:
        page.locator("form:has(#password) button[type=submit]").click()
    assert nav.value.status == 401
    assert_accessible(page, "login-with-error")


def test_login_page_in_english_is_accessible(axe_context):
    page = axe_context().new_page()
    page.goto("/login")
    with page.expect_navigation():
        page.locator("form[action*='/language/'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "login-english")


def _admin_pages(app) -> list[tuple[str, str]]:
    """(label, path) of the admin index and every model view's list and create page."""
    admin = app.extensions.get("crm_admin")
    if admin is None:
        return []
    pages = [("admin-index", "/admin/")]
    with app.test_request_context():
        for view in admin._views:
            if not hasattr(view, "create_view"):
                continue
            pages.append((f"admin-{view.endpoint}-list", url_for(f"{view.endpoint}.index_view")))
            if view.can_create:
                pages.append((f"admin-{view.endpoint}-create",
                              url_for(f"{view.endpoint}.create_view")))
    return pages


def test_admin_pages_are_accessible(app, axe_context, make_user, make_org, make_company):
    """The admin index and every model's list and create page, as an administrator."""
    pages = _admin_pages(app)
    assert pages, "no admin views registered"
    admin = make_user(role="admin", org=make_org(name="Beheer"))
    make_user(name="Piet Gebruiker")
    make_company()
    page = browser_login(axe_context().new_page(), admin)
    problems = []
    for label, path in pages:
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{label} {path}: HTTP {response.status}")
            continue
        if page.locator("html").get_attribute("lang") not in ("nl", "nl-NL"):
            problems.append(f"{label} {path}: <html lang> is "
                            f"{page.locator('html').get_attribute('lang')!r}, not nl")
        violations = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        if violations:
            problems.append(f"{label} {path}:\n{describe(violations)}")
    assert not problems, "admin pages:\n" + "\n".join(problems)


def test_admin_form_with_errors_is_accessible(axe_context, make_user, make_org):
    admin = make_user(role="admin", org=make_org(name="Beheer"))
    page = browser_login(axe_context().new_page(), admin)
    response = page.goto("/admin/users/new/")
    assert response.status == 200
    page.locator("#email").fill("geen-adres")
    page.locator("#new_password").fill("kort")
    form = page.locator("form:has(#email)")
    form.evaluate("f => { f.noValidate = true; }")   # let the server do the validating
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()
    expect(page.locator("#email")).to_have_value("geen-adres")
    assert_accessible(page, "admin-user-create-with-errors")


#: Endpoints that are no pages: JSON, redirects, static files.
NOT_PAGES = {"static", "bootstrap.static", "health.healthz", "auth.logout", "companies.by_kvk"}
NOT_PAGES |= {"journeys.open_view",  # a redirect to the saved view's page
              "journeys.klantreis_pdf", "journeys.export_csv",  # downloads
              "journeys.eu_report_csv", "journeys.eu_report_xlsx"}
NOT_PAGES |= {"merge.pairs", "merge.merges"}  # admins/coordinators: swept in test_merge.py
NOT_PAGES |= {"exports.download", "exports.company_json", "privacy.report_file",  # downloads
              "audit.search_page", "privacy.index"}  # admins: swept in browser/test_privacy.py
NOT_PAGES |= {"imports.errors"}  # the import's error report (CSV download)
NOT_PAGES |= {"monitor.report"}  # the regional report (PDF download): read in test_monitor_views.py
#: Endpoints with URL arguments that the sweep above opens.
COVERED = {"companies.detail", "companies.edit", "contacts.create", "contacts.edit",
           "interventions.create", "interventions.edit", "interventions.event_detail",
           "referrals.create", "referrals.detail", "tasks.for_intervention",
           "tasks.for_referral", "offerings.detail", "offerings.edit", "intake.detail",
           "companies.suggestions"}
COVERED |= {"merge.company_duplicates", "merge.merge"}  # the merge screen: in test_merge.py
COVERED |= {"audit.history"}  # company, contact, referral and offering history
COVERED |= {"survey.for_intervention", "survey.for_referral", "survey.invitation",
            "maturity.company", "enquete.answer_page"}  # the survey page: see below
COVERED |= {"imports.columns", "imports.check", "imports.done"}  # the import wizard


def _get_rules(app):
    for rule in app.url_map.iter_rules():
        if ("GET" in rule.methods and rule.endpoint not in NOT_PAGES
                and not rule.endpoint.startswith(("admin", "api"))
                and not rule.rule.startswith("/api/") and not rule.endpoint.endswith("static")):
            yield rule


def test_every_page_without_arguments_is_accessible(app, axe_context, data):
    """Pages the list above does not name (new ones included) are swept here automatically."""
    named = {urlsplit_path(v) for v in USER_PAGES.values() if isinstance(v, str)}
    paths = sorted(rule.rule for rule in _get_rules(app)
                   if not rule.arguments and rule.rule not in named | {"/login"})
    page = browser_login(axe_context().new_page(), data["user"])
    problems = []
    for path in paths:
        response = page.goto(path)
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        if not response.header_value("content-type").startswith("text/html"):
            continue
        violations = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        if violations:
            problems.append(f"{path}:\n{describe(violations)}")
    assert not problems, "pages:\n" + "\n".join(problems)


def urlsplit_path(url: str) -> str:
    return url.split("?", 1)[0]


def test_sweep_covers_every_page_with_arguments(app):
    """A page whose URL needs an id must be added to USER_PAGES (and to COVERED) by hand."""
    missing = sorted(f"{rule.endpoint} {rule.rule}" for rule in _get_rules(app)
                     if rule.arguments and rule.endpoint not in COVERED)
    assert not missing, ("pages with URL arguments not in the accessibility sweep; add them to "
                         "USER_PAGES in tests/browser/test_accessibility.py:\n"
                         + "\n".join(missing))
