"""Hand-made journeys for the monitor tests: every figure is known exactly (see the numbers in
tests/test_monitor.py)."""
import itertools
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from crm.extensions import db
from crm.models import Consent, Intervention, Referral, ReferralStep
from crm.models.survey import DmaAssessment, SurveyInvitation, SurveyResponse

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 11, 23)
_nonce = itertools.count(1)


def at(y, m, d, hour=12):
    return datetime(y, m, d, hour, tzinfo=AMSTERDAM)


def intervention(company, org, kind, day: date):
    i = Intervention(company=company, organisation=org, kind=kind, occurred_on=day,
                     summary="", created_at=at(day.year, day.month, day.day))
    db.session.add(i)
    return i


def referral(company, sender, receiver, status, sent, *, accepted=None, closed=None,
             due=None, reason=None, outcome=None):
    r = Referral(company=company, from_organisation=sender, to_organisation=receiver,
                 question="Hulp bij webshop", entrepreneur_agrees=True, status=status,
                 created_at=sent, accepted_at=accepted, closed_at=closed,
                 accept_due_on=due or (sent.date() + timedelta(days=7)), reason=reason,
                 outcome=outcome if status != "completed" else (outcome or "Geholpen"))
    db.session.add(r)
    db.session.flush()
    db.session.add(ReferralStep(referral=r, from_status=None, to_status="requested",
                                action="send", organisation_id=sender.id, at=sent))
    return r


def build(make_org, make_user, make_company):
    """Three organisations working in Utrecht, one company in Groningen (out of scope)."""
    a = make_org(name="Alfa EDIH", provinces=("Utrecht",))
    b = make_org(name="Bravo Werkplaats", kind="werkplaats", provinces=("Utrecht",))
    c = make_org(name="Charlie ROM", kind="rom", provinces=("Utrecht",))
    d = make_org(name="Provincie Utrecht", kind="provincie", provinces=("Utrecht",))
    e = make_org(name="Echo Bank", kind="bank", provinces=("Groningen",))
    users = SimpleNamespace(
        coordinator=make_user(org=d, role="coordinator", provinces=("Utrecht",)),
        coordinator_elsewhere=make_user(org=d, role="coordinator", provinces=("Groningen",)),
        staff_a=make_user(org=a, role="staff"), staff_b=make_user(org=b, role="staff"),
        staff_c=make_user(org=c, role="staff"), admin=make_user(org=e, role="admin"))
    cs = [make_company(name=f"Utrechts Bedrijf {n}", municipality="Utrecht", employees=5,
                       sbi_code="6201", digital_maturity="laag") for n in range(1, 7)]
    c7 = make_company(name="Amersfoortse Klein B.V.", municipality="Amersfoort", employees=20,
                      sbi_code="1071", digital_maturity="middel")
    g1 = make_company(name="Groninger B.V.", municipality="Groningen", employees=5)
    companies = cs + [c7]
    for co in cs:
        intervention(co, a, "scans", date(2026, 2, 1))
    for co in cs[:5]:
        intervention(co, b, "workshops", date(2026, 3, 1))
    intervention(cs[0], a, "advisering", date(2026, 4, 1))
    intervention(cs[0], a, "telefoon", date(2026, 4, 2))
    intervention(c7, c, "scans", date(2026, 2, 1))
    intervention(g1, a, "scans", date(2026, 2, 1))  # another province
    intervention(cs[0], a, "scans", date(2025, 1, 1))  # before the period

    past_due, future_due = date(2026, 3, 9), TODAY + timedelta(days=10)
    refs = [
        referral(cs[0], a, b, "completed", at(2026, 3, 2, 10), accepted=at(2026, 3, 4, 10),
                 closed=at(2026, 3, 12, 10)),
        referral(cs[1], a, b, "in-progress", at(2026, 3, 2, 10), accepted=at(2026, 3, 3, 10)),
        referral(cs[2], a, b, "rejected", at(2026, 3, 2, 10), closed=at(2026, 3, 5, 10),
                 reason="past-niet"),
        referral(cs[3], a, c, "failed", at(2026, 3, 2, 10), accepted=at(2026, 3, 6, 10),
                 closed=at(2026, 3, 20, 10), reason="niet-bereikbaar"),
        referral(cs[4], a, b, "requested", at(2026, 3, 2, 10), due=past_due),
        referral(cs[5], b, a, "requested", at(2026, 11, 20, 10), due=future_due),
        referral(c7, b, a, "cancelled", at(2026, 3, 2, 10), closed=at(2026, 3, 3, 10)),
    ]
    # Survey: three invitations by Alfa, two answered.
    scans = db.session.query(Intervention).filter_by(kind="scans", occurred_on=date(2026, 2, 1))
    by_company = {i.company_id: i for i in scans}
    invs = []
    for co in cs[:3]:
        inv = SurveyInvitation(company=co, organisation=a, intervention=by_company[co.id],
                               created_at=at(2026, 2, 2), expires_at=at(2026, 3, 2),
                               token_nonce=f"nonce-{next(_nonce)}")
        db.session.add(inv)
        invs.append(inv)
    db.session.flush()
    db.session.add_all([
        SurveyResponse(invitation=invs[0], company=cs[0], organisation=a, archetype="scans",
                       answered_at=at(2026, 2, 3), answer_1=4, answer_2=2, answer_3=5),
        SurveyResponse(invitation=invs[1], company=cs[1], organisation=a, archetype="scans",
                       answered_at=at(2026, 2, 4), answer_1=3, answer_2=6),
    ])
    # DMA: c1 40 → 60 (+20), c3 30 → 45 (+15), c2 only once.
    def dma_row(co, day, score):
        return DmaAssessment(company=co, organisation=a, assessed_on=day, average=score,
                             **{k: score for k in ("digital_business_strategy",
                                                   "digital_readiness", "human_centric",
                                                   "data_management", "automation_ai",
                                                   "green")})
    db.session.add_all([dma_row(cs[0], date(2026, 1, 10), 40),
                        dma_row(cs[0], date(2026, 6, 10), 60),
                        dma_row(cs[2], date(2025, 6, 1), 30),
                        dma_row(cs[2], date(2026, 5, 1), 45),
                        dma_row(cs[1], date(2026, 5, 1), 70)])
    db.session.commit()
    return SimpleNamespace(orgs=SimpleNamespace(a=a, b=b, c=c, d=d, e=e), users=users,
                           companies=companies, groningen=g1, referrals=refs)


def give_consent(company, org):
    db.session.add(Consent(company_id=company.id, organisation=org, basis="mondeling",
                           given_at=at(2026, 1, 1)))
    db.session.commit()
