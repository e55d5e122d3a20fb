"""The end user a grant is for, and the level a grant keeps once its step-up window closes.

Shared by the Authlib server (``server.py``) and the token store (``tokens.py``), so
neither imports the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dancu.identity.auth.session import ACR_LEVEL1


@dataclass(frozen=True)
class Subject:
    """The end user a grant is for (what Authlib calls ``user``)."""

    account_id: int
    pid: str | None
    sid: str
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    step_up_until: int | None = None

    def get_user_id(self) -> int:
        return self.account_id


def downgraded_acr(acr: str | None, step_up_until: int | None, now: int) -> str | None:
    """A level-2 grant is level 1 once its step-up window has closed."""
    if acr and acr != ACR_LEVEL1 and (step_up_until is None or now >= step_up_until):
        return ACR_LEVEL1
    return acr
