"""Blueprints, one per area."""


def register_blueprints(app) -> None:
    from .. import api
    from ..extensions import csrf
    from . import (account, auth, companies, consent, contacts, frontdoor, health, interventions,
                   labels, notifications, offerings, referrals, tasks)
    labels.init_app(app)
    for blueprint in (auth.bp, companies.bp, contacts.bp, account.bp, health.bp,
                      interventions.bp, referrals.bp, consent.bp, tasks.bp, notifications.bp,
                      offerings.bp,  # the ecosystem map
                      frontdoor.bp,  # public: the one front door
                      frontdoor.staff_bp,  # the intake point's queue
                      api.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
