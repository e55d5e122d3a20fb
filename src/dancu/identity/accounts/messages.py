"""Outgoing SMS and e-mail (the messages outbox) and the development sink that lists them.

No gateway is wired yet: messages stay in ``outbound_message``; a sender job would mark
``sent_at``. In development, ``latest`` feeds the /dev/messages page.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import OutboundMessage
from dancu.identity.accounts.schemas import MessageOut


def send(
    session: Session, channel: str, recipient: str, body: str, *, account_id: int | None = None
) -> OutboundMessage:
    message = OutboundMessage(
        channel=channel, recipient=recipient, body=body, account_id=account_id
    )
    session.add(message)
    session.flush()
    return message


def latest(session: Session, *, limit: int = 50, recipient: str | None = None) -> list[MessageOut]:
    """The newest messages first (development sink; never mounted in production)."""
    stmt = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
    if recipient:
        stmt = stmt.where(OutboundMessage.recipient == recipient)
    return [MessageOut.model_validate(m) for m in session.scalars(stmt)]
