"""JSON API v1: bearer tokens, the same policy and operations as the screens.

Register :data:`bp` on the app and exempt it from CSRF (it does not use the session cookie)::

    app.register_blueprint(api.bp); csrf.exempt(api.bp)
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import (auth, companies, errors, interventions, journey, offerings,  # noqa: E402,F401
               openapi, referrals)
from . import survey  # noqa: E402,F401  (impact survey links)
from . import reports  # noqa: E402,F401  (klantreis PDF)
from . import monitor  # noqa: E402,F401  (monitor figures and regional PDF)
