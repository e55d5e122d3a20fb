"""Registry reads: purpose-bound, scoped to the officer's area, and audited one entry each."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from dancu.common.access import SYSTEM_ACTOR, Actor, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dancu.common.pid import make_pid
from dancu.registry import service
from dancu.registry.models import Citizen
from dancu.registry.schemas import CitizenIn
from tests.conftest import TODAY, make_actor
from tests.registry.factories import household, person

OTHER_COMMUNE = "22015"  # Phường Tuy Hòa, also in Đắk Lắk (66)
HANOI_COMMUNE = "00004"  # Phường Ba Đình, Hà Nội (01)
COMMUNE_OFFICER = make_actor(Role.REGISTRY_CLERK, units=("24121",))
HANOI_OFFICER = make_actor(Role.REGISTRY_CLERK, units=("01",))


def audit_rows(session: Session) -> list[tuple[object, ...]]:
    """Every audit entry as (actor, organization, purpose, action, subject, fields)."""
    stmt = select(
        AuditEntry.actor_id,
        AuditEntry.organization,
        AuditEntry.purpose,
        AuditEntry.action,
        AuditEntry.subject_id,
        AuditEntry.fields,
    ).order_by(AuditEntry.id)
    return [tuple(row) for row in session.execute(stmt)]


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.full_name for item in page.items]


# --- get_citizen ----------------------------------------------------------------------------


def test_get_citizen_returns_the_record_and_writes_exactly_one_audit_entry(session, clerk):
    citizen = person(session, "Nguyễn Văn An", birth_date=date(1990, 5, 17))
    out = service.get_citizen(session, citizen.pid, actor=clerk, purpose="verification")
    assert (out.pid, out.full_name, out.birth_date, out.sex, out.status, out.marital_status) == (
        citizen.pid,
        "Nguyễn Văn An",
        date(1990, 5, 17),
        "M",
        "alive",
        "single",
    )
    assert out.permanent_address == "12 Lê Duẩn, Phường Tân Lập, Tỉnh Đắk Lắk"
    assert (out.household_no, out.relation_to_head, out.card, out.spouse_pid) == (
        None,
        None,
        None,
        None,
    )
    assert audit_rows(session) == [
        (
            clerk.id,
            "Test org",
            "verification",
            "citizen.read",
            citizen.pid,
            list(service.RECORD_FIELDS),
        ),
    ]


def test_get_citizen_is_one_statement_on_postgresql_read_and_entry_together(session, clerk):
    """The hot look-up: the record and its audit entry in one round trip (a data-modifying
    CTE) on PostgreSQL; SQLite (in-process, no round trips) reads, then appends."""
    citizen = person(session)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        service.get_citizen(session, citizen.pid, actor=clerk, purpose="verification")
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    expected = 1 if session.get_bind().dialect.name == "postgresql" else 2
    assert len(statements) == expected
    assert "INSERT INTO audit_log" in " ".join(statements)
    assert [row[3:5] for row in audit_rows(session)] == [("citizen.read", citizen.pid)]


def test_a_partner_reading_for_a_purpose_it_lacks_is_refused_before_anything_is_read(
    session, clerk
):
    citizen = person(session)
    partner = Actor(
        id="client:hospital",
        name="Hospital",
        roles=frozenset({Role.REGISTRY_CLERK}),
        units=(citizen.province_code,),
        organization="Hospital",
        purposes=frozenset({"health_insurance"}),
    )
    with pytest.raises(Forbidden) as caught:
        service.get_citizen(session, citizen.pid, actor=partner, purpose="verification")
    assert caught.value.code == "auth.purpose_not_allowed"
    assert audit_rows(session) == []
    out = service.get_citizen(session, citizen.pid, actor=partner, purpose="health_insurance")
    assert out.pid == citizen.pid
    assert audit_rows(session) == [
        (
            "client:hospital",
            "Hospital",
            "health_insurance",
            "citizen.read",
            citizen.pid,
            list(service.RECORD_FIELDS),
        ),
    ]


def test_a_look_up_outside_the_area_writes_no_read_entry(session):
    citizen = person(session)  # in commune 24121 of province 66
    with pytest.raises(NotFound):
        service.get_citizen(session, citizen.pid, actor=HANOI_OFFICER, purpose="verification")
    assert audit_rows(session) == []  # the refusal is kept for the unit of work (below)
    assert [e["action"] for e in session.info.get("audit_kept_on_rollback", [])] == [
        "citizen.read_refused"
    ]


def test_get_citizen_accepts_a_pid_typed_with_spaces_and_dots(session, clerk):
    citizen = person(session)
    typed = f"{citizen.pid[:3]} {citizen.pid[3:6]}.{citizen.pid[6:]}"
    out = service.get_citizen(session, typed, actor=clerk, purpose="verification")
    assert out.pid == citizen.pid


def test_get_citizen_shows_household_and_spouse(session, clerk):
    husband = person(session, "Nguyễn Văn An")
    wife = person(session, "Trần Thị Bình", sex="F", birth_date=date(1992, 8, 1))
    husband.marital_status = wife.marital_status = "married"
    husband.spouse_id, wife.spouse_id = wife.id, husband.id
    hh = household(session, husband, (wife, "spouse"))
    out = service.get_citizen(session, wife.pid, actor=clerk, purpose="residence")
    assert (out.spouse_pid, out.household_no, out.relation_to_head, out.marital_status) == (
        husband.pid,
        hh.household_no,
        "spouse",
        "married",
    )


@pytest.mark.parametrize(
    ("purpose", "code"),
    [(None, "purpose.required"), ("", "purpose.required"), ("curiosity", "purpose.unknown")],
)
def test_get_citizen_requires_a_known_purpose(session, clerk, purpose, code):
    citizen = person(session)
    with pytest.raises(ValidationFailed) as caught:
        service.get_citizen(session, citizen.pid, actor=clerk, purpose=purpose)
    assert (caught.value.code, caught.value.field, caught.value.status_code) == (
        code,
        "purpose",
        422,
    )
    assert audit_count(session) == 0


def test_commune_officer_sees_own_commune(session):
    citizen = person(session, commune_code="24121")
    out = service.get_citizen(session, citizen.pid, actor=COMMUNE_OFFICER, purpose="residence")
    assert out.commune_code == "24121"
    assert audit_count(session) == 1


@pytest.mark.parametrize(
    ("actor", "commune"),
    [(COMMUNE_OFFICER, OTHER_COMMUNE), (HANOI_OFFICER, "24121")],
    ids=["commune-officer-other-commune", "province-officer-other-province"],
)
def test_officer_cannot_see_a_citizen_outside_their_area(session, actor, commune):
    citizen = person(session, commune_code=commune)
    before = (citizen.status, citizen.updated_at)
    with pytest.raises(NotFound) as caught:
        service.get_citizen(session, citizen.pid, actor=actor, purpose="verification")
    assert (caught.value.code, caught.value.field, caught.value.status_code) == (
        "citizen.not_found",
        "pid",
        404,
    )
    assert audit_count(session) == 0
    session.refresh(citizen)
    assert (citizen.status, citizen.updated_at) == before


def test_steering_viewer_lacks_citizen_read(session):
    citizen = person(session)
    viewer = make_actor(Role.STEERING_VIEWER)
    with pytest.raises(Forbidden) as caught:
        service.get_citizen(session, citizen.pid, actor=viewer, purpose="verification")
    assert (caught.value.code, caught.value.status_code, caught.value.params) == (
        "auth.permission",
        403,
        {"permission": "citizen.read"},
    )
    assert audit_count(session) == 0


@pytest.mark.parametrize(
    ("pid", "code"),
    [("12345", "pid.length"), ("000123456789", "pid.province"), ("066890000001", "pid.century")],
)
def test_get_citizen_rejects_a_malformed_pid(session, clerk, pid, code):
    with pytest.raises(ValidationFailed) as caught:
        service.get_citizen(session, pid, actor=clerk, purpose="verification")
    assert (caught.value.code, caught.value.field) == (code, "pid")


def test_unknown_pid_is_not_found(session, clerk):
    pid = make_pid(province_code="066", birth_date=date(1990, 1, 1), sex="M", serial=999_999)
    with pytest.raises(NotFound) as caught:
        service.get_citizen(session, pid, actor=clerk, purpose="verification")
    assert caught.value.code == "citizen.not_found"


# --- search ---------------------------------------------------------------------------------


@pytest.fixture
def people(session: Session) -> dict[str, Citizen]:
    return {
        "an": person(session, "Nguyễn Văn An", birth_date=date(1990, 5, 17)),
        "anh": person(session, "Nguyễn Văn Anh", birth_date=date(1991, 2, 3)),
        "thi_an": person(session, "Trần Thị An", birth_date=date(1985, 11, 30), sex="F"),
        "an_tuy_hoa": person(
            session, "Nguyễn Văn An", birth_date=date(1988, 1, 9), commune_code=OTHER_COMMUNE
        ),
        "an_hanoi": person(
            session, "Nguyễn Văn An", birth_date=date(1990, 5, 17), commune_code=HANOI_COMMUNE
        ),
    }


def _search(session, actor, **filters):  # type: ignore[no-untyped-def]
    return service.search(session, actor=actor, purpose="administrative_procedure", **filters)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen van an", ["an_tuy_hoa", "an"]),
        ("Nguyễn Văn An", ["an_tuy_hoa", "an"]),
        ("NGUYEN   VAN AN", ["an_tuy_hoa", "an"]),
        ("van an", ["an_tuy_hoa", "an"]),
        ("an", ["an_tuy_hoa", "an", "thi_an"]),
        ("van anh", ["anh"]),
        ("nguyen", ["an_tuy_hoa", "an", "anh"]),
        ("an van", []),
        ("va", []),
        ("%", []),
    ],
)
def test_search_by_name_ignores_diacritics_and_matches_whole_words(
    session, clerk, people, query, expected
):
    page = _search(session, clerk, name=query)
    assert [item.pid for item in page.items] == [people[k].pid for k in expected]
    assert page.total == len(expected)


def test_search_result_carries_commune_name(session, clerk, people):
    page = _search(session, clerk, name="tran thi an")
    [item] = page.items
    assert (item.full_name, item.commune_code, item.commune_name, item.status, item.sex) == (
        "Trần Thị An",
        "24121",
        "Phường Tân Lập",
        "alive",
        "F",
    )


def test_search_by_birth_date_and_commune(session, clerk, people):
    by_date = _search(session, clerk, birth_date=date(1990, 5, 17))
    assert [i.pid for i in by_date.items] == [people["an"].pid]  # Hà Nội's twin is out of area
    by_commune = _search(session, clerk, commune_code=OTHER_COMMUNE)
    assert [i.pid for i in by_commune.items] == [people["an_tuy_hoa"].pid]
    combined = _search(session, clerk, name="an", commune_code="24121")
    assert [i.pid for i in combined.items] == [people["an"].pid, people["thi_an"].pid]
    none = _search(session, clerk, name="an", birth_date=date(2000, 1, 1))
    assert (none.items, none.total) == ([], 0)


def test_search_is_scoped_to_the_officers_area(session, people):
    page = _search(session, COMMUNE_OFFICER, name="nguyen van an")
    assert [i.pid for i in page.items] == [people["an"].pid]
    hanoi = _search(session, HANOI_OFFICER, name="nguyen van an")
    assert [i.pid for i in hanoi.items] == [people["an_hanoi"].pid]
    nationwide = _search(session, make_actor(Role.REGISTRY_CLERK, units=()), name="van an")
    assert nationwide.total == 3


def test_each_listed_citizen_gets_one_audit_entry(session, clerk, people):
    page = _search(session, clerk, name="van an")
    listed = [i.pid for i in page.items]
    assert audit_rows(session) == [
        (
            clerk.id,
            "Test org",
            "administrative_procedure",
            "citizen.listed",
            pid,
            list(service.SUMMARY_FIELDS),
        )
        for pid in listed
    ]


def test_search_pages_report_the_total(session, clerk):
    born = [date(1980 + i, 1, 1) for i in range(5)]
    hoa = [person(session, "Lê Thị Hoa", birth_date=d, sex="F") for d in born]
    pages = [_search(session, clerk, name="le thi hoa", page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert [[i.pid for i in p.items] for p in pages] == [
        [hoa[0].pid, hoa[1].pid],
        [hoa[2].pid, hoa[3].pid],
        [hoa[4].pid],
        [],
    ]
    assert [(p.page, p.per_page, p.total) for p in pages] == [
        (1, 2, 5),
        (2, 2, 5),
        (3, 2, 5),
        (4, 2, 5),
    ]
    assert audit_count(session) == 5  # only the citizens actually shown


@pytest.mark.parametrize(
    ("filters", "code", "field"),
    [
        ({}, "search.empty", "name"),
        ({"name": "   "}, "search.empty", "name"),
        ({"name": "an", "page": 0}, "paging.invalid", "page"),
        ({"name": "an", "per_page": 101}, "paging.invalid", "page"),
        ({"commune_code": "99999"}, "commune.unknown", "commune_code"),
    ],
)
def test_search_rejects_bad_filters(session, clerk, people, filters, code, field):
    with pytest.raises(ValidationFailed) as caught:
        _search(session, clerk, **filters)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert audit_count(session) == 0


def test_search_needs_a_purpose_and_the_permission(session, people):
    with pytest.raises(ValidationFailed) as caught:
        service.search(session, actor=COMMUNE_OFFICER, purpose=None, name="an")
    assert caught.value.code == "purpose.required"
    with pytest.raises(Forbidden) as denied:
        _search(session, make_actor(Role.STEERING_VIEWER), name="an")
    assert denied.value.code == "auth.permission"
    assert audit_count(session) == 0


# --- household_of and audit_trail -----------------------------------------------------------


def test_household_lists_members_with_relations_and_audits_each(session, clerk):
    head = person(session, "Nguyễn Văn An", birth_date=date(1970, 3, 1))
    wife = person(session, "Trần Thị Bình", birth_date=date(1972, 6, 2), sex="F")
    son = person(session, "Nguyễn Văn Cường", birth_date=date(2000, 9, 3))
    hh = household(session, head, (wife, "spouse"), (son, "child"))
    out = service.household_of(session, son.pid, actor=clerk, purpose="residence")
    assert (out.household_no, out.commune_code, out.address) == (
        hh.household_no,
        "24121",
        "12 Lê Duẩn, Phường Tân Lập, Tỉnh Đắk Lắk",
    )
    assert [(m.pid, m.full_name, m.relation, m.sex, m.status) for m in out.members] == [
        (head.pid, "Nguyễn Văn An", "head", "M", "alive"),
        (wife.pid, "Trần Thị Bình", "spouse", "F", "alive"),
        (son.pid, "Nguyễn Văn Cường", "child", "M", "alive"),
    ]
    fields = ["pid", "full_name", "birth_date", "sex", "relation", "status"]
    assert audit_rows(session) == [
        (clerk.id, "Test org", "residence", "household.read", c.pid, fields)
        for c in (head, wife, son)
    ]


def test_household_of_a_citizen_without_one(session, clerk):
    loner = person(session)
    with pytest.raises(NotFound) as caught:
        service.household_of(session, loner.pid, actor=clerk, purpose="residence")
    assert caught.value.code == "household.not_found"
    assert audit_count(session) == 0


def test_household_outside_the_area_is_not_found(session):
    head = person(session, commune_code=OTHER_COMMUNE)
    household(session, head)
    with pytest.raises(NotFound) as caught:
        service.household_of(session, head.pid, actor=COMMUNE_OFFICER, purpose="residence")
    assert caught.value.code == "citizen.not_found"
    assert audit_count(session) == 0


def test_audit_trail_lists_reads_newest_first(session, clerk):
    citizen = person(session)
    service.get_citizen(session, citizen.pid, actor=clerk, purpose="verification")
    other = make_actor(Role.PROCEDURE_OFFICER, name="Clerk two")
    service.get_citizen(session, citizen.pid, actor=other, purpose="administrative_procedure")
    trail = service.audit_trail(session, citizen.pid, actor=clerk)
    assert [(e.actor_id, e.actor_name, e.purpose, e.action) for e in trail] == [
        (other.id, "Clerk two", "administrative_procedure", "citizen.read"),
        (clerk.id, "Test officer", "verification", "citizen.read"),
    ]


def test_audit_trail_needs_audit_read(session):
    citizen = person(session)
    with pytest.raises(Forbidden) as caught:
        service.audit_trail(session, citizen.pid, actor=make_actor(Role.PROCEDURE_OFFICER))
    assert (caught.value.code, caught.value.params) == (
        "auth.permission",
        {"permission": "audit.read"},
    )


# --- add_citizen ----------------------------------------------------------------------------


def _citizen_in(**changes) -> CitizenIn:  # type: ignore[no-untyped-def]
    born = changes.pop("birth_date", date(1995, 4, 4))
    sex = changes.pop("sex", "F")
    pid = make_pid(province_code="066", birth_date=born, sex=sex, serial=424_242)
    data = {
        "pid": pid,
        "full_name": "lê  thị   hoa",
        "birth_date": born,
        "sex": sex,
        "commune_code": "24121",
    } | changes
    return CitizenIn(**data)


def test_add_citizen_normalizes_and_folds_the_name(session):
    citizen = service.add_citizen(session, _citizen_in(), actor=SYSTEM_ACTOR, today=TODAY)
    assert (citizen.full_name, citizen.name_folded, citizen.province_code, citizen.status) == (
        "Lê Thị Hoa",
        "le thi hoa",
        "66",
        "alive",
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"pid": "066095000001"}, "pid.sex_mismatch", "pid"),
        ({"pid": "066194000001"}, "pid.birth_mismatch", "pid"),
        ({"commune_code": "99999"}, "commune.unknown", "commune_code"),
        ({"birth_date": date(2026, 1, 16)}, "birth_date.future", "birth_date"),
        ({"full_name": "Hoa 2"}, "name.invalid", "full_name"),
    ],
)
def test_add_citizen_rejects_bad_data(session, changes, code, field):
    data = _citizen_in(**changes)
    with pytest.raises(ValidationFailed) as caught:
        service.add_citizen(session, data, actor=SYSTEM_ACTOR, today=TODAY)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert session.scalar(select(func.count()).select_from(Citizen)) == 0


def test_add_citizen_refuses_a_duplicate_pid_and_needs_the_import_permission(session, clerk):
    service.add_citizen(session, _citizen_in(), actor=SYSTEM_ACTOR, today=TODAY)
    with pytest.raises(Conflict) as caught:
        service.add_citizen(session, _citizen_in(), actor=SYSTEM_ACTOR, today=TODAY)
    assert (caught.value.code, caught.value.status_code) == ("pid.duplicate", 409)
    with pytest.raises(Forbidden):
        service.add_citizen(session, _citizen_in(), actor=clerk, today=TODAY)


def test_no_birth_date_before_1900_which_no_id_number_can_encode():
    from dancu.registry.validation import valid_birth_date

    assert valid_birth_date(date(1900, 1, 1), TODAY) == date(1900, 1, 1)
    with pytest.raises(ValidationFailed) as caught:
        valid_birth_date(date(1899, 12, 31), TODAY)
    assert (caught.value.code, caught.value.field) == ("birth_date.too_old", "birth_date")


@pytest.mark.parametrize("whose", ["unknown", "outside_the_area"])
def test_a_refused_look_up_is_audited_although_the_request_rolls_back(factory, whose):
    from dancu.db.uow import unit_of_work

    with unit_of_work(factory) as setup:
        citizen = person(setup, "Nguyễn Văn An")
    pid = (
        citizen.pid
        if whose == "outside_the_area"
        else make_pid(province_code="066", birth_date=date(1990, 1, 1), sex="M", serial=424242)
    )
    with pytest.raises(NotFound), unit_of_work(factory) as work:
        person(work, "Trần Thị Bình", sex="F")  # the request's own change, to be undone
        service.get_citizen(work, pid, actor=HANOI_OFFICER, purpose="verification")
    with factory() as check:
        assert audit_rows(check) == [
            (HANOI_OFFICER.id, "Test org", "verification", "citizen.read_refused", pid, []),
        ]
        assert check.scalar(select(func.count()).select_from(Citizen)) == 1  # Bình rolled back


def test_a_refusal_caught_by_the_caller_is_written_with_the_commit(factory, clerk):
    from dancu.db.uow import unit_of_work

    missing = make_pid(province_code="066", birth_date=date(1990, 1, 1), sex="M", serial=424242)
    with unit_of_work(factory) as work:
        with pytest.raises(NotFound):
            service.get_citizen(work, missing, actor=clerk, purpose="verification")
        person(work, "Trần Thị Bình", sex="F")
    with factory() as check:
        assert [row[3:5] for row in audit_rows(check)] == [("citizen.read_refused", missing)]
        assert check.scalar(select(func.count()).select_from(Citizen)) == 1
