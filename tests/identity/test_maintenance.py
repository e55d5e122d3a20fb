"""The periodic purge deletes what can no longer be used, and nothing that still can."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from dancu.db import utcnow
from dancu.identity import tasks
from dancu.identity.auth.models import PasskeyChallenge
from dancu.identity.oidc.models import SeenJti


def test_purge_removes_expired_rows_and_keeps_live_ones(factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with factory() as session:
        session.add_all(
            [
                SeenJti(key="old", expires_at=now - timedelta(minutes=1)),
                SeenJti(key="live", expires_at=now + timedelta(minutes=5)),
                PasskeyChallenge(
                    challenge="old",
                    ceremony="register",
                    binding="b",
                    expires_at=now - timedelta(minutes=1),
                ),
                PasskeyChallenge(
                    challenge="live",
                    ceremony="register",
                    binding="b",
                    expires_at=now + timedelta(minutes=5),
                ),
            ]
        )
        session.commit()
    assert tasks.purge_expired(factory) >= 2
    with factory() as session:
        assert session.scalars(select(SeenJti.key)).all() == ["live"]
        assert session.scalars(select(PasskeyChallenge.challenge)).all() == ["live"]
