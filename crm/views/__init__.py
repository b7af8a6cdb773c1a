def register_blueprints(app):
    pass
