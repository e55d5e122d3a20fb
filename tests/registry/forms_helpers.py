"""Reading the registry's form pages the way an officer does: the form's hidden key, the
value a field keeps, the error shown; and what the registry and the audit log hold."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.registry.models import CivilEvent
from tests.conftest import make_actor
from tests.registry.factories import COMMUNE

OTHER_COMMUNE = "22015"  # Phường Tuy Hòa, the same province (66) as the factories' commune


def commune_officer(commune: str = COMMUNE):  # type: ignore[no-untyped-def]
    """A registry clerk of one commune (a commune's justice officer)."""
    return make_actor(Role.REGISTRY_CLERK, units=(commune,), name=f"Clerk of {commune}")


def key_of(html: str) -> str:
    return html.split('name="key" value="', 1)[1].split('"', 1)[0]


def kept(html: str, name: str) -> str:
    """The value the input ``name`` shows (what was typed, kept on an error)."""
    found = re.search(rf'<input name="{name}" value="([^"]*)"', html)
    assert found, f"no input {name}"
    return found.group(1)


def error_of(html: str) -> tuple[str, str, str]:
    """(field, code, text) of the error shown above the form."""
    block = html.split('data-testid="error">', 1)[1].split("</p>", 1)[0]
    field = re.search(r'data-field="([^"]*)"[^>]*data-testid="error"', html)
    code = re.search(r'data-code="([^"]*)"', html)
    assert field and code
    text = re.sub(r"<[^>]+>", "", block)
    return field.group(1), code.group(1), " ".join(text.split())


def events(session: Session, kind: str) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(CivilEvent).where(CivilEvent.kind == kind)
    )  # type: ignore[return-value]


def audited(session: Session, action: str, pid: str) -> list[str]:
    """Who (actor ids) the audit log says did ``action`` on the citizen ``pid``."""
    stmt = select(AuditEntry.actor_id).where(
        AuditEntry.action == action, AuditEntry.subject_id == pid
    )
    return list(session.scalars(stmt))
