"""Wallet documents: issue SD-JWT VCs to accounts, list them, revoke them, verify them.

Credentials are signed with the key store's ``wallet`` key (``identity.keys``), so a key
rotation keeps older credentials verifiable through the published JWKS until the old key
retires. Revocation flips the credential's bit in its Token Status List. Issuing, reading
and revoking write the audit log; verifying reads nothing but the presentation itself.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Role
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.identity.accounts.models import Account
from dancu.identity.errors import IdentityErrorCode
from dancu.identity.keys import service as keys
from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import status_list as wallet_status
from dancu.identity.wallet.document_types import document_type
from dancu.identity.wallet.models import StatusList, WalletCredential
from dancu.settings import get_settings

PURPOSE = "wallet"
LIST_SIZE = 16384  # entries per status list (2 KiB of bits before compression)
WALLET_ISSUER_ACTOR = Actor(
    id="system:wallet",
    name="dancu wallet issuer",
    roles=frozenset({Role.SYSTEM}),
    organization="system",
)
REVOKING_ROLES = frozenset({Role.SYSTEM, Role.POLICE, Role.PROCEDURE_OFFICER})


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer to "is this presentation valid?" (``code`` says why not)."""

    valid: bool
    code: str | None = None
    message: str = ""
    vct: str | None = None
    issuer: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    key_bound: bool = False


def issuer() -> str:
    return get_settings().wallet_issuer.rstrip("/")


def status_uri(list_id: str) -> str:
    return f"{issuer()}/api/wallet/status/{list_id}"


def issue_document(
    session: Session,
    account_id: int,
    doc_type: str,
    claims: dict[str, Any],
    *,
    actor: Actor,
    now: datetime | None = None,
    holder_jwk: dict[str, Any] | None = None,
) -> WalletCredential:
    """Sign a document of ``doc_type`` for the account and keep the holder's copy."""
    if Role.SYSTEM not in actor.roles and Role.PROCEDURE_OFFICER not in actor.roles:
        raise Forbidden(
            "Only an issuing authority issues documents", code=IdentityErrorCode.WALLET_FORBIDDEN
        )
    kind = document_type(doc_type)
    unknown = set(claims) - kind.disclosable
    if unknown:
        raise ValidationFailed(
            f"Unknown claims for this document: {sorted(unknown)}",
            code=IdentityErrorCode.WALLET_CLAIMS,
            field="claims",
        )
    account = session.get(Account, account_id)
    if account is None or account.status == "closed":
        raise NotFound(
            "No such open account", code=IdentityErrorCode.WALLET_ACCOUNT_NOT_FOUND, field="account"
        )
    now = now or utcnow()
    expires = now + kind.lifetime
    list_id, index = _allocate(session)
    key = keys.active_key(session, PURPOSE)
    body: dict[str, Any] = {
        "iss": issuer(),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "vct": kind.vct,
        "document_type": kind.key,
        "status": {"status_list": {"idx": index, "uri": status_uri(list_id)}},
        **claims,
    }
    if holder_jwk is not None:
        body["cnf"] = {"jwk": holder_jwk}
    row = WalletCredential(
        credential_id=str(uuid.uuid4()),
        account_id=account.id,
        citizen_pid=account.citizen_pid,
        doc_type=kind.key,
        vct=kind.vct,
        title=kind.title,
        issuer_kid=key.kid or "",
        issued_at=now,
        expires_at=expires,
        status_list_id=list_id,
        status_index=index,
        sd_jwt=credentials.issue(body, kind.disclosable & set(claims), key),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        action="wallet.issue",
        subject_type="citizen",
        subject_id=account.citizen_pid,
        purpose="administrative_procedure",
        fields=sorted(claims),
    )
    return row


def held_types(session: Session, account_id: int) -> set[str]:
    """The document types the account already holds (no personal data: not audited)."""
    stmt = select(WalletCredential.doc_type).where(WalletCredential.account_id == account_id)
    return set(session.scalars(stmt))


def list_documents(session: Session, account_id: int, *, actor: Actor) -> list[WalletCredential]:
    """The account's documents, newest first (the holder's own read, audited)."""
    stmt = (
        select(WalletCredential)
        .where(WalletCredential.account_id == account_id)
        .order_by(WalletCredential.issued_at.desc(), WalletCredential.id.desc())
    )
    rows = list(session.scalars(stmt))
    if rows:
        audit.record(
            session,
            actor,
            action="wallet.list",
            subject_type="citizen",
            subject_id=rows[0].citizen_pid,
            purpose="citizen_request",
            fields=["documents"],
        )
    return rows


def get_document(
    session: Session, account_id: int, credential_id: str, *, actor: Actor
) -> WalletCredential:
    """One of the account's documents (NotFound for anyone else's)."""
    row = session.scalars(
        select(WalletCredential).where(
            WalletCredential.credential_id == credential_id,
            WalletCredential.account_id == account_id,
        )
    ).first()
    if row is None:
        raise NotFound(
            "No such document in this wallet", code=IdentityErrorCode.WALLET_NOT_FOUND, field="id"
        )
    audit.record(
        session,
        actor,
        action="wallet.read",
        subject_type="citizen",
        subject_id=row.citizen_pid,
        purpose="citizen_request",
        fields=[row.doc_type],
    )
    return row


def revoke(
    session: Session, credential_id: str, *, actor: Actor, reason: str, now: datetime | None = None
) -> WalletCredential:
    """Revoke a credential (its status-list bit turns to 1); audited."""
    if not actor.roles & REVOKING_ROLES:
        raise Forbidden(
            "Only an issuing authority revokes documents", code=IdentityErrorCode.WALLET_FORBIDDEN
        )
    if not reason.strip():
        raise ValidationFailed(
            "Give a reason", code=IdentityErrorCode.WALLET_REASON, field="reason"
        )
    row = session.scalars(
        select(WalletCredential).where(WalletCredential.credential_id == credential_id)
    ).first()
    if row is None:
        raise NotFound("No such document", code=IdentityErrorCode.WALLET_NOT_FOUND, field="id")
    done = session.execute(
        update(WalletCredential)
        .where(WalletCredential.id == row.id, WalletCredential.revoked_at.is_(None))
        .values(
            revoked_at=now or utcnow(), revoked_reason=reason.strip()[:200], revoked_by=actor.id
        )
        .execution_options(synchronize_session="fetch")
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "The document is already revoked", code=IdentityErrorCode.WALLET_ALREADY_REVOKED
        )
    audit.record(
        session,
        actor,
        action="wallet.revoke",
        subject_type="citizen",
        subject_id=row.citizen_pid,
        purpose="administrative_procedure",
        fields=[row.doc_type],
    )
    session.refresh(row)
    return row


def status_list_token(session: Session, list_id: str, *, now: datetime | None = None) -> str:
    """The signed Token Status List ``list_id`` (what /api/wallet/status/{id} serves)."""
    row = session.get(StatusList, list_id)
    if row is None:
        raise NotFound("No such status list", code=IdentityErrorCode.WALLET_STATUS_LIST_NOT_FOUND)
    revoked = session.scalars(
        select(WalletCredential.status_index).where(
            WalletCredential.status_list_id == list_id, WalletCredential.revoked_at.is_not(None)
        )
    )
    return wallet_status.token(
        keys.active_key(session, PURPOSE),
        uri=status_uri(list_id),
        size=row.size,
        revoked=list(revoked),
        now=int((now or utcnow()).timestamp()),
    )


def issuer_metadata(session: Session) -> dict[str, Any]:
    """The JWT VC issuer metadata (/.well-known/jwt-vc-issuer): issuer and its JWKS."""
    keys.active_key(session, PURPOSE)  # make sure a key exists before publishing
    return {"issuer": issuer(), "jwks": keys.jwks(session, PURPOSE)}


def verify_presentation(
    session: Session, presentation: str, *, now: datetime | None = None
) -> Verification:
    """Verify a presentation as any verifier would: published keys, expiry, status list."""
    now = now or utcnow()
    at = int(now.timestamp())
    try:
        result = credentials.verify(
            presentation,
            keys.verification_keys(session, PURPOSE, now=now),
            now=at,
            issuer=issuer(),
        )
        _check_status(session, result.payload, now)
    except credentials.CredentialInvalid as exc:
        return Verification(False, exc.code, exc.message)
    payload = result.payload
    return Verification(
        True,
        None,
        "",
        payload.get("vct"),
        payload.get("iss"),
        payload.get("iat"),
        payload.get("exp"),
        result.disclosed,
        result.key_bound,
    )


def _check_status(session: Session, payload: dict[str, Any], now: datetime) -> None:
    ref = (payload.get("status") or {}).get("status_list") or {}
    uri, index = ref.get("uri"), ref.get("idx")
    prefix = status_uri("")
    if not isinstance(uri, str) or not isinstance(index, int) or not uri.startswith(prefix):
        raise credentials.CredentialInvalid(
            "The credential has no usable status", code=IdentityErrorCode.WALLET_STATUS
        )
    try:
        token = status_list_token(session, uri.removeprefix(prefix), now=now)
    except NotFound as exc:
        raise credentials.CredentialInvalid(
            "The credential's status list is unknown", code=IdentityErrorCode.WALLET_STATUS
        ) from exc
    keyset = keys.verification_keys(session, PURPOSE, now=now)
    state = wallet_status.check(token, keyset, uri=uri, index=index, now=int(now.timestamp()))
    if state != wallet_status.VALID:
        raise credentials.CredentialInvalid(
            "The credential has been revoked", code=IdentityErrorCode.WALLET_REVOKED
        )


def _allocate(session: Session) -> tuple[str, int]:
    """A fresh (status list, index): one UPDATE on the newest list with room, else a new list."""
    current = session.scalars(
        select(StatusList.id)
        .where(StatusList.next_index < StatusList.size)
        .order_by(StatusList.created_at.desc(), StatusList.id.desc())
        .limit(1)
    ).first()
    if current is not None:
        taken = session.execute(
            update(StatusList)
            .where(StatusList.id == current, StatusList.next_index < StatusList.size)
            .values(next_index=StatusList.next_index + 1)
            .returning(StatusList.next_index)
        ).scalar()
        if taken is not None:
            return current, taken - 1
    fresh = StatusList(id=secrets.token_hex(8), size=LIST_SIZE, next_index=1, created_at=utcnow())
    session.add(fresh)
    session.flush()
    return fresh.id, 0


def reissue_after_rotation(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """Re-sign every live credential whose key is no longer the current ``wallet`` key.

    Run after ``rotate``: the holders' copies get fresh salts and the current key (same
    claims, ``iat``, ``exp`` and status entry), so they keep verifying after the old key
    retires. Presentations already handed out keep verifying only until then.
    """
    if Role.SYSTEM not in actor.roles:
        raise Forbidden(
            "Only the system re-signs documents", code=IdentityErrorCode.WALLET_FORBIDDEN
        )
    now = now or utcnow()
    key = keys.active_key(session, PURPOSE)
    stale = session.scalars(
        select(WalletCredential).where(
            WalletCredential.issuer_kid != (key.kid or ""),
            WalletCredential.revoked_at.is_(None),
            WalletCredential.expires_at > now,
        )
    ).all()
    for row in stale:
        jwt, _disclosures, _kb = credentials.split(row.sd_jwt)
        signed = credentials.decode_unverified(jwt)
        hidden = credentials.disclosure_claims(row.sd_jwt)
        visible = {k: v for k, v in signed.items() if k not in {"_sd", "_sd_alg"}}
        row.sd_jwt = credentials.issue({**visible, **hidden}, frozenset(hidden), key)
        row.issuer_kid = key.kid or ""
    session.flush()
    audit.record_many(
        session,
        actor,
        action="wallet.reissue",
        subject_type="citizen",
        subject_ids=sorted({r.citizen_pid for r in stale}),
        purpose="data_maintenance",
        fields=["documents"],
    )
    return len(stale)
