"""What ``make messages-extract`` collects from a Python module (``babel.cfg``'s extractor).

Babel's own Python extractor finds the marked texts (``_()``, ``N_()``, ...). Codes declared
as the members of a ``StrEnum`` (the roles, the permissions, every domain's error codes)
reach pages through ``translate(code)``; this extractor also collects each member's value
where it is declared, so a new member lands in the catalogues by itself and
``tests/web/test_i18n.py`` fails until it is translated. ``dancu.web.codes`` lists only the
codes that are not a ``StrEnum``'s members (stored values, audit actions, statuses).
"""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

Extracted = tuple[int, str | None, Any, list[str]]


def extract(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: dict[str, Any],
) -> Iterator[Extracted]:
    """Babel's Python extraction, then the values of the module's ``StrEnum`` members."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    encoding = options.get("encoding", "utf-8")
    for lineno, value in enum_values(source.decode(encoding)):
        yield lineno, None, value, []


def enum_values(source: str) -> list[tuple[int, str]]:
    """(line, value) of each member of the ``StrEnum`` classes in ``source`` (names starting
    with ``_`` are not members)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and any(map(_is_str_enum, node.bases)):
            found += [member for member in map(_member, node.body) if member is not None]
    return found


def _member(statement: ast.stmt) -> tuple[int, str] | None:
    """(line, value) of ``NAME = "value"`` or ``NAME: str = "value"`` in an enum's body."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign):
        target, value = statement.target, statement.value
    else:
        return None
    if (
        isinstance(target, ast.Name)
        and not target.id.startswith("_")
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    ):
        return statement.lineno, value.value
    return None


def _is_str_enum(base: ast.expr) -> bool:
    """``StrEnum`` or ``enum.StrEnum`` among a class's bases."""
    return (isinstance(base, ast.Name) and base.id == "StrEnum") or (
        isinstance(base, ast.Attribute) and base.attr == "StrEnum"
    )
