"""admin (to be written)."""


def init_app(app):
    pass
