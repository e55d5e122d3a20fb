"""Linkage use cases on datasets: import (all or nothing, nothing lost), mappings, rates.

Matching runs are jobs (``runs.py``, ``tasks.py``); the cleaning queue is in
``cleaning.py``, the exports in ``exports.py``. Services only flush; the boundary commits.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, bulk
from dancu.common.access import Actor, Permission
from dancu.common.bounds import page_offset
from dancu.common.errors import Forbidden, NotFound, ValidationFailed
from dancu.db import is_postgres, utcnow
from dancu.linkage import repository as repo
from dancu.linkage.dataset import Problem, open_dataset
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.mappings import FIELDS, SOURCE_TYPES
from dancu.linkage.models import ImportProblem, SectorRecord, Source, SourceMapping
from dancu.linkage.schemas import ImportOut, JobOut, ProblemOut, RateRow, ReportOut, SourceOut

PURPOSE = "data_maintenance"
RECORD_COLUMNS = (
    "source_id",
    "line",
    "raw",
    "normalized",
    "full_name",
    "birth_date",
    "pid",
    "commune_code",
)
PROBLEM_COLUMNS = ("source_id", "line", "field", "code", "value", "rejected")
Progress = Callable[[str, int, int], None]


def source_types() -> dict[str, str]:
    """Source type code -> English label (translated where shown)."""
    return {code: st.label for code, st in SOURCE_TYPES.items()}


def require_province(actor: Actor, province_code: str) -> None:
    """Whole-dataset work (import, run, export) needs an officer of the dataset's province."""
    if province_code not in {p.code for p in adminunits.provinces()}:
        raise ValidationFailed(
            f"unknown province {province_code!r}",
            code=LinkageErrorCode.PROVINCE,
            field="province_code",
        )
    if not actor.nationwide and province_code not in actor.province_units:
        raise Forbidden(
            "Only an officer of this province may work on its whole datasets",
            code=LinkageErrorCode.AREA,
            field="province_code",
        )


def mapping_for(session: Session, source_type: str) -> dict[str, str]:
    """The mapping saved for a source type, else the engine's default one."""
    if source_type not in SOURCE_TYPES:
        raise ValidationFailed(
            f"unknown source type {source_type!r}",
            code=LinkageErrorCode.UNKNOWN_SOURCE_TYPE,
            field="source_type",
        )
    saved = repo.saved_mapping(session, source_type)
    if saved is not None:
        return dict(saved.mapping)
    return dict(SOURCE_TYPES[source_type].default_mapping)


def save_mapping(
    session: Session, source_type: str, mapping: Mapping[str, str], *, actor: Actor
) -> dict[str, str]:
    """Keep a source type's mapping (field -> column) for the next imports."""
    actor.require(Permission.LINKAGE_MANAGE)
    mapping_for(session, source_type)  # validates the type
    clean = {str(k): str(v) for k, v in mapping.items() if v}
    unknown = sorted(set(clean) - set(FIELDS))
    if unknown:
        raise ValidationFailed(
            f"unknown field {unknown[0]!r} in the mapping",
            code=LinkageErrorCode.UNKNOWN_FIELD,
            field=unknown[0],
        )
    saved = repo.saved_mapping(session, source_type)
    if saved is None:
        saved = SourceMapping(source_type=source_type, mapping=clean, updated_by=actor.id)
        session.add(saved)
    else:
        saved.mapping, saved.updated_by, saved.updated_at = clean, actor.id, utcnow()
    session.flush()
    return clean


def import_dataset(
    session: Session,
    data: bytes | Path,
    *,
    file_name: str,
    source_type: str,
    province_code: str,
    actor: Actor,
    name: str | None = None,
    mapping: Mapping[str, str] | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportOut:
    """Read, normalize and store a sector dataset with every problem by line.

    The file is read and written in chunks (``dataset.open_dataset``), so memory does not
    grow with it beyond the duplicate check's digests (docs/linkage.md, "Imports").
    Nothing is lost: each data line is a record or a rejected problem, and the counts are
    checked. A fatal problem (empty file, missing column, unreadable format) raises before
    anything is written; one met later in the file (a broken XLSX part) while writing, and
    the caller's rollback keeps nothing.
    """
    actor.require(Permission.LINKAGE_MANAGE)
    require_province(actor, province_code)
    saved = repo.saved_mapping(session, source_type) if source_type in SOURCE_TYPES else None
    given = dict(mapping) if mapping else (dict(saved.mapping) if saved else None)
    fmt = Path(file_name).suffix.lstrip(".").lower() or None
    stream = open_dataset(data, source_type, given, file_format=fmt, today=today, progress=progress)
    effective = given or {  # the default mapping's columns this file has
        f: c for f, c in SOURCE_TYPES[source_type].default_mapping.items() if c in stream.columns
    }
    chunks = stream.chunks()
    head = next(chunks)  # a file without data lines raises here, before anything is written
    if mapping:
        save_mapping(session, source_type, mapping, actor=actor)
    source = Source(
        source_type=source_type,
        name=name or Path(file_name).stem,
        province_code=province_code,
        mapping=effective,
        file_name=Path(file_name).name,
        encoding=stream.encoding,
        imported_by=actor.id,
    )
    session.add(source)
    session.flush()
    records, first = 0, []
    as_text = is_postgres(session)  # COPY takes JSON as text; executemany takes Python values
    for chunk, problems in itertools.chain([head], chunks):
        rows = (record_row(source.id, rec, as_text) for rec in chunk)
        bulk.copy_rows(session, SectorRecord.__table__, RECORD_COLUMNS, rows)  # type: ignore[arg-type]
        _write_problems(session, source.id, problems)
        records += len(chunk)
        first += problems[: 100 - len(first)]
        if progress:
            progress("store", records, 0)
    if records + stream.rejected != stream.lines:
        raise ValidationFailed(  # the reader's promise, checked: never store a lossy import
            f"{stream.lines} lines read but {records} records and {stream.rejected} rejected lines",
            code=LinkageErrorCode.LINES_LOST,
            field="file",
        )
    source.lines, source.records, source.problem_lines = stream.lines, records, stream.rejected
    session.flush()
    audit.record(
        session,
        actor,
        action="linkage.import",
        subject_type="linkage_source",
        subject_id=str(source.id),
        purpose=PURPOSE,
        fields=(source_type, f"records={source.records}", f"rejected={source.problem_lines}"),
    )
    problems_out = [ProblemOut.model_validate(_problem_dict(p)) for p in first]
    return ImportOut(source=SourceOut.model_validate(source), problems=problems_out)


def _plain(value: Any) -> Any:
    """A JSON-safe Python value from what pandas hands back (NaN, numpy scalars)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def record_row(source_id: int, rec: Mapping[str, Any], as_text: bool) -> tuple[Any, ...]:
    normalized = {k: _plain(v) for k, v in rec.items() if k != "raw"}
    raw = rec.get("raw") or {}
    birth = None
    if normalized.get("birth_precision") == "day" and normalized.get("birth_date"):
        birth = date.fromisoformat(normalized["birth_date"])
    encode: Callable[[Any], Any] = (
        (lambda v: json.dumps(v, ensure_ascii=False)) if as_text else (lambda v: v)
    )
    return (
        source_id,
        int(normalized["line"]),
        encode(raw),
        encode(normalized),
        normalized.get("name"),
        birth,
        normalized.get("pid"),
        normalized.get("commune_code"),
    )


def _problem_dict(p: Problem) -> dict[str, Any]:
    value = None if p.value is None else str(p.value)[:500]
    return {
        "line": p.line,
        "field": p.field,
        "code": p.code,
        "value": value,
        "rejected": p.rejected,
    }


def _write_problems(session: Session, source_id: int, problems: list[Problem]) -> None:
    rows = (
        (source_id, d["line"], d["field"], d["code"], d["value"], d["rejected"])
        for d in map(_problem_dict, problems)
    )
    bulk.copy_rows(session, ImportProblem.__table__, PROBLEM_COLUMNS, rows)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- reading


def list_sources(session: Session, *, actor: Actor) -> list[SourceOut]:
    actor.require(Permission.LINKAGE_READ)
    return [SourceOut.model_validate(s) for s in repo.sources(session, actor)]


def get_source(session: Session, source_id: int, *, actor: Actor) -> Source:
    actor.require(Permission.LINKAGE_READ)
    source = repo.source(session, actor, source_id)
    if source is None:
        raise NotFound("No such dataset", code=LinkageErrorCode.SOURCE_NOT_FOUND, field="source_id")
    return source


def sync_rates(session: Session, *, actor: Actor, source_id: int | None = None) -> list[RateRow]:
    """Sync rates for the monitoring issue: per dataset one ``level="dataset"`` row followed
    by its ``level="commune"`` rows, for the datasets the actor may see. For an officer of
    some communes only, the rows are their communes' and the dataset row sums them."""
    actor.require(Permission.LINKAGE_READ)
    visible = repo.sources(session, actor)
    if source_id is not None:
        visible = [s for s in visible if s.id == source_id]
    if not visible:
        return []
    ids = [s.id for s in visible]
    communes_only = actor.commune_units if commune_scoped(actor) else ()
    grouped: dict[tuple[int, str | None], dict[str, int]] = {}
    per_commune = repo.outcome_counts(session, ids, by_commune=True, communes=communes_only)
    for sid, commune, outcome, count in per_commune:
        grouped.setdefault((sid, commune), {})[outcome] = count
    overall = (
        {} if communes_only else _by_source(repo.outcome_counts(session, ids, by_commune=False))
    )
    out: list[RateRow] = []
    for s in visible:
        keys = sorted((k for k in grouped if k[0] == s.id), key=lambda k: k[1] or "~")
        communes = [_rate_row(s, commune, grouped[(sid, commune)]) for sid, commune in keys]
        if communes_only:
            dataset = _rate_row(s, None, _summed(communes), level="dataset")
        else:
            dataset = _rate_row(s, None, overall.get(s.id, {}), records=s.records, level="dataset")
        out += [dataset, *communes]
    return out


def commune_scoped(actor: Actor) -> bool:
    """Whether the actor's figures cover their communes only (not a whole province)."""
    return bool(actor.commune_units) and not actor.nationwide and not actor.province_units


def scope_name(actor: Actor, province_code: str) -> str:
    """The area a dataset's figures cover for this actor, by name: their communes (an
    officer of communes only, whose rates count those communes' records over those
    communes' records) or the dataset's whole province."""
    if commune_scoped(actor):
        units = {c: adminunits.find_commune(c) for c in actor.commune_units}
        return ", ".join(u.name if u else c for c, u in units.items())
    return adminunits.province(province_code).name


def _summed(rows: list[RateRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        for k, v in r.counts.items():
            counts[k] = counts.get(k, 0) + v
    return counts


def _by_source(rows: list[Any]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for sid, outcome, count in rows:
        out.setdefault(sid, {})[outcome] = count
    return out


def _rate_row(
    source: Source,
    commune: str | None,
    counts: dict[str, int],
    records: int | None = None,
    level: str = "commune",
) -> RateRow:
    unit = adminunits.find_commune(commune) if commune else None
    return RateRow(
        source_id=source.id,
        source_name=source.name,
        source_type=source.source_type,
        province_code=source.province_code,
        commune_code=commune,
        commune_name=unit.name if unit else "",
        counts=counts,
        level=level,
        records=records if records is not None else sum(counts.values()),
    )


def report(
    session: Session, source_id: int, *, actor: Actor, page: int = 1, per_page: int = 100
) -> ReportOut:
    """A dataset's rates (overall and per commune), outcome counts, problems and last run."""
    source = get_source(session, source_id, actor=actor)
    rows = sync_rates(session, actor=actor, source_id=source.id)
    overall = rows[0]  # the dataset row (for a commune officer: their communes summed)
    communes = [r for r in rows if r.level == "commune"]
    problems, total = [], 0
    if actor.nationwide or source.province_code in actor.province_units:
        # Problems carry the file's values of any line: only for officers of the province.
        problems, total = repo.problems(
            session, source.id, offset=page_offset(page, per_page, per_page), limit=per_page
        )
    job = repo.latest_job(session, source.id)
    return ReportOut(
        importer=repo.importer_name(session, source.id) or source.imported_by,
        scope=scope_name(actor, source.province_code),
        source=SourceOut.model_validate(source),
        overall=overall,
        communes=communes,
        problems=[ProblemOut.model_validate(p) for p in problems],
        problems_total=total,
        job=JobOut.model_validate(job) if job else None,
        deceased=repo.deceased_matches(session, source.id),
    )
