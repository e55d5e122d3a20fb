"""The wallet's QR code holds a short link (``/v/<token>``), not the SD-JWT: small enough to
scan, kept a few minutes, one per holder and document, every fetch in the holder's log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import segno
from sqlalchemy import func, select

from dancu.common.audit import AuditEntry
from dancu.db import utcnow
from dancu.identity.wallet import links
from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import service as wallet
from dancu.identity.wallet.models import PresentationLink
from tests.identity.test_wallet import CLAIMS, ISSUER, make_account
from tests.identity.test_wallet_web import _sign_in, web  # noqa: F401  (the fixture)


@pytest.fixture
def account(session):
    return make_account(session)


@pytest.fixture
def credential(session, account):
    row = wallet.issue_document(session, account.id, "health_insurance_card", CLAIMS, actor=ISSUER)
    session.commit()
    return row


def fetches(session, pid: str) -> int:
    stmt = select(func.count()).where(
        AuditEntry.action == "wallet.link_fetched", AuditEntry.subject_id == pid
    )
    return session.scalar(stmt) or 0


def test_the_qr_holds_a_short_link_of_at_most_41_modules(web, session, account, credential):  # noqa: F811
    _sign_in(web, account)
    page = web.get(f"/wallet/{credential.credential_id}").text
    modules = int(re.search(r'data-testid="qr" data-modules="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert modules <= 41
    [row] = session.scalars(select(PresentationLink)).all()
    assert row.account_id == account.id and row.expires_at <= utcnow() + links.LIFETIME
    # the whole presentation would need a far larger code
    whole = segno.make(f"http://testserver/verify?p={row.presentation}", error="m")
    assert whole.symbol_size(scale=1, border=0)[0] > 100


def test_a_verifier_opens_the_link_and_the_fetch_is_logged(web, session, account, credential):  # noqa: F811
    presentation = credentials.present(credential.sd_jwt, ["full_name"])
    link = links.make(session, credential, presentation)
    session.commit()
    shown = web.get(f"/v/{link.token}")
    assert shown.status_code == 200 and 'data-testid="verify-valid"' in shown.text
    assert "Phạm Thị Hoa" in shown.text
    assert fetches(session, credential.citizen_pid) == 1
    pasted = web.post("/verify", data={"presentation": f"http://testserver/v/{link.token}"})
    assert 'data-testid="verify-valid"' in pasted.text
    assert fetches(session, credential.citizen_pid) == 2


def test_an_expired_or_unknown_link_says_so_and_reads_nothing(web, session, credential):  # noqa: F811
    presentation = credentials.present(credential.sd_jwt, ["full_name"])
    old = links.make(session, credential, presentation, now=utcnow() - timedelta(minutes=6))
    session.commit()
    for token in (old.token, "A" * 22):
        answer = web.get(f"/v/{token}")
        assert answer.status_code == 404
        assert 'data-code="wallet.link_expired"' in answer.text
        assert "Phạm Thị Hoa" not in answer.text
    assert fetches(session, credential.citizen_pid) == 0


def test_a_new_link_replaces_the_previous_and_only_a_hash_is_kept(session, credential):
    presentation = credentials.present(credential.sd_jwt, ["full_name"])
    first = links.make(session, credential, presentation)
    second = links.make(session, credential, presentation)
    rows = session.scalars(select(PresentationLink)).all()
    assert len(rows) == 1 and first.token != second.token
    assert second.token not in rows[0].token_hash and len(second.token) >= 22
    with pytest.raises(Exception, match="expired"):
        links.fetch(session, first.token)
    assert links.fetch(session, second.token) == presentation
