"""Files that leave dancu: the cleaned dataset and the import problems.

* **The cleaned dataset** (CSV or XLSX): the file's columns with the officers' corrections
  applied and the matched citizen's ID number filled in, plus the ID number and the outcome
  in two added columns.
* **The import problems** (CSV): one row per problem an import reported, with its line,
  the file's column, the code and its Vietnamese reason, the offending value, whether the
  line was rejected, and the line's values as read when the line was kept. A clerk sends it
  back to the sector agency so they fix their file.

CSV files are UTF-8 with a byte-order mark, so Excel shows Vietnamese correctly. Both
exports carry personal data (names, ID numbers, birth dates of the file) and are audited.

Every text cell (headers included) comes from a sector agency's file, so a text that a
spreadsheet would take for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab, a
carriage return or a full-width ``＝ ＋ － ＠``) is written with a leading ``'``
(:func:`neutralise`); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.linkage import repository as repo
from dancu.linkage.models import Source
from dancu.linkage.service import PURPOSE, get_source, require_province

MATCHED = ("synced", "synced_with_differences")
PID_COLUMN = "so_dinh_danh_ca_nhan"
OUTCOME_COLUMN = "ket_qua_dong_bo"
# line, the file's column, code, Vietnamese reason, offending value, rejected (có/không)
PROBLEM_COLUMNS = ("dong", "cot", "ma_loi", "ly_do", "gia_tri", "dong_bi_loai")


def _whole_dataset(session: Session, source_id: int, actor: Actor) -> Source:
    """Exports are whole-dataset work: an officer of the dataset's province."""
    actor.require(Permission.LINKAGE_MANAGE)
    source = get_source(session, source_id, actor=actor)
    require_province(actor, source.province_code)
    return source


# What Excel, LibreOffice and Google Sheets may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula gets a leading ``'`` (CSV/formula
    injection); other values, numbers among them, are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that Excel reads the Vietnamese letters.
    Formula-like texts are neutralised (:func:`neutralise`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(v) for v in header])
    writer.writerows(["" if v is None else neutralise(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------- cleaned dataset


def export_rows(
    session: Session, source_id: int, *, actor: Actor
) -> tuple[list[str], list[list[Any]]]:
    """The cleaned dataset: the file's columns with corrections applied and the citizen's ID
    number filled in (in the mapped ID column and in an added column), plus the outcome."""
    source = _whole_dataset(session, source_id, actor)
    rows = repo.export_rows(session, source.id)
    columns = list(rows[0][0].raw.keys()) if rows else []
    header = [*columns, PID_COLUMN, OUTCOME_COLUMN]
    mapping = source.mapping or {}
    out: list[list[Any]] = []
    filled = 0
    for record, result in rows:
        values = dict(record.raw)
        for field, value in ((record.normalized or {}).get("corrections") or {}).items():
            column = mapping.get(field)
            if column in values:
                values[column] = value
        pid = result.citizen_pid if result and result.outcome in MATCHED else None
        if pid:
            filled += 1
            if mapping.get("id_number") in values:
                values[mapping["id_number"]] = pid
        out.append([*(values.get(c) for c in columns), pid, result.outcome if result else None])
    audit.record(
        session,
        actor,
        action="linkage.export",
        subject_type="linkage_source",
        subject_id=str(source.id),
        purpose=PURPOSE,
        fields=("pid", f"count={filled}"),
    )
    return header, out


def export_csv(session: Session, source_id: int, *, actor: Actor) -> bytes:
    return to_csv(*export_rows(session, source_id, actor=actor))


def _text_cell(sheet: Any, value: Any) -> Any:
    """A neutralised text as a cell stored as a string: openpyxl takes any text that starts
    with ``=`` for a formula, so texts get an explicit string cell; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=neutralise(value))
    cell.data_type = "s"
    return cell


def export_xlsx(session: Session, source_id: int, *, actor: Actor) -> bytes:
    from openpyxl import Workbook

    header, rows = export_rows(session, source_id, actor=actor)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append([_text_cell(sheet, v) for v in header])
    for row in rows:
        sheet.append([_text_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- problems


def problem_rows(
    session: Session, source_id: int, *, actor: Actor, reason: Callable[[str], str]
) -> tuple[list[str], list[list[Any]]]:
    """Every problem of an import, by line: :data:`PROBLEM_COLUMNS` then the file's columns
    (the line's values as read; empty for a rejected line, whose values are not kept).
    ``reason(code)`` is the Vietnamese text of a problem code: the entry points pass it, as
    the texts belong to the web layer (the gettext catalogues in ``dancu/web/translations``).

    Audited (``linkage.export_problems``) when it carries personal data: a field's value
    or a line's values. Row-level problems alone (a wrong number of fields, undecodable
    bytes) carry none."""
    source = _whole_dataset(session, source_id, actor)
    found = repo.problems_with_lines(session, source.id)
    columns = next((list(raw) for _, raw in found if raw), [])
    mapping = source.mapping or {}
    out: list[list[Any]] = []
    personal: set[str] = set()
    for problem, raw in found:
        if problem.field is not None and problem.value is not None:
            personal.add(problem.field)
        if raw:
            personal.add("raw")
        out.append(
            [
                problem.line,
                mapping.get(problem.field or "", problem.field),
                problem.code,
                reason(problem.code),
                problem.value,
                "có" if problem.rejected else "không",
                *((raw or {}).get(c) for c in columns),
            ]
        )
    if personal:
        audit.record(
            session,
            actor,
            action="linkage.export_problems",
            subject_type="linkage_source",
            subject_id=str(source.id),
            purpose=PURPOSE,
            fields=(*sorted(personal), f"count={len(out)}"),
        )
    return [*PROBLEM_COLUMNS, *columns], out


def problems_csv(
    session: Session, source_id: int, *, actor: Actor, reason: Callable[[str], str]
) -> bytes:
    return to_csv(*problem_rows(session, source_id, actor=actor, reason=reason))
