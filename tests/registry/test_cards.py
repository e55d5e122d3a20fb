"""Chip ID cards: when they expire (Law on Identification 2023, art. 21) and their lifecycle."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.common.outbox import OutboxEvent
from dancu.registry import cards, civil_status
from dancu.registry.cards import age_on, birthday_at, card_expiry
from dancu.registry.models import IdCard
from dancu.registry.schemas import CardApplicationIn, DeathIn
from tests.conftest import TODAY, make_actor
from tests.registry.factories import person

BORN = date(2000, 6, 15)
LEAP = date(2004, 2, 29)


@pytest.mark.parametrize(
    ("birth", "issued", "expires"),
    [
        (BORN, date(2000, 6, 15), date(2014, 6, 15)),  # at birth
        (BORN, date(2010, 6, 15), date(2014, 6, 15)),  # at 10 -> 14th birthday
        (BORN, date(2012, 6, 14), date(2014, 6, 15)),  # the day before 12
        (BORN, date(2012, 6, 15), date(2025, 6, 15)),  # at 12, within two years of 14 -> 25
        (BORN, date(2012, 12, 15), date(2025, 6, 15)),  # at 12.5 -> 25th
        (BORN, date(2014, 6, 15), date(2025, 6, 15)),  # renewed at 14 -> 25th
        (BORN, date(2023, 6, 14), date(2025, 6, 15)),
        (BORN, date(2023, 12, 15), date(2040, 6, 15)),  # at 23.5 -> 40th
        (BORN, date(2025, 6, 15), date(2040, 6, 15)),
        (BORN, date(2038, 6, 14), date(2040, 6, 15)),
        (BORN, date(2039, 6, 15), date(2060, 6, 15)),  # at 39 -> 60th
        (BORN, date(2058, 6, 14), date(2060, 6, 15)),  # the day before 58
        (BORN, date(2058, 6, 15), None),  # at 58: valid for life
        (BORN, date(2075, 1, 1), None),
        # 29 February births turn a year older on 1 March in common years.
        (LEAP, date(2016, 2, 28), date(2018, 3, 1)),
        (LEAP, date(2016, 2, 29), date(2029, 3, 1)),
        (LEAP, date(2027, 2, 28), date(2029, 3, 1)),
        (LEAP, date(2027, 3, 1), date(2044, 2, 29)),  # 2044 is a leap year
        (LEAP, date(2062, 2, 28), date(2064, 2, 29)),
        (LEAP, date(2062, 3, 1), None),
    ],
)
def test_card_expiry(birth, issued, expires):
    assert card_expiry(birth, issued) == expires


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2018, 2, 28), 13),
        (date(2018, 3, 1), 14),
        (date(2020, 2, 28), 15),
        (date(2020, 2, 29), 16),
    ],
)
def test_age_of_a_29_february_birth(on, age):
    assert age_on(LEAP, on) == age
    assert birthday_at(LEAP, 14) == date(2018, 3, 1)
    assert birthday_at(LEAP, 16) == date(2020, 2, 29)


# --- Lifecycle ------------------------------------------------------------------------------


def counts(session: Session) -> tuple[int, int, int]:
    session.flush()
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in (IdCard, AuditEntry, OutboxEvent)
    )


def topics(session: Session) -> list[str]:
    session.flush()
    return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def _apply(session, actor, holder, **changes):  # type: ignore[no-untyped-def]
    data = CardApplicationIn(pid=holder.pid, **({"applied_on": date(2025, 3, 1)} | changes))
    return cards.apply_for_card(session, data, actor=actor, today=TODAY)


def _step(session, actor, card_id, action, on, **kw):  # type: ignore[no-untyped-def]
    return cards.transition_card(session, card_id, action, actor=actor, on=on, today=TODAY, **kw)


@pytest.fixture
def holder(session):  # type: ignore[no-untyped-def]
    return person(session, "Nguyễn Văn An", birth_date=date(1990, 5, 17))


def test_card_goes_from_applied_to_produced_to_issued(session, clerk, holder):
    applied = _apply(session, clerk, holder)
    assert (applied.status, applied.card_no, applied.reason, applied.applied_on) == (
        "applied",
        holder.pid,
        "first",
        date(2025, 3, 1),
    )
    assert applied.serial == f"25{applied.id:010d}"
    assert applied.commune_code == "24121"
    produced = _step(session, clerk, applied.id, "produce", date(2025, 3, 10))
    assert (produced.status, produced.produced_on) == ("produced", date(2025, 3, 10))
    issued = _step(session, clerk, applied.id, "issue", date(2025, 3, 20))
    # Issued at 34: valid until the 40th birthday.
    assert (issued.status, issued.issued_on, issued.expires_on) == (
        "issued",
        date(2025, 3, 20),
        date(2030, 5, 17),
    )
    assert topics(session) == ["card.applied", "card.produced", "card.issued"]
    entries = session.execute(
        select(
            AuditEntry.action, AuditEntry.purpose, AuditEntry.subject_id, AuditEntry.fields
        ).order_by(AuditEntry.id)
    ).all()
    assert [tuple(e) for e in entries] == [
        (action, "id_card", holder.pid, ["id_card"])
        for action in ("card.applied", "card.produced", "card.issued")
    ]


@pytest.mark.parametrize(
    ("done", "action"),
    [
        ((), "issue"),
        ((), "report_lost"),
        (("produce",), "produce"),
        (("produce", "issue"), "produce"),
        (("produce", "issue"), "issue"),
        (("revoke",), "produce"),
        (("revoke",), "revoke"),
        (("produce", "issue", "report_lost"), "issue"),
        (("produce", "issue", "report_lost"), "report_lost"),
    ],
)
def test_invalid_transitions_are_409(session, clerk, holder, done, action):
    card = _apply(session, clerk, holder)
    for step in done:
        _step(session, clerk, card.id, step, date(2025, 3, 10))
    before = counts(session)
    status = session.get(IdCard, card.id).status  # type: ignore[union-attr]
    with pytest.raises(InvalidState) as caught:
        _step(session, clerk, card.id, action, date(2025, 3, 12))
    assert (caught.value.code, caught.value.field, caught.value.status_code) == (
        "card.transition",
        "action",
        409,
    )
    assert counts(session) == before
    session.expire_all()
    assert session.get(IdCard, card.id).status == status  # type: ignore[union-attr]


def test_revoke_and_report_lost_record_a_reason(session, clerk, holder):
    card = _apply(session, clerk, holder)
    revoked = _step(session, clerk, card.id, "revoke", date(2025, 3, 2), reason="withdrawn")
    assert revoked.status == "revoked"
    assert session.get(IdCard, card.id).closed_reason == "withdrawn"  # type: ignore[union-attr]
    second = _apply(session, clerk, holder, applied_on=date(2025, 4, 1))
    _step(session, clerk, second.id, "produce", date(2025, 4, 2))
    _step(session, clerk, second.id, "issue", date(2025, 4, 3))
    lost = _step(session, clerk, second.id, "report_lost", date(2025, 5, 1))
    assert lost.status == "lost"
    assert session.get(IdCard, second.id).closed_reason == "report_lost"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("produced_on", "field_ok"),
    [(date(2025, 2, 28), False), (date(2026, 1, 16), False), (date(2025, 3, 1), True)],
)
def test_a_step_cannot_predate_the_previous_one_or_lie_ahead(
    session, clerk, holder, produced_on, field_ok
):
    card = _apply(session, clerk, holder)
    if field_ok:
        assert _step(session, clerk, card.id, "produce", produced_on).status == "produced"
        return
    with pytest.raises(ValidationFailed) as caught:
        _step(session, clerk, card.id, "produce", produced_on)
    assert (caught.value.code, caught.value.field) == ("card.transition_date", "on")
    assert session.get(IdCard, card.id).status == "applied"  # type: ignore[union-attr]


def test_unknown_action(session, clerk, holder):
    card = _apply(session, clerk, holder)
    with pytest.raises(ValidationFailed) as caught:
        _step(session, clerk, card.id, "destroy", date(2025, 3, 2))
    assert (caught.value.code, caught.value.field) == ("card.action", "action")


def test_a_second_application_while_one_is_open_is_409(session, clerk, holder):
    first = _apply(session, clerk, holder)
    before = counts(session)
    for reason in ("first", "renewal"):
        with pytest.raises(Conflict) as caught:
            _apply(session, clerk, holder, reason=reason)
        assert (caught.value.code, caught.value.status_code) == ("card.in_progress", 409)
    _step(session, clerk, first.id, "produce", date(2025, 3, 2))
    with pytest.raises(Conflict) as still:
        _apply(session, clerk, holder, reason="replacement")
    assert still.value.code == "card.in_progress"
    assert counts(session)[0] == before[0]


def test_renewal_marks_the_issued_card_replaced(session, clerk, holder):
    old = _apply(session, clerk, holder, applied_on=date(2015, 1, 5))
    _step(session, clerk, old.id, "produce", date(2015, 1, 20))
    _step(session, clerk, old.id, "issue", date(2015, 2, 1))
    with pytest.raises(Conflict) as exists:
        _apply(session, clerk, holder, reason="first")
    assert (exists.value.code, exists.value.field) == ("card.exists", "reason")
    new = _apply(session, clerk, holder, reason="renewal", applied_on=date(2025, 3, 1))
    old_row = session.get(IdCard, old.id)
    new_row = session.get(IdCard, new.id)
    assert (old_row.status, old_row.closed_reason) == (  # type: ignore[union-attr]
        "replaced",
        "renewal applied 2025-03-01",
    )
    assert (new_row.status, new_row.reason, new_row.replaces_id) == (  # type: ignore[union-attr]
        "applied",
        "renewal",
        old.id,
    )


def test_deceased_holder_is_refused(session, clerk, holder):
    civil_status.register_death(
        session, DeathIn(pid=holder.pid, death_date=date(2025, 1, 1)), actor=clerk, today=TODAY
    )
    before = counts(session)
    with pytest.raises(InvalidState) as caught:
        _apply(session, clerk, holder)
    assert (caught.value.code, caught.value.field) == ("card.holder_deceased", "pid")
    assert counts(session) == before


@pytest.mark.parametrize(
    "applied_on", [date(1990, 5, 16), date(2026, 1, 16)], ids=["before-birth", "future"]
)
def test_impossible_application_date(session, clerk, holder, applied_on):
    with pytest.raises(ValidationFailed) as caught:
        _apply(session, clerk, holder, applied_on=applied_on)
    assert (caught.value.code, caught.value.field) == ("card.date", "applied_on")
    assert counts(session) == (0, 0, 0)


def test_cards_need_the_permission_and_the_area(session, clerk, holder):
    card = _apply(session, clerk, holder)
    with pytest.raises(Forbidden) as denied:
        _apply(session, make_actor(Role.REGISTRY_CLERK), holder)
    assert (denied.value.code, denied.value.params) == (
        "auth.permission",
        {"permission": "card.manage"},
    )
    elsewhere = make_actor(Role.POLICE, units=("22015",))
    with pytest.raises(NotFound) as no_holder:
        _apply(session, elsewhere, holder)
    with pytest.raises(NotFound) as no_card:
        _step(session, elsewhere, card.id, "produce", date(2025, 3, 2))
    with pytest.raises(NotFound) as missing:
        _step(session, clerk, card.id + 1000, "produce", date(2025, 3, 2))
    assert [e.value.code for e in (no_holder, no_card, missing)] == [
        "citizen.not_found",
        "card.not_found",
        "card.not_found",
    ]
    assert session.get(IdCard, card.id).status == "applied"  # type: ignore[union-attr]
