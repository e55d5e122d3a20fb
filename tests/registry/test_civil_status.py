"""Civil-status events: each changes the registry, is audited and emits an outbox event in the
same transaction, or changes nothing at all."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from dancu.common.outbox import OutboxEvent
from dancu.common.pid import check_against, make_pid
from dancu.registry import cards, civil_status
from dancu.registry.models import Citizen, CivilEvent, Household, HouseholdMember, IdCard
from dancu.registry.schemas import (
    BirthIn,
    CardApplicationIn,
    DeathIn,
    DivorceIn,
    MarriageIn,
    ResidenceChangeIn,
)
from tests.conftest import TODAY, make_actor
from tests.registry.factories import household, person

OTHER_COMMUNE = "22015"  # Phường Tuy Hòa, Đắk Lắk
TABLES = (Citizen, Household, HouseholdMember, CivilEvent, IdCard, AuditEntry, OutboxEvent)


def counts(session: Session) -> dict[str, int]:
    """Rows per table: a refused event must leave every one unchanged."""
    session.flush()  # the outbox row is only added to the session; the commit writes it
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES
    }


def outbox(session: Session) -> list[tuple[str, dict[str, object]]]:
    session.flush()
    rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
    return [(e.topic, e.payload) for e in rows]


def audit_rows(session: Session) -> list[tuple[object, ...]]:
    stmt = select(
        AuditEntry.actor_id,
        AuditEntry.purpose,
        AuditEntry.action,
        AuditEntry.subject_id,
        AuditEntry.fields,
    ).order_by(AuditEntry.id)
    return [tuple(r) for r in session.execute(stmt)]


def membership(session: Session, citizen: Citizen) -> tuple[int, str] | None:
    row = session.execute(
        select(HouseholdMember.household_id, HouseholdMember.relation).where(
            HouseholdMember.citizen_id == citizen.id
        )
    ).first()
    return tuple(row) if row else None  # type: ignore[return-value]


@pytest.fixture
def family(session: Session) -> dict[str, Citizen]:
    father = person(session, "Nguyễn Văn An", birth_date=date(1990, 5, 17), sex="M")
    mother = person(session, "Trần Thị Bình", birth_date=date(1992, 8, 1), sex="F")
    home = household(session, father, (mother, "spouse"))
    return {"father": father, "mother": mother, "household": home}  # type: ignore[dict-item]


def _marry(session, actor, a, b, on=date(2020, 1, 1), key=None):  # type: ignore[no-untyped-def]
    data = MarriageIn(pid=a.pid, spouse_pid=b.pid, married_on=on)
    return civil_status.register_marriage(session, data, actor=actor, key=key, today=TODAY)


def _die(session, actor, who, on=date(2025, 10, 1), key=None):  # type: ignore[no-untyped-def]
    data = DeathIn(pid=who.pid, death_date=on, cause="illness")
    return civil_status.register_death(session, data, actor=actor, key=key, today=TODAY)


# --- Birth ----------------------------------------------------------------------------------


def _birth(**changes) -> BirthIn:  # type: ignore[no-untyped-def]
    data = {"full_name": "nguyễn  văn  bảo", "birth_date": date(2025, 12, 24), "sex": "M"}
    return BirthIn(**(data | changes))


def test_birth_creates_a_citizen_with_a_consistent_pid(session, clerk, family):
    mother, father = family["mother"], family["father"]
    out = civil_status.register_birth(
        session, _birth(mother_pid=mother.pid, father_pid=father.pid), actor=clerk, today=TODAY
    )
    child = session.scalars(select(Citizen).where(Citizen.pid == out.citizen_pid)).one()
    # Province 066 (Đắk Lắk), century digit 2 (a boy born in the 2000s), year 25, serial 1.
    assert child.pid == "066225000001"
    check_against(child.pid, birth_date=date(2025, 12, 24), sex="M")
    assert (child.full_name, child.name_folded, child.birth_date, child.sex, child.status) == (
        "Nguyễn Văn Bảo",
        "nguyen van bao",
        date(2025, 12, 24),
        "M",
        "alive",
    )
    assert (child.commune_code, child.province_code, child.address_detail) == (
        "24121",
        "66",
        "12 Lê Duẩn",
    )
    assert (child.place_of_birth, child.marital_status) == ("Phường Tân Lập", "single")
    assert membership(session, child) == (family["household"].id, "child")
    assert (out.kind, out.occurred_on, out.registered_by) == ("birth", date(2025, 12, 24), clerk.id)
    assert out.details == {"parents": [mother.pid, father.pid], "child_name": "Nguyễn Văn Bảo"}


def test_birth_emits_citizen_born_and_audits_in_the_same_transaction(session, clerk, family):
    before = counts(session)
    savepoint = session.begin_nested()
    out = civil_status.register_birth(
        session, _birth(mother_pid=family["mother"].pid), actor=clerk, today=TODAY
    )
    assert outbox(session) == [
        (
            "citizen.born",
            {
                "event_id": out.id,
                "pid": out.citizen_pid,
                "parents": [family["mother"].pid],
                "child_name": "Nguyễn Văn Bảo",
            },
        ),
    ]
    assert audit_rows(session) == [
        (
            clerk.id,
            "civil_status",
            "civil_status.birth",
            out.citizen_pid,
            ["pid", "full_name", "birth_date", "sex", "household"],
        ),
    ]
    savepoint.rollback()  # the event, the citizen and the outbox row go together
    assert counts(session) == before


def test_birth_pids_take_the_next_serial(session, clerk, family):
    girl = _birth(full_name="Nguyễn Thị Cúc", sex="F", birth_date=date(2025, 3, 1))
    existing = make_pid(province_code="066", birth_date=date(2025, 1, 1), sex="F", serial=4711)
    session.add(
        Citizen(
            pid=existing,
            full_name="Lê Thị Dung",
            name_folded="le thi dung",
            birth_date=date(2025, 1, 1),
            sex="F",
            province_code="66",
            commune_code="24121",
        )
    )
    session.flush()
    first = civil_status.register_birth(
        session,
        girl.model_copy(update={"mother_pid": family["mother"].pid}),
        actor=clerk,
        today=TODAY,
    )
    second = civil_status.register_birth(
        session,
        girl.model_copy(update={"father_pid": family["father"].pid}),
        actor=clerk,
        today=TODAY,
    )
    assert (first.citizen_pid, second.citizen_pid) == ("066325004712", "066325004713")


def test_grandchild_joins_the_grandparents_household(session, clerk):
    grandpa = person(session, "Nguyễn Văn Ông", birth_date=date(1950, 1, 1))
    daughter = person(session, "Nguyễn Thị Mai", birth_date=date(1995, 2, 2), sex="F")
    home = household(session, grandpa, (daughter, "child"))
    out = civil_status.register_birth(
        session, _birth(mother_pid=daughter.pid), actor=clerk, today=TODAY
    )
    child = session.scalars(select(Citizen).where(Citizen.pid == out.citizen_pid)).one()
    assert membership(session, child) == (home.id, "grandchild")


def test_child_registered_in_another_commune_joins_no_household_there(session, clerk, family):
    data = _birth(mother_pid=family["mother"].pid, commune_code=OTHER_COMMUNE)
    out = civil_status.register_birth(session, data, actor=clerk, today=TODAY)
    child = session.scalars(select(Citizen).where(Citizen.pid == out.citizen_pid)).one()
    assert (child.commune_code, child.place_of_birth) == (OTHER_COMMUNE, "Phường Tuy Hòa")
    assert membership(session, child) is None


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({}, "birth.no_parent", "mother_pid"),
        ({"mother_pid": "father"}, "birth.parent_sex", "mother_pid"),
        ({"father_pid": "mother"}, "birth.parent_sex", "father_pid"),
        (
            {"mother_pid": "mother", "birth_date": date(1992, 8, 1)},
            "birth.parent_younger",
            "birth_date",
        ),
        (
            {"mother_pid": "mother", "birth_date": date(2026, 1, 16)},
            "birth_date.future",
            "birth_date",
        ),
        ({"mother_pid": "mother", "full_name": "Bảo 2"}, "name.invalid", "full_name"),
        ({"mother_pid": "mother", "commune_code": "99999"}, "commune.unknown", "commune_code"),
        ({"mother_pid": "12345"}, "pid.length", "mother_pid"),
    ],
)
def test_birth_refused_changes_nothing(session, clerk, family, changes, code, field):
    resolved = {k: family[v].pid if v in ("mother", "father") else v for k, v in changes.items()}
    before = counts(session)
    with pytest.raises(ValidationFailed) as caught:
        civil_status.register_birth(session, _birth(**resolved), actor=clerk, today=TODAY)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert counts(session) == before


def test_birth_to_a_parent_outside_the_area_is_not_found(session, family):
    officer = make_actor(Role.REGISTRY_CLERK, units=(OTHER_COMMUNE,))
    before = counts(session)
    with pytest.raises(NotFound) as caught:
        civil_status.register_birth(
            session, _birth(mother_pid=family["mother"].pid), actor=officer, today=TODAY
        )
    assert (caught.value.code, caught.value.field) == ("citizen.not_found", "mother_pid")
    assert counts(session) == before


def test_police_cannot_record_civil_status(session, family):
    police = make_actor(Role.POLICE)
    with pytest.raises(Forbidden) as caught:
        _die(session, police, family["father"])
    assert (caught.value.code, caught.value.params) == (
        "auth.permission",
        {"permission": "civil_status.record"},
    )


# --- Death ----------------------------------------------------------------------------------


def _issued_card(session, actor, holder) -> IdCard:  # type: ignore[no-untyped-def]
    out = cards.apply_for_card(
        session,
        CardApplicationIn(pid=holder.pid, applied_on=date(2024, 1, 2)),
        actor=actor,
        today=TODAY,
    )
    cards.transition_card(session, out.id, "produce", actor=actor, on=date(2024, 1, 10))
    cards.transition_card(session, out.id, "issue", actor=actor, on=date(2024, 1, 20))
    return session.get(IdCard, out.id)  # type: ignore[return-value]


def test_death_widows_the_spouse_and_revokes_the_card(session, clerk, family):
    father, mother = family["father"], family["mother"]
    _marry(session, clerk, father, mother)
    card = _issued_card(session, clerk, father)
    out = _die(session, clerk, father)
    session.expire_all()
    assert (father.status, father.death_date, father.spouse_id) == (
        "deceased",
        date(2025, 10, 1),
        None,
    )
    assert (mother.status, mother.marital_status, mother.spouse_id) == ("alive", "widowed", None)
    assert (card.status, card.closed_reason) == ("revoked", "holder deceased")
    assert (out.kind, out.citizen_pid, out.details) == ("death", father.pid, {"cause": "illness"})
    assert outbox(session)[-1] == (
        "citizen.died",
        {"event_id": out.id, "pid": father.pid, "cause": "illness"},
    )
    assert audit_rows(session)[-1] == (
        clerk.id,
        "civil_status",
        "civil_status.death",
        father.pid,
        ["status", "death_date", "marital_status", "id_card"],
    )


@pytest.mark.parametrize(
    ("death_date", "code"),
    [(date(1990, 5, 16), "death_date.before_birth"), (date(2026, 1, 16), "death_date.future")],
)
def test_impossible_death_date_changes_nothing(session, clerk, family, death_date, code):
    father, mother = family["father"], family["mother"]
    _marry(session, clerk, father, mother)
    before = counts(session)
    with pytest.raises(ValidationFailed) as caught:
        _die(session, clerk, father, on=death_date)
    assert (caught.value.code, caught.value.field, caught.value.status_code) == (
        code,
        "death_date",
        422,
    )
    session.expire_all()
    assert (father.status, father.death_date, father.spouse_id) == ("alive", None, mother.id)
    assert (mother.marital_status, mother.spouse_id) == ("married", father.id)
    assert counts(session) == before


def test_death_on_the_day_of_birth_is_possible(session, clerk, family):
    out = _die(session, clerk, family["father"], on=date(1990, 5, 17))
    assert out.occurred_on == date(1990, 5, 17)


def test_death_registered_twice_is_a_conflict(session, clerk, family):
    _die(session, clerk, family["father"])
    before = counts(session)
    with pytest.raises(InvalidState) as caught:
        _die(session, clerk, family["father"])
    assert (caught.value.code, caught.value.status_code) == ("death.already_registered", 409)
    assert counts(session) == before


def test_same_idempotency_key_records_the_death_once(session, clerk, family):
    first = _die(session, clerk, family["father"], key="death-0001")
    after_first = counts(session)
    second = _die(session, clerk, family["father"], key="death-0001")
    assert second == first
    assert counts(session) == after_first
    assert (after_first["civil_event"], after_first["outbox_event"]) == (1, 1)


def test_idempotency_key_reused_for_another_request_is_refused(session, clerk, family):
    _die(session, clerk, family["father"], key="k-1")
    before = counts(session)
    with pytest.raises(Conflict) as other_kind:
        civil_status.register_birth(
            session, _birth(mother_pid=family["mother"].pid), actor=clerk, key="k-1", today=TODAY
        )
    colleague = make_actor(Role.REGISTRY_CLERK, name="Another clerk", units=("24121",))
    with pytest.raises(Conflict) as other_actor:
        _die(session, colleague, family["father"], key="k-1")
    assert [(e.value.code, e.value.field) for e in (other_kind, other_actor)] == [
        ("idempotency.key_reused", "Idempotency-Key"),
    ] * 2
    assert counts(session) == before


# --- Marriage and divorce -------------------------------------------------------------------


@pytest.fixture
def couple(session: Session) -> tuple[Citizen, Citizen]:
    man = person(session, "Lê Văn Nam", birth_date=date(2000, 3, 10), sex="M")
    woman = person(session, "Phạm Thị Nữ", birth_date=date(2002, 7, 20), sex="F")
    return man, woman


def test_marriage_links_the_spouses(session, clerk, couple):
    man, woman = couple
    out = _marry(session, clerk, man, woman, on=date(2024, 5, 1))
    assert (man.marital_status, man.spouse_id, woman.marital_status, woman.spouse_id) == (
        "married",
        woman.id,
        "married",
        man.id,
    )
    assert outbox(session) == [
        ("citizen.married", {"event_id": out.id, "pid": man.pid, "spouse_pid": woman.pid}),
    ]
    assert [(r[2], r[3]) for r in audit_rows(session)] == [
        ("civil_status.marriage", man.pid),
        ("civil_status.marriage", woman.pid),
    ]


@pytest.mark.parametrize(
    ("married_on", "outcome"),
    [
        (date(2020, 3, 10), None),  # he turns 20 that day, she is 17: too young
        (date(2020, 7, 20), "married"),  # she turns 18 that day, he is 20
        (date(2020, 7, 19), None),
    ],
)
def test_minimum_marriage_ages_are_20_and_18(session, clerk, married_on, outcome):
    man = person(session, "Lê Văn Nam", birth_date=date(2000, 3, 10), sex="M")
    woman = person(session, "Phạm Thị Nữ", birth_date=date(2002, 7, 20), sex="F")
    if outcome:
        _marry(session, clerk, man, woman, on=married_on)
        assert (man.marital_status, woman.marital_status) == ("married", "married")
        return
    with pytest.raises(ValidationFailed) as caught:
        _marry(session, clerk, man, woman, on=married_on)
    assert (caught.value.code, caught.value.field) == ("marriage.under_age", "spouse_pid")


def test_man_under_20_cannot_marry(session, clerk):
    man = person(session, "Lê Văn Nam", birth_date=date(2004, 3, 11), sex="M")
    woman = person(session, "Phạm Thị Nữ", birth_date=date(2000, 1, 1), sex="F")
    with pytest.raises(ValidationFailed) as caught:
        _marry(session, clerk, man, woman, on=date(2024, 3, 10))  # one day short of 20
    assert (caught.value.code, caught.value.field) == ("marriage.under_age", "pid")
    _marry(session, clerk, man, woman, on=date(2024, 3, 11))
    assert man.marital_status == "married"


def test_marriage_refusals_change_nothing(session, clerk, couple):
    man, woman = couple
    other_man = person(session, "Đỗ Văn Ba", birth_date=date(1990, 1, 1), sex="M")
    dead_woman = person(session, "Vũ Thị Tư", birth_date=date(1990, 1, 1), sex="F")
    _die(session, clerk, dead_woman, on=date(2025, 1, 1))
    _marry(session, clerk, other_man, woman, on=date(2024, 1, 1))
    before = counts(session)
    cases = [
        (man, other_man, ValidationFailed, "marriage.same_sex", "spouse_pid"),
        (man, man, ValidationFailed, "marriage.same_person", "spouse_pid"),
        (man, woman, InvalidState, "marriage.already_married", "spouse_pid"),
        (man, dead_woman, InvalidState, "marriage.deceased", "spouse_pid"),
    ]
    for a, b, error, code, field in cases:
        with pytest.raises(error) as caught:
            _marry(session, clerk, a, b, on=date(2025, 6, 1))
        assert (caught.value.code, caught.value.field) == (code, field)
    assert counts(session) == before
    assert (man.marital_status, man.spouse_id) == ("single", None)


def test_marriage_date_must_be_past_and_after_birth(session, clerk, couple):
    man, woman = couple
    with pytest.raises(ValidationFailed) as caught:
        _marry(session, clerk, man, woman, on=date(2026, 2, 1))
    assert (caught.value.code, caught.value.field) == ("married_on.future", "married_on")


def test_divorce_unlinks_the_spouses(session, clerk, couple):
    man, woman = couple
    _marry(session, clerk, man, woman, on=date(2024, 5, 1))
    data = DivorceIn(pid=woman.pid, spouse_pid=man.pid, divorced_on=date(2025, 5, 1))
    out = civil_status.register_divorce(session, data, actor=clerk, today=TODAY)
    assert (man.marital_status, man.spouse_id, woman.marital_status, woman.spouse_id) == (
        "divorced",
        None,
        "divorced",
        None,
    )
    assert outbox(session)[-1] == (
        "citizen.divorced",
        {"event_id": out.id, "pid": woman.pid, "spouse_pid": man.pid},
    )
    _marry(session, clerk, man, woman, on=date(2025, 12, 1))  # they may marry again
    assert (man.spouse_id, woman.spouse_id) == (woman.id, man.id)


def test_divorce_needs_a_marriage_and_a_date_after_it(session, clerk, couple):
    man, woman = couple
    stranger = person(session, "Hồ Thị Lạ", birth_date=date(1999, 9, 9), sex="F")
    _marry(session, clerk, man, woman, on=date(2024, 5, 1))
    before = counts(session)
    with pytest.raises(InvalidState) as not_married:
        civil_status.register_divorce(
            session,
            DivorceIn(pid=man.pid, spouse_pid=stranger.pid, divorced_on=date(2025, 1, 1)),
            actor=clerk,
            today=TODAY,
        )
    with pytest.raises(ValidationFailed) as too_early:
        civil_status.register_divorce(
            session,
            DivorceIn(pid=man.pid, spouse_pid=woman.pid, divorced_on=date(2024, 4, 30)),
            actor=clerk,
            today=TODAY,
        )
    assert (not_married.value.code, too_early.value.code, too_early.value.field) == (
        "divorce.not_married",
        "divorced_on.before_marriage",
        "divorced_on",
    )
    assert counts(session) == before


# --- Residence ------------------------------------------------------------------------------


def _move(session, actor, who, **changes):  # type: ignore[no-untyped-def]
    data = {
        "pid": who.pid,
        "commune_code": OTHER_COMMUNE,
        "address_detail": "5 Hùng Vương",
        "moved_on": date(2025, 9, 1),
    } | changes
    return civil_status.register_residence_change(
        session, ResidenceChangeIn(**data), actor=actor, today=TODAY
    )


def test_move_to_a_new_household(session, clerk, family):
    mother = family["mother"]
    out = _move(session, clerk, mother)
    session.expire_all()
    new_no = out.details["to"]["household_no"]  # type: ignore[index]
    target = session.scalars(select(Household).where(Household.household_no == new_no)).one()
    assert new_no == f"{OTHER_COMMUNE}{target.id:08d}"
    assert (target.commune_code, target.province_code, target.address_detail) == (
        OTHER_COMMUNE,
        "66",
        "5 Hùng Vương",
    )
    assert membership(session, mother) == (target.id, "head")
    assert membership(session, family["father"]) == (family["household"].id, "head")
    assert (mother.commune_code, mother.address_detail) == (OTHER_COMMUNE, "5 Hùng Vương")
    assert out.details == {
        "from": {"commune_code": "24121", "address_detail": "12 Lê Duẩn"},
        "to": {"commune_code": OTHER_COMMUNE, "household_no": new_no},
    }
    assert outbox(session) == [
        ("citizen.moved", {"event_id": out.id, "pid": mother.pid, **out.details})
    ]


def test_move_into_an_existing_household(session, clerk, family):
    host = person(session, "Đặng Văn Chủ", birth_date=date(1960, 1, 1), commune_code=OTHER_COMMUNE)
    target = household(session, host)
    mother = family["mother"]
    _move(session, clerk, mother, household_no=target.household_no, relation="child")
    assert membership(session, mother) == (target.id, "child")
    members = session.scalars(
        select(HouseholdMember.citizen_id).where(
            HouseholdMember.household_id == family["household"].id
        )
    ).all()
    assert members == [family["father"].id]


def test_mover_leaves_the_commune_officers_area(session, family):
    officer = make_actor(Role.REGISTRY_CLERK, units=("24121",))
    _move(session, officer, family["mother"])
    with pytest.raises(NotFound):
        _move(session, officer, family["mother"], commune_code="24121")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"household_no": "nope"}, "household.not_found", "household_no"),
        (
            {"household_no": "HOME", "commune_code": "24121", "relation": "head"},
            "household.head_exists",
            "relation",
        ),
        ({"household_no": "HOME"}, "household.not_found", "household_no"),  # wrong commune
        ({"commune_code": "99999"}, "commune.unknown", "commune_code"),
        ({"moved_on": date(2026, 1, 16)}, "moved_on.future", "moved_on"),
        ({"moved_on": date(1992, 7, 31)}, "moved_on.before_birth", "moved_on"),
    ],
)
def test_refused_move_changes_nothing(session, clerk, family, changes, code, field):
    lodger = person(session, "Bùi Văn Trọ", birth_date=date(1980, 1, 1))
    changes = dict(changes)  # the parameters are shared by both backends' runs
    if changes.get("household_no") == "HOME":
        changes["household_no"] = family["household"].household_no
    before = counts(session)
    with pytest.raises(ValidationFailed) as caught:
        _move(session, clerk, family["mother"] if "moved_on" in changes else lodger, **changes)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert counts(session) == before


def test_a_deceased_citizen_cannot_move(session, clerk, family):
    _die(session, clerk, family["father"])
    with pytest.raises(InvalidState) as caught:
        _move(session, clerk, family["father"])
    assert (caught.value.code, caught.value.field) == ("residence.deceased", "pid")
