"""What identity reads from the registry, only through the registry's audited services."""

from __future__ import annotations

import unicodedata
from datetime import date

from sqlalchemy.orm import Session

from dancu.common.access import Actor, Role
from dancu.common.errors import NotFound
from dancu.registry import service as registry
from dancu.registry.cards import age_on
from dancu.registry.schemas import CitizenOut, HouseholdOut

# The identity service itself, when it checks a registrant against the registry.
IDENTITY_ACTOR = Actor(
    id="system:identity",
    name="dancu identity",
    roles=frozenset({Role.SYSTEM}),
    organization="system",
)
MIN_OWN_ACCOUNT_AGE = 14


def record(session: Session, pid: str, *, actor: Actor = IDENTITY_ACTOR) -> CitizenOut | None:
    """The citizen's registry record (audited, purpose: identity verification), or None."""
    try:
        return registry.get_citizen(session, pid, actor=actor, purpose="verification")
    except NotFound:
        return None


def household(session: Session, pid: str) -> HouseholdOut | None:
    try:
        return registry.household_of(session, pid, actor=IDENTITY_ACTOR, purpose="verification")
    except NotFound:
        return None


def same_name(typed: str, registered: str) -> bool:
    """Exact after Unicode NFC, single spaces and case folding (diacritics must match)."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split()).casefold()

    return norm(typed) == norm(registered)


def age(citizen: CitizenOut, today: date) -> int:
    return age_on(citizen.birth_date, today)


def guardian_of(session: Session, guardian_pid: str, child_pid: str) -> bool:
    """Whether the guardian is a parent of the child in the registry's household book.

    A child (relation ``child``) is the head's and the head's spouse's; a grandchild is
    recorded under the head when the parents are not (the head then acts as guardian).
    """
    book = household(session, child_pid)
    if book is None:
        return False
    relations = {m.pid: m.relation for m in book.members}
    child, guardian = relations.get(child_pid), relations.get(guardian_pid)
    if child == "child":
        return guardian in ("head", "spouse")
    if child == "grandchild":
        return guardian == "head" or guardian == "child"
    return False
