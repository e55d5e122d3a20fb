"""Error codes and event topics are declared once, and every error code speaks Vietnamese.

Each domain lists its codes in ``<domain>/errors.py`` (the kernel's in ``common/errors.py``)
and the topics it emits in ``<domain>/events.py``; code that raises or emits imports the
constant. A ``code="..."`` literal anywhere else, or a topic literal handed to
``outbox.emit``/``subscribe``, fails here, and so does a code without a Vietnamese message.
"""

from __future__ import annotations

import ast
import importlib
from enum import StrEnum
from pathlib import Path

import pytest

from dancu.web.i18n import translate

SRC = Path(__file__).resolve().parents[2] / "src" / "dancu"
ERROR_MODULES = ["dancu.common.errors"] + [
    f"dancu.{p.parent.name}.errors"
    for p in sorted(SRC.glob("*/errors.py"))
    if p.parent.name != "web"
]


def declared_codes() -> dict[str, str]:
    """Every declared code -> the enum that declares it."""
    found: dict[str, str] = {}
    for name in ERROR_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum:
                for member in value:
                    found[member.value] = f"{name}.{value.__name__}"
    return found


def literal_codes(source: str) -> list[tuple[int, str]]:
    """``code="..."`` keyword literals in a module's source (line, code)."""
    return [
        (node.value.lineno, node.value.value)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.keyword)
        and node.arg == "code"
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]


def literal_topics(source: str) -> list[tuple[int, str]]:
    """String literals given as the topic of ``emit(session, topic, ...)`` or ``subscribe``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        position = {"emit": 1, "subscribe": 0}.get(name)
        if position is None or len(node.args) <= position:
            continue
        topic = node.args[position]
        if isinstance(topic, ast.Constant) and isinstance(topic.value, str):
            found.append((topic.lineno, topic.value))
    return found


def test_the_domains_declare_their_codes():
    codes = declared_codes()
    assert {"registry.errors", "identity.errors", "linkage.errors"} <= {
        m.split(".", 1)[1] for m in ERROR_MODULES
    }
    assert codes["card.exists"].endswith("RegistryErrorCode")
    assert codes["identity.login_failed"].endswith("IdentityErrorCode")


def test_no_code_literal_outside_the_declarations():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for line, code in literal_codes(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(SRC)}:{line} {code}")
    assert offenders == []


def test_no_topic_literal_where_events_are_emitted_or_subscribed():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "events.py":
            continue
        for line, topic in literal_topics(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(SRC)}:{line} {topic}")
    assert offenders == []


def test_the_checkers_find_literals():
    assert literal_codes('raise NotFound("x", code="card.missing")\n') == [(1, "card.missing")]
    assert literal_codes('raise NotFound("x", code=Codes.CARD)\n') == []
    source = 'outbox.emit(session, "citizen.died", {})\ndispatcher.subscribe("citizen.died", f)\n'
    assert literal_topics(source) == [(1, "citizen.died"), (2, "citizen.died")]
    assert literal_topics("outbox.emit(session, events.CITIZEN_DIED, {})\n") == []


@pytest.mark.parametrize("code", sorted(declared_codes()))
def test_every_code_has_a_vietnamese_message(code):
    assert translate("vi", code) != code, f"no Vietnamese message for {code}"
