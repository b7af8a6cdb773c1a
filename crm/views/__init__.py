"""Blueprints, one per area."""


def register_blueprints(app) -> None:
    from .. import api
    from ..extensions import csrf
    from . import (account, auth, companies, consent, contacts, frontdoor, health, interventions,
                   labels, notifications, offerings, referrals, tasks)
    from . import journeys
    from . import maturity, survey
    from . import merge
    from . import audit, exports, privacy
    from . import imports
    from . import monitor
    labels.init_app(app)
    for blueprint in (auth.bp, companies.bp, contacts.bp, account.bp, health.bp,
                      interventions.bp, referrals.bp, consent.bp, tasks.bp, notifications.bp,
                      offerings.bp,  # the ecosystem map
                      frontdoor.bp,  # public: the one front door
                      frontdoor.staff_bp,  # the intake point's queue
                      journeys.bp,  # journey list, saved views, klantreis PDF, EU export
                      survey.bp, maturity.bp,  # impact survey links, DMA results
                      survey.public_bp,  # public: the entrepreneur answers the survey
                      merge.bp,  # duplicate companies and merges
                      audit.bp, exports.bp, privacy.bp,  # history, exports, AVG rights
                      imports.bp,  # import wizard (CSV, .xlsx)
                      monitor.bp,  # coordinator dashboard, CSV, regional PDF
                      api.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
