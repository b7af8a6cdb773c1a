"""Every user-facing string is in the Dutch catalogue, translated, and not marked fuzzy."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None}
METHODS = [("crm/**.py", "python"), ("templates/**.html", "jinja2")]


def source_messages() -> dict[str, str]:
    found = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found[msgid] = _filename
    return found


def catalogue(locale: str):
    with open(ROOT / "crm" / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def test_every_string_has_a_dutch_translation():
    dutch = catalogue("nl")
    missing = sorted(msgid for msgid in source_messages()
                     if msgid not in dutch or not dutch[msgid].string
                     or (isinstance(dutch[msgid].string, tuple)
                         and not all(dutch[msgid].string)))
    assert not missing, f"{len(missing)} untranslated strings, e.g. {missing[:15]}"


def test_no_fuzzy_translations():
    fuzzy = [m.id for m in catalogue("nl") if m.id and m.fuzzy]
    assert not fuzzy, fuzzy[:15]
