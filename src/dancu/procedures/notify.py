"""Notifications to the citizen on every change of a dossier's state, through adapters.

``Channel`` is the adapter interface (an SMS gateway, a mail server); the shipped ones put
the message into identity's outbound-message table, which a sender drains in production
and the development sink (``/dev/messages``) shows. The text is Vietnamese: the citizen's
phone has no language setting to read. Dossier codes are ``<unit>-<yymmdd><id:06d>`` (no
word of exactly six digits, unlike a one-time code).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from dancu.common.errors import NotFound
from dancu.identity.accounts import messages
from dancu.identity.accounts import service as accounts

STATUS_VI = {
    "submitted": "đã được tiếp nhận",
    "processing": "đang được giải quyết",
    "supplement": "cần bổ sung giấy tờ",
    "approved": "đã có kết quả",
    "rejected": "bị từ chối",
    "withdrawn": "đã được rút",
}


class Channel(Protocol):
    name: str

    def send(self, session: Session, recipient: str, body: str, *, account_id: int) -> None: ...


class SmsChannel:
    name = "sms"

    def send(self, session: Session, recipient: str, body: str, *, account_id: int) -> None:
        messages.send(session, "sms", recipient, body, account_id=account_id)


class EmailChannel:
    name = "email"

    def send(self, session: Session, recipient: str, body: str, *, account_id: int) -> None:
        messages.send(session, "email", recipient, body, account_id=account_id)


CHANNELS: list[Channel] = [SmsChannel(), EmailChannel()]


def body_for(payload: dict[str, Any]) -> str:
    status = STATUS_VI.get(str(payload.get("status")), str(payload.get("status")))
    # No six-digit word in the text: a phone's code reader (and the tests' sink readers)
    # must never take a dossier message for a sign-in code.
    text = f"Hồ sơ {payload.get('dossier')} {status}."
    if payload.get("status") == "submitted" and payload.get("due_on"):
        due = str(payload["due_on"])
        text += f" Hẹn trả kết quả: {due[8:10]}/{due[5:7]}/{due[0:4]}."
    return text


def notify(session: Session, payload: dict[str, Any], channels: list[Channel] | None = None) -> int:
    """Send the change to the applicant's phone and e-mail; returns how many were sent."""
    account_id = payload.get("account_id")
    if not account_id or payload.get("status") == "draft":
        return 0
    try:
        account = accounts.get(session, int(account_id))
    except NotFound:
        return 0
    body = body_for(payload)
    sent = 0
    for channel in channels if channels is not None else CHANNELS:
        recipient = account.phone if channel.name == "sms" else account.email
        if recipient:
            channel.send(session, recipient, body, account_id=account.id)
            sent += 1
    return sent
