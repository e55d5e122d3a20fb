"""Every text a page can show has a Vietnamese translation (and stored codes an English one).

The catalogues are ``src/dancu/web/translations/<lang>/LC_MESSAGES/messages.po``. Extracting
the sources as ``make messages-extract`` does (``babel.cfg``) must give exactly the msgids of
the Vietnamese catalogue, each translated and none fuzzy: a missing one is a text shown in
English, an extra one would turn obsolete at the next ``make messages-update``. Codes shown
through ``translate(value)`` come from where they are defined: the tables' CHECK
constraints, the schemas' literals, the roles, the audit actions, the purposes and the error
codes raised anywhere in ``src``; ``dancu.web.codes`` lists them for extraction.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import typing
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import CheckConstraint, Table

from dancu.common.access import PURPOSES, Permission, Role
from dancu.linkage.errors import LinkageErrorCode
from dancu.procedures.documents.errors import DocumentErrorCode
from dancu.procedures.errors import ProcedureErrorCode
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.registry import cards
from dancu.registry.models import Citizen as CitizenRow
from dancu.registry.models import CivilEvent, IdCard
from dancu.registry.schemas import Relation, Sex
from dancu.web import i18n
from dancu.web.codes import CODES
from dancu.web.extraction import enum_values
from dancu.web.i18n import (
    FIELD_LABELS,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    pick_language,
    translate,
    translations,
)
from tests.architecture.test_error_codes import declared_codes

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "dancu"
ERROR_CODE = re.compile(r"""\bcode=(["'])([a-z_]+(?:\.[a-z_]+)+)\1""")
EVENT_DATE_FIELD = re.compile(r"valid_event_date\((?:[^()]|\([^()]*\))*?field=\"(\w+)\"")
AUDIT_ACTION = re.compile(r"""\baction=(["'])([a-z_]+(?:\.[a-z_]+)+)\1""")
TRANSLATE_LITERAL = re.compile(r"""(?<![\w.])translate\(\s*(["'])(.+?)\1\s*[,)]""")

Key = tuple[str | None, str]  # (context, msgid); a plural entry by its singular


@cache
def extracted() -> dict[Key, set[str]]:
    """Each msgid ``make messages-extract`` finds -> the files (relative to src) it is in."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[Key, set[str]] = {}
    for filename, _, message, _, context in extract_from_dir(SRC, method_map, options_map):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((context, msgid), set()).add(f"dancu/{filename}")
    return found


@cache
def catalogue(lang: str) -> Catalog:
    with i18n.catalogue_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


def entries(lang: str) -> dict[Key, typing.Any]:
    """The catalogue's live (not obsolete) entries by key."""
    return {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue(lang) if m.id
    }


def checked_values(table: Table, column: str) -> list[str]:
    """The values a CHECK constraint ``column IN (...)`` allows."""
    for constraint in table.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        text = str(constraint.sqltext)
        if text.startswith(f"{column} IN"):
            return re.findall(r"'([^']+)'", text)
    raise AssertionError(f"no CHECK on {table.name}.{column}")


def shown_codes() -> list[str]:
    """Stored codes the pages translate with translate(value)."""
    citizen, card, event = CitizenRow.__table__, IdCard.__table__, CivilEvent.__table__
    card_actions = ["card.applied"] + [f"card.{t}" for _, t in cards._TRANSITIONS.values()]
    return [
        *typing.get_args(Sex),
        *checked_values(citizen, "status"),  # type: ignore[arg-type]
        *checked_values(citizen, "marital_status"),  # type: ignore[arg-type]
        *checked_values(card, "status"),  # type: ignore[arg-type]
        *typing.get_args(Relation),
        "citizen.read",
        "citizen.read_refused",
        "citizen.listed",
        "household.read",
        *card_actions,
        *(f"civil_status.{k}" for k in checked_values(event, "kind")),  # type: ignore[arg-type]
        *(r.value for r in Role),
    ]


def error_codes() -> list[str]:
    """The declared error codes (``errors.py`` of each domain), any literal one left, and
    the event-date codes composed from a field name."""
    codes: set[str] = set(declared_codes())
    for path in SRC.glob("**/*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= {m.group(2) for m in ERROR_CODE.finditer(text)}
        for field in EVENT_DATE_FIELD.findall(text):  # code=f"{field}.future" and friends
            codes |= {f"{field}.future", f"{field}.before_birth"}
    return sorted(codes)


def test_the_extraction_finds_the_templates_and_modules_strings():
    found = extracted()
    assert found[(None, "Access history")] == {"dancu/registry/templates/registry/record.html"}
    assert found[(None, "Search citizens")] == {
        "dancu/registry/templates/registry/search.html",
        "dancu/web/navigation.py",  # the header's links, by permission
    }
    assert (None, "Page") in found  # single-quoted _('Page')
    assert (None, "Page %(page)s / %(last)s") in found  # a {% trans %} block
    assert (None, "%(num)s result") in found  # ngettext, by its singular
    assert {("dataset", "Type"), ("document", "Type")} <= found.keys()  # pgettext
    assert "dancu/identity/wallet/document_types.py" in found[(None, "Driving licence")]  # N_()
    assert found[(None, "card.issued")] == {"dancu/web/codes.py"}
    assert found[(None, "police")] == {"dancu/common/access.py"}  # a StrEnum's member
    assert found[(None, "linkage.already_decided")] == {"dancu/linkage/errors.py"}


def str_enums() -> list[type[StrEnum]]:
    """Every ``StrEnum`` declared in ``src/dancu``."""
    found = []
    for path in sorted(SRC.glob("**/*.py")):
        if "StrEnum" not in path.read_text(encoding="utf-8"):
            continue
        name = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        found += [
            value
            for value in vars(importlib.import_module(name)).values()
            if isinstance(value, type)
            and issubclass(value, StrEnum)
            and value is not StrEnum
            and value.__module__ == name
        ]
    return found


def test_the_extractor_finds_the_members_of_a_str_enum_and_nothing_else():
    source = (
        "import enum\n"
        "class Code(StrEnum):\n"
        "    A = 'x.a'\n"
        "    _IGNORED = 'x.private'\n"
        "    B: str = 'x.annotated'\n"
        "class Other(enum.StrEnum):\n"
        '    C = "x.c"\n'
        "class Plain:\n"
        "    D = 'x.d'\n"
    )
    assert enum_values(source) == [(3, "x.a"), (5, "x.annotated"), (7, "x.c")]


def test_every_str_enum_member_is_extracted_and_named_in_both_languages():
    """Roles, permissions and every domain's error codes: a new member needs no list entry
    (it is extracted where it is declared), but fails here until it is translated. Roles and
    permissions read in both languages; an error's English text travels with the error."""
    enums = str_enums()
    assert Role in enums and Permission in enums and LinkageErrorCode in enums
    found = extracted()
    members = [(enum, member) for enum in enums for member in enum]
    assert [str(m) for _, m in members if (None, m.value) not in found] == []
    assert [str(m) for _, m in members if translate("vi", m.value) == m.value] == []
    named = [m for enum, m in members if enum in (Role, Permission)]
    assert [str(m) for m in named if translate("en", m.value) == m.value] == []


def test_the_codes_list_repeats_no_str_enum_member():
    """A member is extracted where its enum declares it; listing it again is repetition."""
    declared = {member.value for enum in str_enums() for member in enum}
    assert sorted(set(CODES) & declared) == []
    assert len(CODES) == len(set(CODES))


def test_every_extracted_msgid_has_a_vietnamese_entry():
    vi = entries("vi")
    missing = sorted(
        f"{key!r} (in {', '.join(sorted(where))})"
        for key, where in extracted().items()
        if key not in vi
    )
    assert missing == [], "run `make messages-update`, then translate in vi/messages.po:\n" + (
        "\n".join(missing)
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_catalogues_hold_no_msgid_the_sources_lost(lang):
    """An entry no source extracts would turn obsolete at the next ``make messages-update``."""
    assert sorted(str(key) for key in entries(lang).keys() - extracted().keys()) == []


def test_the_vietnamese_catalogue_has_no_untranslated_or_fuzzy_entry():
    vi = catalogue("vi")
    untranslated = [m.id for m in vi if m.id and not all(_strings(m.string))]
    fuzzy = [m.id for m in vi if m.id and m.fuzzy]
    assert (untranslated, fuzzy, vi.fuzzy) == ([], [], False)


def test_plural_forms_one_in_vietnamese_two_in_english():
    assert (catalogue("vi").num_plurals, catalogue("en").num_plurals) == (1, 2)
    one, many = "%(num)s result", "%(num)s results"
    assert [translations("vi").ngettext(one, many, n) for n in (1, 2)] == ["%(num)s kết quả"] * 2
    assert [translations("en").ngettext(one, many, n) for n in (1, 2)] == [one, many]


def test_one_english_word_with_two_vietnamese_ones_has_a_context_each():
    vi = translations("vi")
    assert vi.pgettext("document", "Type") == "Loại"
    assert vi.pgettext("dataset", "Type") == "Loại dữ liệu"
    assert translations("en").pgettext("dataset", "Type") == "Type"


def test_templates_pass_only_codes_to_translate():
    """Literal texts go through gettext, where extraction sees them; translate() is for values."""
    literals = {
        match.group(2)
        for path in SRC.glob("**/templates/**/*.html")
        for match in TRANSLATE_LITERAL.finditer(path.read_text(encoding="utf-8"))
    }
    assert "identity.level_insufficient" in literals  # step_up.html: the scan works
    declared = {member.value for enum in str_enums() for member in enum}
    assert sorted(literals - set(CODES) - declared) == []


def test_every_code_shown_on_a_page_reads_well_in_both_languages():
    codes = shown_codes()
    assert "widowed" in codes and "card.issued" in codes and "civil_status.death" in codes
    assert [c for c in codes if translate("vi", c) == c] == []
    assert [c for c in codes if translate("en", c) == c] == []


def test_every_audit_action_written_reads_well_in_both_languages():
    """A record's access history and a citizen's "who read my data" show each audit entry's
    action with translate(action): one written without an entry showed as its code
    ("citizen.vitals_read" on the record of a social-payment beneficiary)."""
    sources = [path.read_text(encoding="utf-8") for path in SRC.glob("**/*.py")]
    actions = sorted({m.group(2) for text in sources for m in AUDIT_ACTION.finditer(text)})
    assert "citizen.vitals_read" in actions and "recovery.listed" in actions
    for lang in ("vi", "en"):
        assert [a for a in actions if translate(lang, a) == a] == [], lang


def test_linkage_and_account_codes_read_well_in_english_too():
    """Outcomes, run statuses, steps, fields, wallet states and history events on English pages."""
    shown = ("outcome.", "job.", "step.", "field.", "wallet.state.", "account.")
    codes = [c for c in CODES if c.startswith(shown)]
    assert "outcome.probable_match" in codes and "account.login" in codes
    assert [c for c in codes if translate("en", c) == c] == []


def test_the_import_problems_of_a_dataset_read_well_in_english_too():
    """A sector dataset's page lists its import problems with translate(code): in English,
    a code without an English entry was shown as is ("id.cmnd9", "row.duplicate_key")."""
    shown = ("row.", "name.", "date.", "address.", "phone.", "id.", "sex.")
    codes = [c for c in CODES if c.startswith(shown)]
    assert "id.cmnd9" in codes and "row.duplicate_key" in codes
    assert [c for c in codes if translate("en", c) == c] == []


def test_every_listed_code_has_an_english_text():
    """Every code of ``dancu.web.codes`` and every stored value reaches a page through
    ``translate(code)``: an English page shows its English entry, so each needs one, not
    empty (an empty one fell back to the code, or to the developer's message of an error:
    "a PID has 12 digits, got 11", "The issuer's signature does not verify")."""
    en = entries("en")
    codes = [*CODES, *shown_codes()]
    assert "pid.length" in codes and "chip.mrz_mismatch" in codes and "oidc.client_grant" in codes
    missing = [c for c in codes if (None, c) not in en or not all(_strings(en[(None, c)].string))]
    assert missing == [], "write their English in en/messages.po:\n" + "\n".join(missing)


def test_the_public_services_errors_read_well_in_english_too():
    """A citizen's application form and dossier, an officer's dossier and the fees pages show
    their errors with translate(code, message): in English the message was a developer's
    ("purpose is required", "The component id_card is missing")."""
    enums = (ProcedureErrorCode, PaymentErrorCode, DocumentErrorCode)
    codes = [member.value for enum in enums for member in enum]
    assert "procedures.field_required" in codes and "payment.apply_amount" in codes
    assert [c for c in codes if translate("en", c) == c] == []


def test_the_english_catalogue_has_no_fuzzy_entry():
    en = catalogue("en")
    assert ([m.id for m in en if m.id and m.fuzzy], en.fuzzy) == ([], False)


def test_english_entries_keep_the_placeholders():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue("en").check()]
    assert problems == []


def test_every_purpose_and_field_label_has_a_vietnamese_entry():
    labels = [*PURPOSES.values(), *FIELD_LABELS.values()]
    assert [label for label in labels if translate("vi", label) == label] == []


def test_every_error_code_raised_has_a_vietnamese_message():
    codes = error_codes()
    assert "date.invalid" in codes and "death_date.before_birth" in codes
    assert [c for c in codes if translate("vi", c) == c] == []


def test_vietnamese_entries_keep_the_english_placeholders():
    """Babel's checks: a python-format msgid's %(name)s placeholders are all in the msgstr."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue("vi").check()]
    assert problems == []


@pytest.mark.parametrize(
    ("lang", "key", "default", "expected"),
    [
        ("vi", "Search citizens", None, "Tra cứu công dân"),
        ("en", "Search citizens", None, "Search citizens"),
        ("vi", "widowed", None, "Góa"),
        ("en", "widowed", None, "Widowed"),
        (
            "vi",
            "date.invalid",
            "english message",
            "Ngày tháng phải là một ngày có thật, viết theo dạng dd/mm/yyyy (ví dụ: 17/05/1990).",
        ),
        ("en", "date.invalid", "english message", "english message"),
        ("vi", "no.such.code", "english message", "english message"),
        ("vi", "Untranslated text", None, "Untranslated text"),
    ],
)
def test_translate_falls_back_to_the_english_message_then_the_key(lang, key, default, expected):
    assert translate(lang, key, default) == expected


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        ("en", None, "en"),
        (None, "en", "en"),
        ("vi", "en", "vi"),
        ("fr", None, "vi"),
        (None, "xx", "vi"),
    ],
)
def test_language_choice_query_then_cookie_then_default(query, cookie, expected):
    assert pick_language(query, cookie, "vi") == expected


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else string


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", ["03/12/2026", "15:05:09 03/12/2026", "12.345", "97,1%", "97%"]),
        ("en", ["03/12/2026", "03/12/2026, 15:05:09", "12,345", "97.1%", "97%"]),
    ],
)
def test_dates_and_numbers_follow_the_readers_locale(lang, expected):
    moment = datetime(2026, 12, 3, 8, 5, 9, tzinfo=UTC)  # 15:05:09 in Vietnam
    assert [
        format_date(date(2026, 12, 3), lang),
        format_datetime(moment, lang),
        format_number(12345, lang),
        format_percent(0.9712, lang, 1),
        format_percent(0.9712, lang),
    ] == expected
    assert (format_date(None, lang), format_datetime(None, lang)) == ("", "")


def test_a_catalogue_without_a_fresh_mo_file_is_compiled_from_its_po(tmp_path, monkeypatch):
    """A fresh clone has no .mo files; an edited .po is newer than its .mo."""
    po = tmp_path / "vi" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(i18n.catalogue_path("vi"), po)
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    translations.cache_clear()
    try:
        assert translations("vi").gettext("Search citizens") == "Tra cứu công dân"
        mo = po.with_suffix(".mo")
        mo.write_bytes(b"not a catalogue")
        os.utime(mo, (po.stat().st_mtime - 60,) * 2)  # compiled before the last edit
        translations.cache_clear()
        assert translations("vi").gettext("Search citizens") == "Tra cứu công dân"
    finally:
        translations.cache_clear()
