"""Languages: Dutch by default, English per user (or per session before signing in)."""
from pathlib import Path

from flask import has_request_context, session
from flask.globals import _cv_app
from flask_babel import Domain, get_locale
from flask_login import current_user

from .extensions import babel
from .models import LOCALES

TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    if not has_request_context():
        return "nl"  # CLI commands, mail jobs: the default language
    if getattr(current_user, "is_authenticated", False):
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return "nl"


def _compile_catalogues() -> None:
    """Compile ``.po`` catalogues whose ``.mo`` is missing or older (a fresh checkout)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as f:
                catalogue = read_po(f)
            tmp = mo.with_suffix(".mo.tmp")
            with open(tmp, "wb") as f:
                write_mo(f, catalogue)
            tmp.replace(mo)


class _RequestCachedDomain(Domain):
    """Flask-Babel's message domain, with the catalogue looked up once per request and locale.

    Flask-Babel finds the catalogue anew for every string it translates (the locale turned
    into its name, several context look-ups), which on a page with a few hundred labels costs
    milliseconds. Here it is kept on ``g`` next to the locale object it belongs to, so a
    ``force_locale`` (mail in the recipient's language) or a ``refresh`` still takes effect.
    """

    def get_translations(self):
        # The app context's ``g`` itself rather than the ``g`` proxy: this runs for every
        # translated string, a few hundred times per page.
        ctx = _cv_app.get(None)
        if ctx is None:
            return super().get_translations()
        state = ctx.g.__dict__
        locale = getattr(state.get("_flask_babel"), "babel_locale", None)
        memo = state.get("_crm_translations")
        if memo is not None and locale is not None and memo[0] is locale:
            return memo[1]
        translations = super().get_translations()
        locale = getattr(state.get("_flask_babel"), "babel_locale", None)
        if locale is not None:
            state["_crm_translations"] = (locale, translations)
        return translations


_DOMAIN = _RequestCachedDomain()


def init_app(app) -> None:
    _compile_catalogues()
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS))
    # Python's gettext/lazy_gettext and the templates' _() all go through this domain.
    babel.__dict__["domain_instance"] = _DOMAIN
    translations = _DOMAIN.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n))

    @app.context_processor
    def locale_context():
        return {"current_locale": str(get_locale() or "nl"), "LOCALES": LOCALES}
