"""Health-insurance cards: import (file and API), linkage to citizens, the sync rate, the
newborn's card, and the card a check-in asks about.

Cards arrive from the social-insurance agency (a file an officer uploads, or its API
through the exchange door) and are stored by number (a card sent again refreshes it). They
are linked to citizens by the linkage engine (``linkage.match.link``): the ID stage when the
insurer sent an ID number, then the exact and probabilistic stages when it did not; only a
``synced`` or ``synced_with_differences`` outcome links a card. The sync rate is linked
cards over all cards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dancu.common import adminunits, audit, outbox
from dancu.common.access import Actor, Permission
from dancu.common.errors import ValidationFailed
from dancu.common.pid import is_valid_pid
from dancu.db import utcnow
from dancu.exchange import events
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.insurance import repository as repo
from dancu.exchange.insurance.models import InsuranceCard
from dancu.exchange.insurance.schemas import CardIn, ImportOut, SyncRate
from dancu.linkage import match
from dancu.linkage.normalize import normalize_name
from dancu.linkage.readers import read_table
from dancu.linkage.run_inputs import registry_frame
from dancu.registry import service as registry

PURPOSE = "health_insurance"
MAX_FILE_ROWS = 200_000
# Column names an insurer's file may use (Vietnamese headers folded to ASCII, or ours).
COLUMNS = {
    "card_number": ("card_number", "ma_the", "so_the"),
    "pid": ("pid", "so_dinh_danh", "so_cccd", "cccd"),
    "full_name": ("full_name", "ho_ten", "ho_va_ten"),
    "birth_date": ("birth_date", "ngay_sinh"),
    "sex": ("sex", "gioi_tinh"),
    "commune_code": ("commune_code", "ma_xa"),
    "valid_from": ("valid_from", "gt_the_tu", "tu_ngay"),
    "valid_to": ("valid_to", "gt_the_den", "den_ngay"),
    "facility_code": ("facility_code", "ma_kcb", "ma_dkbd"),
    "facility_name": ("facility_name", "ten_kcb", "noi_dkbd"),
    "benefit_level": ("benefit_level", "muc_huong"),
}


def _row(card: CardIn, source: str) -> dict[str, Any]:
    sent = card.pid if card.pid and is_valid_pid(card.pid) else None
    return {
        **card.model_dump(exclude={"pid"}),
        "sent_pid": sent,
        "pid": None,
        "link_method": None,
        "source": source,
        "updated_at": utcnow(),
    }


def import_cards(
    session: Session,
    cards: Iterable[CardIn],
    *,
    source: str,
    actor: Actor,
    announce: bool = True,
) -> ImportOut:
    """Store (or refresh) cards; they wait for ``link_cards`` (the outbox asks for it, unless
    ``announce`` is off because the caller links them itself in the same transaction)."""
    rows = [_row(c, source) for c in cards]
    repo.upsert(session, rows)
    provinces = sorted({p for r in rows if (p := _province_of(r["commune_code"]))})
    if announce:
        outbox.emit(session, events.INSURANCE_CARDS_RECEIVED, {"provinces": provinces})
    audit.record(
        session,
        actor,
        action="exchange.insurance_imported",
        subject_type="insurance_import",
        subject_id=source,
        purpose=PURPOSE,
        fields=(f"count={len(rows)}",),
    )
    return ImportOut(received=len(rows), stored=len(rows))


def _province_of(commune_code: str | None) -> str | None:
    unit = adminunits.find_commune(commune_code) if commune_code else None
    return unit.province_code if unit else None


def import_file(session: Session, data: bytes, file_format: str, *, actor: Actor) -> ImportOut:
    """An insurer's CSV or XLSX (read by the linkage readers); bad rows are reported."""
    actor.require(Permission.EXCHANGE_MANAGE)
    table = read_table(data, file_format)
    index = _columns(table.header)
    good: list[CardIn] = []
    problems: list[dict[str, str | int]] = []
    for line, values in table.rows:
        if line > MAX_FILE_ROWS + 1:
            raise ValidationFailed(
                "The file has too many rows", code=ExchangeErrorCode.IMPORT_FILE, field="file"
            )
        raw = {k: _cell(values, i) for k, i in index.items()}
        try:
            good.append(CardIn.model_validate(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            problems.append(
                {"line": line, "field": str(first["loc"][0]), "code": str(first["type"])}
            )
    out = import_cards(session, good, source="file", actor=actor)
    return ImportOut(received=len(good) + len(problems), stored=out.stored, problems=problems)


def _columns(header: list[str]) -> dict[str, int]:
    folded = [h.strip().lower().replace(" ", "_") for h in header]
    index: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        found = next((folded.index(a) for a in aliases if a in folded), None)
        if found is not None:
            index[name] = found
    if missing := [
        c for c in ("card_number", "full_name", "valid_from", "valid_to") if c not in index
    ]:
        raise ValidationFailed(
            f"The file has no column {missing[0]!r}",
            code=ExchangeErrorCode.IMPORT_FILE,
            field="file",
        )
    return index


def _cell(values: list[Any], i: int) -> Any:
    value = values[i] if i < len(values) else None
    if isinstance(value, str):
        value = value.strip() or None
    return value


# -- linkage -----------------------------------------------------------------------------


def link_cards(session: Session, province_code: str, *, actor: Actor) -> dict[str, Any]:
    """Link the unlinked cards of a province's communes to its citizens (the linkage
    engine: ID number first, then exact and probabilistic); returns the run's metrics."""
    communes = [c.code for c in adminunits.communes(province_code)]
    cards = repo.unlinked(session, communes)
    if not cards:
        return {"records": 0, "linked": 0}
    citizens = registry.citizens_for_matching(session, province_code, actor=actor, purpose=PURPOSE)
    result = match.link(_sector_frame(cards), registry_frame(citizens))
    by_key = {f"{c.id:012d}": c for c in cards}
    linked = 0
    for row in result.outcomes.itertuples(index=False):
        if row.outcome in ("synced", "synced_with_differences") and row.citizen_pid:
            card = by_key[row.record_key]
            card.pid, card.link_method = row.citizen_pid, row.method
            linked += 1
    session.flush()
    return {**result.metrics, "linked": linked}


def _sector_frame(cards: list[InsuranceCard]) -> pd.DataFrame:
    rows = []
    for c in cards:
        parts = normalize_name(c.full_name).value
        rows.append(
            {
                "record_key": f"{c.id:012d}",
                "pid": c.sent_pid,
                "name_folded": parts.folded if parts else None,
                "family": (parts.family or None) if parts else None,
                "middle": (parts.middle or None) if parts else None,
                "given": parts.given if parts else None,
                "birth_date": c.birth_date.isoformat() if c.birth_date else None,
                "birth_year": c.birth_date.year if c.birth_date else None,
                "sex": c.sex,
                "commune_code": c.commune_code,
                "phone": None,
                "name": c.full_name,
            }
        )
    return pd.DataFrame(rows, columns=[*match.SECTOR_COLUMNS, "name"])


def sync_rate(session: Session, *, actor: Actor) -> SyncRate:
    """Cards linked to a citizen over all cards (the seeds' "99.8% synchronised")."""
    actor.require(Permission.EXCHANGE_READ)
    total, by = repo.counts(session)
    linked = total - by.get(None, 0)
    methods = {str(k): v for k, v in by.items() if k is not None}
    return SyncRate(
        cards=total, linked=linked, rate=linked / total if total else 0.0, by_method=methods
    )


# -- the card a check-in asks about, the newborn's card ----------------------------------


def current_card(session: Session, pid: str) -> InsuranceCard | None:
    """The citizen's newest card (the caller has authorized and audits the read)."""
    return repo.current_card(session, pid)


def valid_at(card: InsuranceCard | None, facility_code: str | None, today: date) -> bool:
    """Whether the card is in force today and registered at this facility."""
    return bool(
        card is not None
        and card.valid_from <= today <= card.valid_to
        and facility_code is not None
        and card.facility_code == facility_code
    )


def issue_for_newborn(
    session: Session,
    pid: str,
    *,
    actor: Actor,
    facility_code: str,
    facility_name: str,
    today: date | None = None,
    dossier: str | None = None,
) -> InsuranceCard:
    """A child under six's card (object code TE, benefit level 1), valid from birth to the
    day before the sixth birthday; answers the birth procedure's request (``dossier``: its
    code, carried in the event so that the procedure's insurer step completes)."""
    citizen = registry.get_citizen(session, pid, actor=actor, purpose=PURPOSE)
    born = citizen.birth_date
    until = date(born.year + 6, born.month, 28 if (born.month, born.day) == (2, 29) else born.day)
    number = f"TE1{citizen.province_code[:2]}{citizen.pid[-10:]}"
    row = {
        "card_number": number,
        "full_name": citizen.full_name,
        "birth_date": born,
        "sex": citizen.sex,
        "commune_code": citizen.commune_code,
        "sent_pid": citizen.pid,
        "pid": citizen.pid,
        "valid_from": born,
        "valid_to": until - timedelta(days=1),
        "facility_code": facility_code,
        "facility_name": facility_name,
        "benefit_level": 1,
        "link_method": "birth",
        "source": "birth",
        "updated_at": utcnow(),
    }
    repo.upsert(session, [row])
    card = repo.by_number(session, number)
    assert card is not None
    outbox.emit(
        session,
        events.INSURANCE_CARD_ISSUED,
        {
            "card_number": number,
            "pid": pid,
            "valid_from": born.isoformat(),
            "valid_to": row["valid_to"].isoformat(),
            **({"dossier": dossier} if dossier else {}),
        },
    )
    return card
