"""Write, seal, sign, export and verify the exchange's message log.

``append`` adds an entry in the caller's transaction (one INSERT, no shared row). ``seal``
chains the committed entries after the head (each hash is SHA-256 over the canonical JSON
of its position, content and the previous hash, like ``common/audit.py``) and signs the new
head with the platform's ``exchange_log`` key (a JWS checkpoint, as X-Road's security
server time-stamps and signs its log in batches). ``verify`` needs nothing but an export
(``export``) and the public keys: it recomputes every hash and checks every checkpoint's
signature, and reports entries not yet covered by a signature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from dancu.common.access import Actor, Permission
from dancu.db import utcnow
from dancu.exchange.messagelog.models import Checkpoint, LogEntry, LogHead
from dancu.identity.keys import service as keys

GENESIS = "0" * 64
KEY_PURPOSE = "exchange_log"
CONTENT = (
    "at",
    "request_id",
    "client_id",
    "partner_code",
    "purpose",
    "method",
    "path",
    "status",
    "code",
    "fields",
    "request_digest",
    "response_digest",
)


def digest(data: bytes | str | Mapping[str, Any] | None) -> str:
    """SHA-256 of a body: raw bytes as they are, a mapping as canonical JSON."""
    if data is None:
        data = b""
    if isinstance(data, Mapping):
        data = json.dumps(
            data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
        )
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def append(session: Session, **entry: Any) -> None:
    """One entry (the keys of ``CONTENT``; ``at`` defaults to now) in the caller's transaction."""
    row = {"at": utcnow(), **entry}
    row["fields"] = sorted(row.get("fields") or ())
    session.connection().execute(insert(LogEntry.__table__), [row])


def _stamp(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(seq: int, entry: Mapping[str, Any], prev_hash: str) -> str:
    content = [seq, *(_stamp(entry[k]) if k == "at" else entry[k] for k in CONTENT), prev_hash]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(session: Session, *, limit: int = 5000) -> int:
    """Chain up to ``limit`` unsealed entries and sign the new head; returns how many."""
    log = LogEntry.__table__
    if session.execute(select(log.c.id).where(log.c.seq.is_(None)).limit(1)).first() is None:
        return 0
    seq, prev = _lock_head(session)
    pending = (
        session.execute(select(log).where(log.c.seq.is_(None)).order_by(log.c.id).limit(limit))
        .mappings()
        .all()
    )
    seals = []
    for row in pending:
        seq += 1
        prev_hash, prev = prev, entry_hash(seq, row, prev)
        seals.append({"entry_id": row["id"], "s_seq": seq, "s_prev": prev_hash, "s_hash": prev})
    session.execute(
        update(log)
        .where(log.c.id == bindparam("entry_id"), log.c.seq.is_(None))
        .values(seq=bindparam("s_seq"), prev_hash=bindparam("s_prev"), hash=bindparam("s_hash")),
        seals,
    )
    session.execute(update(LogHead).where(LogHead.id == 1).values(seq=seq, last_hash=prev))
    session.add(sign_checkpoint(session, seq, prev))
    session.flush()
    return len(seals)


def _lock_head(session: Session) -> tuple[int, str]:
    touch = (
        update(LogHead)
        .where(LogHead.id == 1)
        .values(seq=LogHead.seq)
        .returning(LogHead.seq, LogHead.last_hash)
    )
    head = session.execute(touch).first()
    if head is None:
        session.execute(insert(LogHead).values(id=1, seq=0, last_hash=GENESIS))
        head = session.execute(touch).one()
    return int(head[0]), str(head[1])


def sign_checkpoint(session: Session, seq: int, head_hash: str) -> Checkpoint:
    at = utcnow()
    key = keys.active_key(session, KEY_PURPOSE)
    payload = json.dumps({"seq": seq, "hash": head_hash, "at": _stamp(at)}, separators=(",", ":"))
    header = {"alg": "ES256" if key.key_type == "EC" else "RS256", "kid": key.kid}
    token = jws.serialize_compact(header, payload.encode(), key)
    return Checkpoint(seq=seq, hash=head_hash, at=at, signature=token)


# -- export and offline verification ---------------------------------------------------


def export(session: Session, *, actor: Actor) -> dict[str, Any]:
    """The whole log as one JSON document: entries, checkpoints and the public keys."""
    actor.require(Permission.EXCHANGE_READ)
    log = LogEntry.__table__
    rows = session.execute(select(log).where(log.c.seq.is_not(None)).order_by(log.c.seq))
    entries = [
        {
            **{k: (_stamp(r[k]) if k == "at" else r[k]) for k in CONTENT},
            "seq": r["seq"],
            "hash": r["hash"],
        }
        for r in rows.mappings()
    ]
    points = session.scalars(select(Checkpoint).order_by(Checkpoint.seq))
    keys.active_key(session, KEY_PURPOSE)
    public = [dict(k.public_jwk) for k in keys.key_list(session, KEY_PURPOSE)]
    return {
        "format": "dancu-exchange-log/1",
        "entries": entries,
        "checkpoints": [{"seq": c.seq, "hash": c.hash, "signature": c.signature} for c in points],
        "jwks": {"keys": public},
    }


@dataclass(frozen=True)
class LogVerdict:
    ok: bool
    entries: int
    signed_up_to: int
    unsigned: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(document: Mapping[str, Any], jwks: Mapping[str, Any] | None = None) -> LogVerdict:
    """Check an export offline: every hash, the chain's links, every checkpoint's signature
    (with ``jwks``, the keys you trust; by default the ones the export carries)."""
    trusted = KeySet.import_key_set(dict(jwks or document["jwks"]))  # type: ignore[arg-type]
    entries: Sequence[Mapping[str, Any]] = document["entries"]
    hashes: dict[int, str] = {0: GENESIS}
    prev, expected_seq = GENESIS, 1
    for e in entries:
        if e["seq"] != expected_seq:
            return _bad(entries, expected_seq, "an entry is missing or out of order")
        if entry_hash(e["seq"], e, prev) != e["hash"]:
            return _bad(entries, e["seq"], "the entry's hash does not match its content")
        prev = hashes[e["seq"]] = e["hash"]
        expected_seq += 1
    signed = _check_checkpoints(document["checkpoints"], hashes, trusted)
    if isinstance(signed, LogVerdict):
        return signed
    last = expected_seq - 1
    return LogVerdict(True, len(entries), signed, last - signed)


def _check_checkpoints(
    points: Iterable[Mapping[str, Any]], hashes: dict[int, str], trusted: KeySet
) -> int | LogVerdict:
    signed = 0
    for point in points:
        try:
            token = jws.deserialize_compact(point["signature"], trusted)
        except (JoseError, ValueError) as exc:
            return LogVerdict(
                False, len(hashes) - 1, signed, 0, point["seq"], f"bad signature: {exc}"
            )
        claims = json.loads(token.payload)
        if claims["seq"] != point["seq"] or hashes.get(claims["seq"]) != claims["hash"]:
            return LogVerdict(
                False, len(hashes) - 1, signed, 0, point["seq"], "a signed head is not the chain's"
            )
        signed = max(signed, int(claims["seq"]))
    return signed


def _bad(entries: Sequence[Mapping[str, Any]], seq: int, reason: str) -> LogVerdict:
    return LogVerdict(False, len(entries), 0, 0, seq, reason)


def last_use(session: Session) -> dict[str, datetime]:
    """When each client last came through the door (the hygiene page's "last use")."""
    log = LogEntry.__table__
    stmt = select(log.c.client_id, func.max(log.c.at)).group_by(log.c.client_id)
    return {cid: at for cid, at in session.execute(stmt)}
