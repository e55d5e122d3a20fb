"""Bank eKYC: ``verify_customer`` checks a chip for a bank and signs the result.

In order: the chip's passive authentication (``identity.chip.verify_chip``: EF.SOD's
signature, the document signer chained to a CSCA of the trust list, DG1 and DG2 hashed as
signed); the chip is the claimed person's; the registry's record (read by the exchange for
the bank, audited); the citizen is alive; the chip is their current card; the claimed data
agree; the face, if a matcher is installed. Every refusal carries its stable code and is
audited under the bank's name even though the request rolls back (``audit.record_refusal``);
a success is audited with exactly the attributes released.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from asn1crypto import cms, parser
from joserfc import jws
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor
from dancu.common.errors import DancuError, NotFound, ValidationFailed
from dancu.exchange.consent import service as consent
from dancu.exchange.ekyc import checks
from dancu.exchange.ekyc.face import NOT_PERFORMED, FaceMatcher, FaceResult, compare
from dancu.exchange.ekyc.schemas import EkycIn, EkycOut
from dancu.exchange.errors import ExchangeErrorCode as Code
from dancu.exchange.hygiene import accesses
from dancu.exchange.partners.purposes import ENVELOPE
from dancu.exchange.partners.schemas import PartnerContext
from dancu.exchange.partners.service import minimise
from dancu.exchange.reader import EXCHANGE_ACTOR
from dancu.identity.chip.pki import TrustList
from dancu.identity.chip.verify import verify_chip
from dancu.identity.keys import service as keys
from dancu.registry import service as registry
from dancu.registry.schemas import CitizenOut
from dancu.settings import get_settings

PURPOSE = "bank_ekyc"
KEY_PURPOSE = "ekyc"  # the signing key's purpose in identity's key store
RESULT_TYP = "ekyc-result+jwt"
ALGORITHMS = ["ES256", "RS256"]


def trust_list() -> TrustList:
    """The CSCA trust list of ``identity_csca_dir``, read again when a file changes."""
    directory = Path(get_settings().identity_csca_dir)
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*")))
    return _trust(str(directory), stamp)


@lru_cache(maxsize=4)
def _trust(directory: str, _stamp: tuple[tuple[str, int], ...]) -> TrustList:
    return TrustList.from_dir(Path(directory))


def verify_customer(
    session: Session,
    data: EkycIn,
    *,
    ctx: PartnerContext,
    face: FaceMatcher = NOT_PERFORMED,
    trust: TrustList | None = None,
    now: datetime | None = None,
) -> EkycOut:
    """The signed eKYC result for the bank of ``ctx`` (authorized by the door for
    ``bank_ekyc`` and the asked attributes), or the refusal with its code."""
    now = now or datetime.now(UTC)
    try:
        citizen, claims, face_result = _checks(session, data, face, trust, now)
    except DancuError as exc:
        _refused(session, ctx.actor, data.claimed.pid, exc)
        raise
    consented = consent.require(session, ctx, citizen.pid, now=now)
    attributes = minimise(ctx, _attributes(citizen, data.attributes), consented=consented)
    attributes = {k: v for k, v in attributes.items() if k not in ENVELOPE}
    verdict = "verified" if all(claims.values()) else "mismatch"
    payload = _payload(ctx, data, now, verdict, claims, face_result.to_claim(), attributes)
    audit.record(
        session,
        ctx.actor,
        action=f"ekyc.{verdict}",
        subject_type="citizen",
        subject_id=citizen.pid,
        purpose=ctx.purpose,
        fields=tuple(attributes) or ("pid",),
    )
    subject = accesses.Subject(citizen.pid, citizen.province_code, citizen.commune_code)
    accesses.record(session, ctx.partner_id, ctx.purpose, "ekyc", [subject], now=now)
    return EkycOut(verdict=verdict, jws=sign(session, payload), result=payload)


def _checks(
    session: Session,
    data: EkycIn,
    face: FaceMatcher,
    trust: TrustList | None,
    now: datetime,
) -> tuple[CitizenOut, dict[str, bool], FaceResult]:
    sod, groups = data.chip()
    today = now.date()
    chip = verify_chip(sod, groups, trust or trust_list(), at=now, printed_mrz=data.printed_mrz)
    if not chip.valid or chip.mrz is None:
        raise ValidationFailed(
            chip.message or "The chip failed passive authentication",
            code=chip.code or Code.EKYC_CHIP_UNREADABLE,
            field="chip",
        )
    checks.chip_is_claimed_person(chip.mrz, data.claimed, today)
    citizen = _record(session, data.claimed.pid, today)
    checks.citizen_alive(citizen)
    card = checks.current_card(citizen, chip.mrz, today)
    checks.chip_signed_for_card(signing_time(sod), card)
    checks.chip_matches_registry(chip.mrz, citizen, today)
    claims = checks.compare_claims(data.claimed, citizen)
    return citizen, claims, compare(face, groups[2], data.photo())


def signing_time(sod: bytes) -> datetime | None:
    """The SOD's CMS signingTime, read lazily: only the signed attributes are decoded
    (passive authentication has already checked the SOD and the signature over them)."""
    contents = parser.parse(sod)[4] if sod[:1] == b"\x77" else sod
    signed = cms.ContentInfo.load(contents)["content"]
    attrs = signed["signer_infos"][0]["signed_attrs"]
    found = [a["values"][0].native for a in attrs if a["type"].native == "signing_time"]
    return found[0] if len(found) == 1 and isinstance(found[0], datetime) else None


def _record(session: Session, pid: str, today: date) -> CitizenOut:
    try:
        return registry.read_for_release(
            session, pid, actor=EXCHANGE_ACTOR, purpose=PURPOSE, today=today
        )
    except NotFound as exc:
        raise NotFound(
            "No citizen with this ID number", code=Code.EKYC_CITIZEN_NOT_FOUND, field="pid"
        ) from exc


def _refused(session: Session, actor: Actor, pid: str, exc: DancuError) -> None:
    """Kept for the audit log whatever happens to the request's transaction."""
    audit.record_refusal(
        session,
        actor,
        action=str(exc.code)[:60],
        subject_type="citizen",
        subject_id=pid,
        purpose=PURPOSE,
    )


def _attributes(citizen: CitizenOut, asked: list[str]) -> dict[str, Any]:
    """The asked attributes of a citizen who passed every check (alive, current card)."""
    values: dict[str, Any] = {
        "pid": citizen.pid,
        "full_name": citizen.full_name,
        "birth_date": citizen.birth_date.isoformat(),
        "sex": citizen.sex,
        "nationality": citizen.nationality,
        "ethnicity": citizen.ethnicity,
        "permanent_address": citizen.permanent_address,
        "alive": True,
        "card_valid": True,
    }
    return {name: values[name] for name in sorted(set(asked))}


def _payload(
    ctx: PartnerContext,
    data: EkycIn,
    now: datetime,
    verdict: str,
    claims: dict[str, bool],
    face: dict[str, object],
    attributes: dict[str, Any],
) -> dict[str, Any]:
    return {
        "iss": get_settings().public_url or "dancu",
        "aud": ctx.partner_code,
        "azp": ctx.client_id,
        "iat": int(now.timestamp()),
        "jti": uuid.uuid4().hex,
        "sub": data.claimed.pid,
        "verdict": verdict,
        "checks": {
            "chip": "passive_authentication_passed",
            "card": "current",
            "citizen": "alive",
            "claims": {k: ("match" if v else "mismatch") for k, v in claims.items()},
            "face": face,
        },
        "sod_sha256": hashlib.sha256(data.chip()[0]).hexdigest(),
        "attributes": attributes,
    }


def sign(session: Session, payload: dict[str, Any]) -> str:
    key = keys.active_key(session, KEY_PURPOSE)
    header = {"alg": key.alg or "ES256", "typ": RESULT_TYP, "kid": key.kid}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, body, key)


def jwks(session: Session) -> dict[str, Any]:
    """The public keys that verify eKYC results (current and not yet retired)."""
    return keys.jwks(session, KEY_PURPOSE)


def read_result(session: Session, token: str) -> dict[str, Any]:
    """A signed result's payload, its signature checked against the published keys."""
    obj = jws.deserialize_compact(
        token, keys.verification_keys(session, KEY_PURPOSE), algorithms=ALGORITHMS
    )
    return json.loads(obj.payload)  # type: ignore[no-any-return]
