"""One exchange request, from authorization to the logged answer.

``serve`` runs a request of a partner through the door: ``authorize`` (credential,
suspension, purpose, fields, rate limit), the work (in a savepoint, so a refusal undoes it),
the answer (the work returns it minimised; ``minimise`` is applied again here so no answer
can carry a field outside the request's authorization), an audit entry for a refusal, and a
message-log entry for every request, answered or refused. The request's transaction
commits the log entry with the work, so the log never claims an answer that was undone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import PURPOSES, Actor
from dancu.common.errors import DancuError
from dancu.exchange.messagelog import service as messagelog
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.purposes import ENVELOPE
from dancu.exchange.partners.schemas import PartnerContext


@dataclass(frozen=True)
class Call:
    """What the door needs of an HTTP request (a service never takes the request)."""

    method: str
    path: str
    body: bytes = b""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


Work = Callable[[PartnerContext], dict[str, Any]]


def serve(
    session: Session,
    actor: Actor,
    call: Call,
    *,
    purpose: str,
    fields: Iterable[str] | None,
    work: Work,
    context: Callable[[], PartnerContext] | None = None,
    personal: bool = True,
) -> Answer:
    """Authorize, work, minimise, log; a refusal is an answer too (never raised).

    ``personal=False`` for answers that carry no citizen's data (a consent receipt, an
    import's counts): they are not filtered by field."""
    request_id = secrets.token_hex(16)
    ctx: PartnerContext | None = None
    try:
        with session.begin_nested():
            ctx = context() if context else partners.authorize(session, actor, purpose, fields)
            body = work(ctx)
            body = _released(ctx, body) if personal else body
        answer = Answer(200, {**body, "request_id": request_id})
    except DancuError as exc:
        answer = Answer(exc.status_code, exc.to_dict(), dict(getattr(exc, "headers", None) or {}))
        _refused(session, actor, purpose, request_id, exc.code)
    _log(session, actor, ctx, call, purpose, request_id, answer)
    answer.headers["X-Request-Id"] = request_id
    return answer


def _released(ctx: PartnerContext, body: dict[str, Any]) -> dict[str, Any]:
    """The work's answer, minimised once more: only what ``ctx.asked`` allowed survives
    (the consent-only fields passed the work's consent check, or it would have refused)."""
    return {k: v for k, v in body.items() if k in ENVELOPE or k in ctx.asked}


def _refused(session: Session, actor: Actor, purpose: str, request_id: str, code: str) -> None:
    """An audit entry for a refused request (the partner's purposes do not bound this
    entry about the partner itself)."""
    audit.record(
        session,
        replace(actor, id=actor.id[:80], name=actor.name[:200], purposes=None),
        action="exchange.refused",
        subject_type="exchange_request",
        subject_id=request_id,
        purpose=purpose if purpose in PURPOSES else "inspection",
        fields=(code,),
    )


def _log(
    session: Session,
    actor: Actor,
    ctx: PartnerContext | None,
    call: Call,
    purpose: str,
    request_id: str,
    answer: Answer,
) -> None:
    released = sorted(set(answer.body) - ENVELOPE - {"request_id"}) if answer.status == 200 else []
    messagelog.append(
        session,
        request_id=request_id,
        client_id=ctx.client_id if ctx else (partners.client_of(actor) or actor.id)[:64],
        partner_code=ctx.partner_code if ctx else "",
        purpose=purpose[:40],
        method=call.method,
        path=call.path[:200],
        status=answer.status,
        code=str(answer.body.get("code", "ok"))[:60],
        fields=released,
        request_digest=messagelog.digest(call.body),
        response_digest=messagelog.digest(answer.body),
    )
