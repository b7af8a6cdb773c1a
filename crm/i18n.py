"""Languages: Dutch by default, English per user (or per session before signing in)."""
from pathlib import Path

from flask import has_request_context, session
from flask_babel import get_locale
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


def init_app(app) -> None:
    _compile_catalogues()
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS))

    @app.context_processor
    def locale_context():
        return {"current_locale": str(get_locale() or "nl"), "LOCALES": LOCALES}
