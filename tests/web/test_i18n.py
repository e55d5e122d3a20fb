"""Every text a page can show has a Vietnamese translation (and stored codes an English one).

Literal strings come from the templates (``t("...")``); codes shown through ``t(value)``
come from where they are defined: the tables' CHECK constraints, the schemas' literals, the
roles, the audit actions, the purposes and the error codes raised anywhere in ``src``.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, Table

from dancu.common.access import PURPOSES, Role
from dancu.registry import cards
from dancu.registry.models import Citizen as CitizenRow
from dancu.registry.models import CivilEvent, IdCard
from dancu.registry.schemas import Relation, Sex
from dancu.web.i18n import EN, FIELD_LABELS, VI, pick_language, translate

SRC = Path(__file__).resolve().parents[2] / "src" / "dancu"
T_CALL = re.compile(r"""(?<![\w.])t\(\s*(["'])(.+?)\1\s*[,)]""")
ERROR_CODE = re.compile(r"""\bcode=(["'])([a-z_]+(?:\.[a-z_]+)+)\1""")
EVENT_DATE_FIELD = re.compile(r"valid_event_date\((?:[^()]|\([^()]*\))*?field=\"(\w+)\"")


def template_strings() -> dict[str, set[str]]:
    """Each literal passed to t() in a template -> the templates that use it."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.glob("**/templates/**/*.html")):
        for match in T_CALL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(2), set()).add(str(path.relative_to(SRC)))
    return found


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
    """Stored codes the pages translate with t(value)."""
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
    codes: set[str] = set()
    for path in SRC.glob("**/*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= {m.group(2) for m in ERROR_CODE.finditer(text)}
        for field in EVENT_DATE_FIELD.findall(text):  # code=f"{field}.future" and friends
            codes |= {f"{field}.future", f"{field}.before_birth"}
    return sorted(codes)


def test_the_scan_finds_the_templates_strings():
    strings = template_strings()
    assert strings["Access history"] == {"registry/templates/registry/record.html"}
    assert strings["Search citizens"] == {
        "registry/templates/registry/search.html",
        "web/templates/base.html",
    }
    assert "Page" in strings  # single-quoted t('Page')


def test_every_template_string_has_a_vietnamese_entry():
    missing = sorted(
        f"{key!r} (in {', '.join(sorted(where))})"
        for key, where in template_strings().items()
        if not VI.get(key)
    )
    assert missing == [], "add to dancu.web.i18n.VI:\n" + "\n".join(missing)


def test_every_code_shown_on_a_page_reads_well_in_both_languages():
    codes = shown_codes()
    assert "widowed" in codes and "card.issued" in codes and "civil_status.death" in codes
    assert [c for c in codes if not VI.get(c)] == []
    assert [c for c in codes if not EN.get(c)] == []


def test_every_purpose_and_field_label_has_a_vietnamese_entry():
    labels = [*PURPOSES.values(), *FIELD_LABELS.values()]
    assert [label for label in labels if not VI.get(label)] == []


def test_every_error_code_raised_has_a_vietnamese_message():
    codes = error_codes()
    assert "date.invalid" in codes and "death_date.before_birth" in codes
    assert [c for c in codes if not VI.get(c)] == []


def test_vietnamese_entries_keep_the_english_placeholders():
    placeholder = re.compile(r"\{(\w+)\}")
    wrong = [
        key
        for key, text in VI.items()
        if set(placeholder.findall(key)) != set(placeholder.findall(text))
        and placeholder.search(key)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("lang", "key", "default", "expected"),
    [
        ("vi", "Search citizens", None, "Tra cứu công dân"),
        ("en", "Search citizens", None, "Search citizens"),
        ("vi", "widowed", None, "Góa"),
        ("en", "widowed", None, "Widowed"),
        ("vi", "date.invalid", "english message", VI["date.invalid"]),
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
