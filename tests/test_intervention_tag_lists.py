"""Each intervention's bottleneck and topic lists (which the timeline reads) follow the tag
tables whatever writes them: the operations, plain SQL inserts and deletes as the import and
a restore do, moving a tag to another intervention, and deleting the intervention."""
from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.interventions import delete_intervention, log_intervention, update_intervention
from crm.journeys.timeline import timeline_for
from crm.models import Intervention
from crm.models.intervention import intervention_bottlenecks, intervention_topics


def _lists(intervention_id: int) -> tuple[str, str]:
    """The lists as stored in the database (not the ORM's copy)."""
    return tuple(db.session.execute(
        sa.select(Intervention.bottleneck_list, Intervention.topic_list)
        .where(Intervention.id == intervention_id)).one())


def _log(company, user, **data):
    return log_intervention(company, {"kind": "intake", "occurred_on": date(2026, 3, 2),
                                      **data}, by=user)


def test_lists_follow_logging_and_editing(make_org, make_user, make_company):
    user, company = make_user(org=make_org()), make_company()
    logged = _log(company, user, bottlenecks=["willen", "kunnen", "willen"],
                  topics=["data", "ai", "cybersecurity"])
    db.session.commit()
    assert _lists(logged.id) == ("kunnen,willen", "ai,cybersecurity,data")
    update_intervention(logged, {"kind": "intake", "occurred_on": date(2026, 3, 2),
                                 "bottlenecks": ["weten"], "topics": []}, by=user)
    db.session.commit()
    assert _lists(logged.id) == ("weten", "")
    items = [i for i in timeline_for(company, user).items if i.type == "intervention"]
    assert [(i.bottlenecks, i.topics) for i in items] == [(["weten"], [])]


def test_lists_follow_plain_sql_inserts_updates_and_deletes(make_org, make_user, make_company):
    user, company = make_user(org=make_org()), make_company()
    first, second = _log(company, user), _log(company, user)
    db.session.commit()
    assert _lists(first.id) == ("", "")
    # As the import and a restore write them: many rows in one statement, no ORM.
    db.session.execute(sa.insert(intervention_bottlenecks), [
        {"intervention_id": first.id, "bottleneck": b} for b in ("weten", "kunnen")] + [
        {"intervention_id": second.id, "bottleneck": "vraagarticulatie"}])
    db.session.execute(sa.insert(intervention_topics), [
        {"intervention_id": first.id, "topic": "iot"}])
    db.session.commit()
    assert _lists(first.id) == ("kunnen,weten", "iot")
    assert _lists(second.id) == ("vraagarticulatie", "")
    # A tag moved to the other intervention leaves the one and joins the other.
    db.session.execute(sa.update(intervention_topics)
                       .where(intervention_topics.c.intervention_id == first.id)
                       .values(intervention_id=second.id))
    db.session.execute(sa.delete(intervention_bottlenecks).where(
        intervention_bottlenecks.c.bottleneck == "kunnen"))
    db.session.commit()
    assert _lists(first.id) == ("weten", "")
    assert _lists(second.id) == ("vraagarticulatie", "iot")
    db.session.rollback()


def test_a_rolled_back_change_leaves_the_lists_as_they_were(make_org, make_user, make_company):
    user, company = make_user(org=make_org()), make_company()
    logged = _log(company, user, bottlenecks=["weten"])
    db.session.commit()
    db.session.execute(sa.insert(intervention_bottlenecks),
                       [{"intervention_id": logged.id, "bottleneck": "kunnen"}])
    assert _lists(logged.id) == ("kunnen,weten", "")
    db.session.rollback()
    assert _lists(logged.id) == ("weten", "")


def test_deleting_an_intervention_deletes_its_tags(make_org, make_user, make_company):
    user, company = make_user(org=make_org()), make_company()
    logged = _log(company, user, bottlenecks=["weten"], topics=["data"])
    db.session.commit()
    gone = logged.id
    delete_intervention(logged, by=user)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(intervention_bottlenecks)
                             .where(intervention_bottlenecks.c.intervention_id == gone)) == 0
    assert timeline_for(company, user).items == []
