"""An issued card past (or close to) its expiry is flagged on the citizen's record page and
at the level-2 desk, not shown as plainly "issued"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dancu.common.access import SYSTEM_ACTOR
from dancu.registry import cards
from dancu.registry.cards import birthday_at, card_expiry
from dancu.registry.schemas import CardApplicationIn
from tests.conftest import bearer
from tests.identity.helpers import active_account, police
from tests.registry.factories import person
from tests.web.test_pages import parse, sign_in


@pytest.mark.parametrize(
    ("status", "expires", "today", "expected"),
    [
        ("issued", date(2026, 6, 29), date(2026, 12, 3), "expired"),
        ("issued", date(2026, 6, 29), date(2026, 6, 29), "expired"),  # the expiry day itself
        ("issued", date(2026, 6, 29), date(2026, 6, 28), "expiring"),
        ("issued", date(2026, 6, 29), date(2026, 5, 30), "expiring"),  # 30 days left
        ("issued", date(2026, 6, 29), date(2026, 5, 29), "valid"),  # 31 days left
        ("issued", None, date(2026, 6, 29), "valid"),  # valid for life
        ("lost", date(2026, 6, 29), date(2026, 12, 3), None),
        ("applied", None, date(2026, 12, 3), None),
    ],
)
def test_card_validity(status, expires, today, expected):
    assert cards.validity(status, expires, today) == expected


def card_expiring_on(session, expires: date, name: str = "Phạm Thị Hoa"):  # type: ignore[no-untyped-def]
    """A citizen whose card, issued at 20, expires at 25 on ``expires``."""
    birth = expires.replace(year=expires.year - 25)
    holder = person(session, name, birth_date=birth, sex="F")
    issued = birthday_at(birth, 20)
    assert card_expiry(birth, issued) == expires
    applied = cards.apply_for_card(
        session, CardApplicationIn(pid=holder.pid, applied_on=issued), actor=SYSTEM_ACTOR
    )
    cards.transition_card(session, applied.id, "produce", actor=SYSTEM_ACTOR, on=issued)
    cards.transition_card(session, applied.id, "issue", actor=SYSTEM_ACTOR, on=issued)
    session.flush()
    return holder


def _day(d: date) -> date:
    return d if (d.month, d.day) != (2, 29) else d + timedelta(days=1)


def test_the_record_page_flags_an_expired_card(client, session):
    expires = _day(date.today() - timedelta(days=157))
    holder = card_expiring_on(session, expires)
    sign_in(client)

    page = parse(client.get(f"/registry/citizens/{holder.pid}").text)

    when = expires.strftime("%d/%m/%Y")
    assert page.texts["card-validity"] == (
        f"Đã hết hạn từ ngày {when}: công dân cần làm thủ tục cấp đổi thẻ"
    )


def test_the_record_page_flags_a_card_expiring_within_30_days(client, session):
    expires = _day(date.today() + timedelta(days=10))
    holder = card_expiring_on(session, expires)
    sign_in(client)

    page = parse(client.get(f"/registry/citizens/{holder.pid}").text)

    when = expires.strftime("%d/%m/%Y")
    assert page.texts["card-validity"] == (
        f"Sắp hết hạn, vào ngày {when}: công dân nên làm thủ tục cấp đổi thẻ"
    )


def test_a_valid_card_carries_no_warning(client, session):
    holder = card_expiring_on(session, _day(date.today() + timedelta(days=400)))
    sign_in(client)

    response = client.get(f"/registry/citizens/{holder.pid}")

    assert "card-validity" not in parse(response.text).texts


def test_the_desk_flags_an_expired_card(client, session):
    expires = _day(date.today() - timedelta(days=3))
    holder = card_expiring_on(session, expires)
    active_account(session, holder)
    session.commit()

    response = client.get(
        "/desk/level2", params={"pid": holder.pid}, headers=bearer(police(holder.commune_code))
    )

    when = expires.strftime("%d/%m/%Y")
    assert parse(response.text).texts["card-validity"] == (
        f"Đã hết hạn từ ngày {when}: công dân cần làm thủ tục cấp đổi thẻ"
    )
