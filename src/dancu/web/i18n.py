"""Translations and locale formats: Vietnamese by default, English on request.

Texts live in gettext catalogues, ``translations/<lang>/LC_MESSAGES/messages.po``. A msgid is
an English source string (``_("Search citizens")`` in a template; ``pgettext("dataset",
"Type")`` where one English word needs two Vietnamese ones) or a code: a stored value, an
audit action or an error code, listed in :mod:`dancu.web.codes`. ``vi`` translates every
msgid; ``en`` gives English wording to the codes (every code of :mod:`dancu.web.codes` and
the public services' error codes; ``tests/web/test_i18n.py`` holds it to that), as English
source strings need none. An error code without an ``en`` entry shows the English message
the error carries. ``make messages-extract``,
``messages-update`` and ``messages-compile`` maintain them (``babel.cfg`` says what is read).

The compiled ``.mo`` files are not committed: ``make run`` and ``make test`` compile them,
and a catalogue whose ``.mo`` is missing or older than its ``.po`` is compiled in memory on
first use, so a fresh clone, a bare ``pytest`` and a just-edited ``.po`` all work.

Dates and numbers are formatted for the reader's locale by Babel (the ``format_*`` functions
below, the templates' filters of the same names).
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from dancu.common.access import PURPOSES
from dancu.common.i18n import N_

LANGUAGES = ("vi", "en")
DOMAIN = "messages"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# English pages use en_GB's conventions: day-first dates and a 24-hour clock, like the
# Vietnamese pages and like the dd/mm/yyyy the forms ask for (en_US's 5/17/90 would read
# against them). Vietnamese dates are written in full, dd/MM/yyyy, as on administrative
# documents; CLDR's short Vietnamese date (17/5/90) drops the century of a birth year.
LOCALES: dict[str, Locale] = {"vi": Locale.parse("vi_VN"), "en": Locale.parse("en_GB")}
DATE_FORMATS: dict[str, str] = {"vi": "dd/MM/y", "en": "dd/MM/y"}

# The label of each form field an error can name (``DancuError.field``).
FIELD_LABELS: dict[str, str] = {
    "name": N_("Full name"),
    "full_name": N_("Full name"),
    "birth_date": N_("Birth date"),
    "commune_code": N_("Commune"),
    "purpose": N_("Purpose"),
    "page": N_("Page"),
    "pid": N_("ID number"),
    "officer": N_("Officer"),
    "death_date": N_("Date of death"),
    "cause": N_("Cause of death"),
}


def catalogue_path(lang: str, suffix: str = ".po") -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (no translation at all for an unknown language)."""
    if lang not in LANGUAGES:
        return gettext.NullTranslations()
    po, mo = catalogue_path(lang), catalogue_path(lang, ".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    with po.open("rb") as source:
        catalogue = read_po(source, locale=lang, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def translate(lang: str, key: str, default: str | None = None) -> str:
    """A code or English text in ``lang``; else ``default`` (an English message), else ``key``.

    For values known only at run time (a stored code, an error code, a label held in a
    variable); literal texts go through ``gettext`` so that extraction finds them.
    """
    text = translations(lang).gettext(key) if key else key
    if text == key and default is not None:
        return default
    return text


def purpose_choices() -> list[tuple[str, str]]:
    return list(PURPOSES.items())


def pick_language(query_lang: str | None, cookie_lang: str | None, default: str) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return default


def format_date(value: date | None, lang: str) -> str:
    return dates.format_date(value, DATE_FORMATS[lang], locale=LOCALES[lang]) if value else ""


def format_datetime(value: datetime | None, lang: str) -> str:
    """A moment in Vietnam's time zone: the date as :func:`format_date`, the time to the second."""
    if value is None:
        return ""
    locale = LOCALES[lang]
    moment = value.astimezone(VN_TZ)
    time = dates.format_time(moment, "medium", locale=locale)
    pattern = locale.datetime_formats["medium"].replace("'", "")
    return pattern.replace("{0}", time).replace("{1}", format_date(moment.date(), lang))


def format_number(value: float | None, lang: str) -> str:
    return numbers.format_decimal(value, locale=LOCALES[lang]) if value is not None else ""


def format_percent(value: float | None, lang: str, digits: int = 0) -> str:
    """A ratio (0.971) as a percentage with ``digits`` decimals: ``97,1%`` in Vietnamese."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return numbers.format_percent(value, pattern, locale=LOCALES[lang])
