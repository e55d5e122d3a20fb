"""Hospital check-in: who the patient is and whether the insurance card is valid here.

The patient is found by ID number, by the chip card's MRZ (the document number is the ID
number; the birth date must agree) or by a wallet document's QR (a verified SD-JWT
presentation naming the ID number). The answer carries name, birth date and sex and the
card's validity at the asking facility, within the partner's purpose (``minimise`` in the
door drops anything else). Every check-in is one row of ``exchange_access`` (counted per
hospital and day, and in its area's review) and one audit entry under the citizen, so it
appears once in the citizen's access list.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.common.errors import InvalidState, ValidationFailed
from dancu.common.pid import is_valid_pid
from dancu.db import utcnow
from dancu.exchange.checkin.schemas import CheckinIn, DayCount
from dancu.exchange.consent import service as consent
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.hygiene import accesses
from dancu.exchange.insurance import service as insurance
from dancu.exchange.partners.schemas import PartnerContext
from dancu.exchange.partners.service import minimise
from dancu.identity.chip.mrz import MrzError, parse_td1
from dancu.identity.wallet import service as wallet
from dancu.registry import service as registry

PURPOSE = "health_checkin"
_PID = re.compile(r"^[0-9]{12}$")


def read_scan(session: Session, data: CheckinIn, *, now: datetime) -> tuple[str, date | None]:
    """The ID number a check-in names (and the MRZ's birth date, to compare)."""
    if data.pid:
        return _pid(data.pid), None
    if data.mrz:
        return _from_mrz(data.mrz, now.date())
    if data.qr:
        return _from_qr(session, data.qr, now), None
    scan = (data.scan or "").strip()
    if _PID.match(scan):
        return scan, None
    if scan.startswith(("ID", "I<")) or "\n" in scan:
        return _from_mrz(scan, now.date())
    return _from_qr(session, scan, now), None


def _pid(value: str) -> str:
    if not is_valid_pid(value):
        raise ValidationFailed(
            "Not a valid ID number", code=ExchangeErrorCode.SCAN_UNREADABLE, field="pid"
        )
    return value


def _from_mrz(text: str, today: date) -> tuple[str, date]:
    try:
        zone = parse_td1(text)
    except MrzError as exc:
        raise ValidationFailed(
            "The card's machine-readable zone cannot be read",
            code=ExchangeErrorCode.SCAN_UNREADABLE,
            field="mrz",
        ) from exc
    number = zone.document_number if _PID.match(zone.document_number) else zone.optional_data_1[:12]
    return _pid(number), zone.birth(today=today)


def _from_qr(session: Session, text: str, now: datetime) -> str:
    result = wallet.verify_presentation(session, text.strip(), now=now)
    pid = str(result.claims.get("personal_id") or "") if result.valid else ""
    if not pid:
        raise ValidationFailed(
            "The document's code is not valid or names nobody",
            code=ExchangeErrorCode.SCAN_UNREADABLE,
            field="qr",
        )
    return _pid(pid)


def check_in(
    session: Session, ctx: PartnerContext, data: CheckinIn, *, now: datetime | None = None
) -> dict[str, Any]:
    """Check a patient in at the partner's facility; the answer is already minimised."""
    now = now or utcnow()
    pid, mrz_birth = read_scan(session, data, now=now)
    citizen = registry.read_for_release(
        session, pid, actor=ctx.actor, purpose=ctx.purpose, today=now.date()
    )
    if mrz_birth is not None and mrz_birth != citizen.birth_date:
        raise ValidationFailed(
            "The card does not match the registry",
            code=ExchangeErrorCode.SUBJECT_UNKNOWN,
            field="mrz",
        )
    if citizen.status == "deceased":
        raise InvalidState(
            "The citizen is deceased", code=ExchangeErrorCode.CITIZEN_DECEASED, field="pid"
        )
    consented = consent.require(session, ctx, pid, now=now)
    card = insurance.current_card(session, pid)
    valid = insurance.valid_at(card, ctx.facility_code, now.date())
    subject = accesses.Subject(pid, citizen.province_code, citizen.commune_code)
    accesses.record(
        session, ctx.partner_id, ctx.purpose, "checkin", [subject], insured=valid, now=now
    )
    full = {
        "purpose": ctx.purpose,
        "checked_at": now.isoformat(),
        "full_name": citizen.full_name,
        "birth_date": citizen.birth_date.isoformat(),
        "sex": citizen.sex,
        "insurance_valid": valid,
        "insurance_benefit_level": card.benefit_level if card else None,
        "insurance_valid_to": card.valid_to.isoformat() if card else None,
        "insurance_facility": card.facility_name if card else None,
        "insurance_card_number": card.card_number if card else None,
        "permanent_address": citizen.permanent_address,
    }
    answer = minimise(ctx, full, consented=consented)
    audit.record(
        session,
        ctx.actor,
        action="exchange.checkin",
        subject_type="citizen",
        subject_id=pid,
        purpose=ctx.purpose,
        fields=sorted(set(answer) - {"purpose", "checked_at"}),
    )
    return answer


def day_counts(session: Session, *, actor: Actor, since: date) -> list[DayCount]:
    """Check-ins per hospital and day since ``since`` (officers' figure), counted from the
    check-in rows (``hygiene.accesses``), each with the hospital's name."""
    actor.require(Permission.STATISTICS_READ)
    names = accesses.partner_names(session)
    return [
        DayCount(facility_name=names.get(p, ""), day=d, checkins=n, insured=i)
        for p, d, n, i in accesses.checkin_counts(session, since)
    ]
