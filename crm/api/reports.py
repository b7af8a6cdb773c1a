"""Reports as files: ``GET /api/v1/companies/<kvk>/klantreis.pdf`` — the klantreis of one
company as the token's user may see it, in the user's language."""
from flask import Response
from flask_babel import force_locale

from ..extensions import db
from ..reports.klantreis import klantreis_pdf, pdf_filename
from . import bp, lookups
from .auth import current


@bp.get("/companies/<kvk>/klantreis.pdf")
def klantreis(kvk):
    user = current()
    company = lookups.company_or_404(kvk, user)
    with force_locale(user.locale):
        pdf = klantreis_pdf(company, user, session=db.session)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{pdf_filename(company)}"'})
