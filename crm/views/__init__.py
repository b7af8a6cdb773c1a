"""Blueprints, one per area."""


def register_blueprints(app) -> None:
    from .. import api
    from ..extensions import csrf
    from . import (account, auth, companies, consent, contacts, health, interventions, labels,
                   notifications, referrals, tasks)
    labels.init_app(app)
    for module in (auth, companies, contacts, account, health, interventions, referrals, consent,
                   tasks, notifications):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
