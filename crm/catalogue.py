"""Translating outside a request (e-mail, PDFs, CLI): the same catalogues, no Flask."""
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"


@cache
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [locale], domain="messages")


def translate(msgid: str, locale: str) -> str:
    return _catalogue(locale).gettext(msgid) if locale != "en" else msgid
