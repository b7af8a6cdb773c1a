"""The in-memory catalogue behind the next-door suggestions is never stale: any change to the
offerings or an organisation's active flag — through the app or in plain SQL, committed or
rolled back — is seen by the next suggestion."""
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys import suggestion_catalogue
from crm.journeys.suggestions import suggest_next_doors
from crm.models import Organisation

from .test_suggestions import make_offering, world  # noqa: F401 (fixtures)


def _names(world, **kw):
    return [s.offering.name for s in suggest_next_doors(world["company"],
                                                        viewer=world["viewer"], **kw)]


def test_the_catalogue_is_kept_while_nothing_changes(world, make_offering):
    make_offering(world["partner"], "Scan")
    _names(world)
    first = suggestion_catalogue.catalogue(db.session)
    _names(world)
    assert suggestion_catalogue.catalogue(db.session) is first


def test_a_change_in_plain_sql_is_seen_at_once(world, make_offering):
    offering = make_offering(world["partner"], "Scan")
    [before] = suggest_next_doors(world["company"], viewer=world["viewer"], question="robotica")
    assert before.offering.name == "Scan" and "question" not in before.reason_text
    db.session.execute(sa.text("UPDATE offerings SET name = 'Robotica-scan' WHERE id = :id"),
                       {"id": offering.id})
    db.session.commit()
    db.session.expire_all()
    [best] = suggest_next_doors(world["company"], viewer=world["viewer"], question="robotica")
    assert best.offering.name == "Robotica-scan"
    assert "question: robotica" in best.reason_text


def test_an_organisation_made_inactive_drops_out(world, make_offering):
    make_offering(world["partner"], "Scan")
    make_offering(world["other"], "Workshop")
    assert sorted(_names(world)) == ["Scan", "Workshop"]
    db.session.get(Organisation, world["partner"].id).active = False
    db.session.commit()
    assert _names(world) == ["Workshop"]


def test_a_rolled_back_change_is_forgotten(world, make_offering):
    offering = make_offering(world["partner"], "Scan")
    assert _names(world) == ["Scan"]
    db.session.execute(sa.text("UPDATE offerings SET active = false WHERE id = :id"),
                       {"id": offering.id})
    assert _names(world) == []  # the transaction sees its own change
    db.session.rollback()
    assert _names(world) == ["Scan"]


def test_without_a_marker_the_catalogue_is_read_every_time(world, make_offering):
    make_offering(world["partner"], "Scan")
    db.session.execute(sa.text("DELETE FROM catalogue_markers"))
    db.session.commit()
    assert _names(world) == ["Scan"]
    assert suggestion_catalogue.catalogue(db.session) is not \
        suggestion_catalogue.catalogue(db.session)
