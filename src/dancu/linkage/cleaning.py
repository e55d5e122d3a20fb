"""The cleaning queue.

Officers work the records a run could not settle alone: probable matches and matches with
differing fields, in their own units only (``Actor.covers``, in the query). Three
decisions, each stored with who, when and a note, and written to the audit log:

* **accept** the proposed citizen: the match is confirmed and the registry's values replace
  the differing ones (the registry is the reference); the record counts as synced;
* **correct** one field of the sector record (the value is normalized like an import);
  when no difference is left the record counts as synced;
* **not a citizen of the province**: the proposal is dropped and the record is set aside.

Decisions survive later runs (a decided result is never replaced).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dancu.common import adminunits, audit
from dancu.common.access import Actor, Permission
from dancu.common.bounds import page_offset
from dancu.common.errors import Conflict, NotFound, ValidationFailed
from dancu.common.textfold import fold
from dancu.linkage import normalize as norm
from dancu.linkage import repository as repo
from dancu.linkage.errors import LinkageErrorCode
from dancu.linkage.models import CleaningDecision, MatchResult, SectorRecord
from dancu.linkage.schemas import (
    CORRECTABLE,
    DecisionOut,
    QueueItem,
    QueuePage,
)
from dancu.linkage.service import PURPOSE, get_source
from dancu.registry import service as registry

MAX_PER_PAGE = 100
LISTED_FIELDS = ("pid", "full_name", "birth_date", "sex", "commune_code")


def queue(
    session: Session,
    *,
    actor: Actor,
    source_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    commune_code: str | None = None,
    only: list[int] | None = None,
    outcome: str | None = None,
    band: str | None = None,
) -> QueuePage:
    """Open items in the actor's units (of one dataset, one commune, one outcome, one
    probability band: ``repository.PROBABILITY_BANDS``), probable matches first; the
    proposed citizens are audited as listed, their names read from the registry (its
    service writes that audit) for an officer who may search citizens."""
    actor.require(Permission.LINKAGE_CLEAN)
    offset = page_offset(page, per_page, MAX_PER_PAGE)
    _check_filters(outcome, band)
    rows, total = repo.queue(
        session,
        actor,
        source_id=source_id,
        offset=offset,
        limit=per_page,
        commune_code=commune_code,
        only=only,
        outcome=outcome or None,
        band=band or None,
    )
    items = [_item(result, record, source.name) for result, record, source in rows]
    pids = sorted({i.citizen_pid for i in items if i.citizen_pid})
    names = (
        registry.listed_names(session, pids, actor=actor, purpose=PURPOSE)
        if actor.can(Permission.CITIZEN_SEARCH)
        else {}
    )
    audit.record_many(
        session,
        actor,
        action="citizen.listed",
        subject_type="citizen",
        subject_ids=[p for p in pids if p not in names],
        purpose=PURPOSE,
        fields=LISTED_FIELDS,
    )
    for i in items:
        i.citizen_name = names.get(i.citizen_pid or "", "")
    return QueuePage(items=items, total=total, page=page, per_page=per_page)


def _check_filters(outcome: str | None, band: str | None) -> None:
    if outcome and outcome not in repo.QUEUE_OUTCOMES:
        raise ValidationFailed(
            "No such outcome in the queue", code=LinkageErrorCode.FILTER_INVALID, field="outcome"
        )
    if band and band not in repo.PROBABILITY_BANDS:
        raise ValidationFailed(
            "No such probability band", code=LinkageErrorCode.FILTER_INVALID, field="band"
        )


def communes_waiting(
    session: Session, *, actor: Actor, source_id: int | None = None
) -> list[tuple[str, str, int]]:
    """(code, name, open items) of the communes with items waiting, by name: the queue's
    commune filter."""
    actor.require(Permission.LINKAGE_CLEAN)
    rows = repo.queue_communes(session, actor, source_id)
    named = [(code, _commune_name(code), count) for code, count in rows]
    return sorted(named, key=lambda r: fold(r[1]))


def _commune_name(code: str) -> str:
    unit = adminunits.find_commune(code)
    return unit.name if unit else code


def accept_many(
    session: Session, result_ids: list[int], *, actor: Actor, note: str = ""
) -> list[DecisionOut]:
    """Accept several proposed matches at once, in the caller's one transaction: each is
    decided and audited as if accepted alone, and any refusal (already decided, outside the
    area, nothing proposed) fails them all."""
    check_selection(result_ids)
    return [accept(session, rid, actor=actor, note=note) for rid in sorted(set(result_ids))]


def check_selection(result_ids: list[int]) -> None:
    """A bulk decision needs one item at least and at most a page's worth."""
    if not result_ids:
        raise ValidationFailed(
            "Select at least one record", code=LinkageErrorCode.NOTHING_SELECTED, field="result_id"
        )
    if len(set(result_ids)) > MAX_PER_PAGE:
        raise ValidationFailed(
            "Too many records at once", code=LinkageErrorCode.TOO_MANY_SELECTED, field="result_id"
        )


def waiting(session: Session, *, actor: Actor) -> int:
    """The number of open items in the actor's area (no citizen is shown: not audited)."""
    actor.require(Permission.LINKAGE_CLEAN)
    return repo.queue_waiting(session, actor)


def _item(result: MatchResult, record: SectorRecord, source_name: str) -> QueueItem:
    values = _current(record)
    unit = adminunits.find_commune(result.commune_code) if result.commune_code else None
    return QueueItem(
        result_id=result.id,
        record_id=record.id,
        source_id=result.source_id,
        source_name=source_name,
        line=record.line,
        outcome=result.outcome,  # type: ignore[arg-type]
        probability=result.probability,
        citizen_pid=result.citizen_pid,
        differences=result.differences or {},
        full_name=values.get("full_name"),
        birth_date=values.get("birth_date"),
        id_number=values.get("id_number"),
        commune_code=result.commune_code,
        commune_name=unit.name if unit else "",
    )


def _current(record: SectorRecord) -> dict[str, Any]:
    """The record's values as the queue shows them: normalized, with corrections applied."""
    n = record.normalized or {}
    values = {
        "full_name": n.get("name"),
        "birth_date": n.get("birth_date"),
        "sex": n.get("sex"),
        "id_number": n.get("id_number"),
        "commune_code": n.get("commune_code"),
    }
    values.update(n.get("corrections") or {})
    return values


def _open(session: Session, actor: Actor, result_id: int) -> tuple[MatchResult, SectorRecord]:
    actor.require(Permission.LINKAGE_CLEAN)
    found = repo.result_for_update(session, actor, result_id)
    if found is None:  # outside the actor's units looks the same as absent
        raise NotFound(
            "No such item in your queue", code=LinkageErrorCode.RESULT_NOT_FOUND, field="result_id"
        )
    if found[0].decided:
        raise Conflict("This item was already decided", code=LinkageErrorCode.ALREADY_DECIDED)
    return found


def _decide(
    session: Session, actor: Actor, record: SectorRecord, action: str, note: str, **values: Any
) -> DecisionOut:
    decision = CleaningDecision(
        record_id=record.id,
        action=action,
        note=note,
        decided_by=actor.id,
        decided_by_name=actor.name,
        **values,
    )
    session.add(decision)
    session.flush()
    subject = (
        ("citizen", values["citizen_pid"])
        if values.get("citizen_pid")
        else ("linkage_record", str(record.id))
    )
    audit.record(
        session,
        actor,
        action=f"linkage.{action}",
        subject_type=subject[0],
        subject_id=subject[1],
        purpose=PURPOSE,
        fields=(f"record={record.id}", *([values["field"]] if values.get("field") else [])),
    )
    return DecisionOut.model_validate(decision)


def accept(session: Session, result_id: int, *, actor: Actor, note: str = "") -> DecisionOut:
    """Confirm the proposed citizen; the registry's values replace the differing ones."""
    result, record = _open(session, actor, result_id)
    if result.citizen_pid is None or result.outcome not in repo.QUEUE_OUTCOMES:
        raise Conflict(
            "Nothing to accept: no citizen is proposed", code=LinkageErrorCode.NOTHING_TO_ACCEPT
        )
    corrections = dict((record.normalized or {}).get("corrections") or {})
    for field, diff in (result.differences or {}).items():
        corrections[field] = diff.get("new")
    _set_corrections(record, corrections)
    result.outcome, result.differences, result.decided = "synced", {}, True
    return _decide(session, actor, record, "accept", note, citizen_pid=result.citizen_pid)


def correct(
    session: Session, result_id: int, field: str, value: str, *, actor: Actor, note: str = ""
) -> DecisionOut:
    """Correct one field of the sector record (normalized like an import)."""
    result, record = _open(session, actor, result_id)
    if field not in CORRECTABLE:
        raise ValidationFailed(
            f"{field!r} cannot be corrected here",
            code=LinkageErrorCode.FIELD,
            field="field",
            allowed=", ".join(CORRECTABLE),
        )
    clean = _normalized_value(field, value)
    old = _current(record).get(field)
    corrections = dict((record.normalized or {}).get("corrections") or {})
    corrections[field] = clean
    _set_corrections(record, corrections)
    diffs = dict(result.differences or {})
    if field in diffs and _same(field, clean, diffs[field].get("new")):
        del diffs[field]
    result.differences = diffs
    if result.outcome == "synced_with_differences" and not diffs:
        result.outcome, result.decided = "synced", True
    return _decide(
        session,
        actor,
        record,
        "correct",
        note,
        citizen_pid=result.citizen_pid,
        field=field,
        old_value=None if old is None else str(old),
        new_value=clean,
    )


def not_in_province(
    session: Session, result_id: int, *, actor: Actor, note: str = ""
) -> DecisionOut:
    """Set the record aside: the person is not a citizen of the province."""
    result, record = _open(session, actor, result_id)
    proposed = result.citizen_pid
    result.outcome, result.citizen_pid, result.differences = "not_in_province", None, {}
    result.decided = True
    return _decide(session, actor, record, "not_in_province", note, citizen_pid=proposed)


def _normalized_value(field: str, value: str) -> str:
    checks = {
        "full_name": lambda v: (n := norm.normalize_name(v)).value and n.value.display,
        "birth_date": lambda v: (n := norm.normalize_date(v)).value and n.value.iso,
        "sex": lambda v: norm.normalize_sex(v).value,
        "id_number": lambda v: (n := norm.normalize_id_number(v)).value and n.value.number,
        "commune_code": lambda v: (n := norm.normalize_address(v)).value and n.value.commune_code,
    }
    clean = checks[field](value)
    if not clean:
        raise ValidationFailed(
            f"{value!r} is not a valid {field}", code=LinkageErrorCode.VALUE_INVALID, field=field
        )
    return str(clean)


def _same(field: str, a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return fold(a) == fold(b) if field == "full_name" else a == b


def _set_corrections(record: SectorRecord, corrections: dict[str, Any]) -> None:
    record.normalized = {**(record.normalized or {}), "corrections": corrections}
    if "full_name" in corrections:
        record.full_name = corrections["full_name"]
    if "commune_code" in corrections:
        record.commune_code = corrections["commune_code"]


def history(session: Session, record_id: int, *, actor: Actor) -> list[DecisionOut]:
    actor.require(Permission.LINKAGE_CLEAN)
    record = repo.record(session, record_id)
    if record is None:
        raise NotFound("No such record", code=LinkageErrorCode.RECORD_NOT_FOUND, field="record_id")
    get_source(session, record.source_id, actor=actor)
    return [DecisionOut.model_validate(d) for d in repo.decisions(session, record_id)]
