"""Blueprints, one per area."""


def register_blueprints(app) -> None:
    from . import account, auth, companies, contacts, health
    for module in (auth, companies, contacts, account, health):
        app.register_blueprint(module.bp)
