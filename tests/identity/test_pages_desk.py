"""The police officer's level-2 desk over HTTP: the area rule, the face check, the card's
machine-readable zone, and the chip's passive authentication (a test PKI of our own)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from sqlalchemy import select

from dancu.common.access import Role
from dancu.demo.chips import make_chip, make_csca, make_document_signer
from dancu.identity.accounts.models import Account
from dancu.identity.chip.sod import encode_dg1
from dancu.settings import get_settings
from tests.conftest import OTHER_PROVINCE_COMMUNE, bearer, make_actor
from tests.identity.helpers import active_account, citizen, issue_card, mrz, police
from tests.identity.page_helpers import TOKEN, error_of


@pytest.fixture
def trust_dir(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A CSCA of our own in the desk's trust list; returns its document signer."""
    csca = make_csca("Test CSCA for the desk")
    (tmp_path / "csca.pem").write_bytes(csca.pem())
    monkeypatch.setattr(get_settings(), "identity_csca_dir", str(tmp_path))
    return make_document_signer(csca)


def open_desk(client, officer, pid: str = ""):  # type: ignore[no-untyped-def]
    return client.get("/desk/level2", params={"pid": pid} if pid else None, headers=bearer(officer))


def submit(client, officer, pid: str, zone: str, *, face: bool = True, chip: bytes | None = None):  # type: ignore[no-untyped-def]
    token = TOKEN.search(open_desk(client, officer).text)
    assert token
    data = {"pid": pid, "mrz": zone, "csrf_token": token.group(1)}
    if face:
        data["face_checked"] = "yes"
    files = {"chip": ("chip.json", chip, "application/json")} if chip is not None else None
    return client.post("/desk/level2", data=data, files=files, headers=bearer(officer))


def level_of(session, pid: str) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(Account.level).where(Account.citizen_pid == pid)).one()


def chip_for(signer, c, card):  # type: ignore[no-untyped-def]
    family, _, given = c.full_name.partition(" ")
    return make_chip(
        signer,
        document_number=card.card_no,
        family_name=family,
        given_names=given,
        birth_date=c.birth_date,
        sex=c.sex,
        expiry_date=card.expires_on or date(2099, 12, 31),
    )


def test_the_officer_finds_the_citizen_sees_the_photo_and_raises_to_level_2(client, session):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    officer = police(c.commune_code)
    page = open_desk(client, officer, c.pid)
    assert page.status_code == 200
    assert 'data-testid="photo"' in page.text and "data:image/png;base64," in page.text
    assert 'data-testid="account-level">Mức 1' in page.text
    answer = submit(client, officer, c.pid, mrz(c, card))
    assert answer.status_code == 200
    raised = re.search(r'data-testid="raised">([^<]*)<', answer.text)
    assert raised and raised.group(1) == (
        "Tài khoản định danh điện tử của Nguyễn Văn An đã được nâng lên mức 2."
        " Không đọc chip: đã kiểm tra thông tin in trên thẻ."
    )
    assert level_of(session, c.pid) == 2


def test_the_desk_refuses_a_citizen_of_another_commune(client, session):
    c = citizen(session, commune_code=OTHER_PROVINCE_COMMUNE)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    officer = police()  # police of the test commune in Đắk Lắk, not of Ba Đình (Hà Nội)
    page = open_desk(client, officer, c.pid)
    assert page.status_code == 403
    code, field, text = error_of(page.text)
    assert (code, field) == ("identity.officer_area", "pid")
    assert text == "Số định danh cá nhân: Công dân này không cư trú trong địa bàn bạn phụ trách."
    assert c.full_name not in page.text
    answer = submit(client, officer, c.pid, mrz(c, card))
    assert answer.status_code == 403 and level_of(session, c.pid) == 1


def test_only_the_police_use_the_desk(client, session):
    clerk = make_actor(Role.REGISTRY_CLERK)
    assert open_desk(client, clerk).status_code == 403
    assert client.get("/desk/level2", headers={"Accept": "application/json"}).status_code == 401


def test_the_face_check_is_required(client, session):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    answer = submit(client, police(c.commune_code), c.pid, mrz(c, card), face=False)
    assert answer.status_code == 422
    assert error_of(answer.text)[:2] == ("identity.face_unchecked", "face_checked")
    assert level_of(session, c.pid) == 1


def test_a_zone_of_another_card_is_refused(client, session):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    zone = mrz(c, card, birth=date(1991, 5, 17))
    answer = submit(client, police(c.commune_code), c.pid, zone)
    assert answer.status_code == 422
    assert error_of(answer.text)[:2] == ("identity.mrz_mismatch", "mrz")
    assert level_of(session, c.pid) == 1


def test_a_verified_chip_raises_and_an_altered_dg1_is_refused(client, session, trust_dir):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    other = citizen(session, "Lê Thị Thu", sex="F")
    active_account(session, other)
    other_card = issue_card(session, other)
    session.commit()
    officer = police(c.commune_code)

    bundle = chip_for(trust_dir, other, other_card)
    forged = dataclasses.replace(
        bundle,
        data_groups={
            **bundle.data_groups,
            1: encode_dg1(mrz(other, other_card, birth=date(1990, 1, 2))),
        },
    )
    answer = submit(
        client, officer, other.pid, mrz(other, other_card), chip=forged.to_json().encode()
    )
    assert answer.status_code == 422
    code, field, _ = error_of(answer.text)
    assert (code, field) == ("chip.dg_hash_mismatch", "chip")
    assert level_of(session, other.pid) == 1

    untrusted = chip_for(make_document_signer(make_csca("Someone else's CSCA")), c, card)
    answer = submit(client, officer, c.pid, mrz(c, card), chip=untrusted.to_json().encode())
    assert error_of(answer.text)[:2] == ("chip.untrusted_signer", "chip")
    assert level_of(session, c.pid) == 1

    good = chip_for(trust_dir, c, card)
    answer = submit(client, officer, c.pid, mrz(c, card), chip=good.to_json().encode())
    assert answer.status_code == 200 and "Chip đã được xác thực" in answer.text
    assert level_of(session, c.pid) == 2


def test_unreadable_chip_data_is_refused(client, session, trust_dir):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    answer = submit(client, police(c.commune_code), c.pid, mrz(c, card), chip=b"not json")
    assert error_of(answer.text)[:2] == ("identity.chip_unreadable", "chip")
    assert level_of(session, c.pid) == 1


def test_the_desk_form_needs_the_csrf_token(client, session):
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    officer = police(c.commune_code)
    data = {"pid": c.pid, "mrz": mrz(c, card), "face_checked": "yes"}
    answer = client.post("/desk/level2", data=data, headers=bearer(officer))
    assert answer.status_code == 403 and level_of(session, c.pid) == 1


def test_the_demo_card_reader_fills_the_zone_and_verifies_the_chip(
    client, session, tmp_path, monkeypatch
):
    monkeypatch.setattr(get_settings(), "identity_csca_dir", str(tmp_path / "csca"))
    c = citizen(session)
    active_account(session, c)
    issue_card(session, c)
    session.commit()
    officer = police(c.commune_code)
    page = open_desk(client, officer, c.pid)
    assert 'data-testid="raise-demo-reader"' in page.text
    token = TOKEN.search(page.text)
    assert token
    data = {
        "pid": c.pid,
        "mrz": "",
        "face_checked": "yes",
        "demo_reader": "yes",
        "csrf_token": token.group(1),
    }
    answer = client.post("/desk/level2", data=data, headers=bearer(officer))
    assert answer.status_code == 200, answer.text
    assert "Chip đã được xác thực" in answer.text
    assert level_of(session, c.pid) == 2
    assert (tmp_path / "csca").is_dir()  # the demo CSCA went into the trust list


def test_a_police_officer_signs_in_with_e_id_and_works_at_the_desk(client, session):
    from dancu.common.access import SYSTEM_ACTOR
    from dancu.identity.accounts import officers
    from tests.identity.page_helpers import sign_in

    officer = active_account(session, citizen(session, "Đỗ Văn Công"))
    officers.grant_role(
        session, officer, Role.POLICE, "24121", organization="Công an phường", actor=SYSTEM_ACTOR
    )
    c = citizen(session, "Hoàng Thị Mai", sex="F")
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    sign_in(client, officer, next="/desk/level2")
    assert client.get("/registry/search").status_code == 200  # the actor is in the session
    page = client.get("/desk/level2", params={"pid": c.pid})
    assert page.status_code == 200 and c.full_name in page.text
    token = TOKEN.search(page.text)
    assert token
    data = {"pid": c.pid, "mrz": mrz(c, card), "face_checked": "yes", "csrf_token": token.group(1)}
    answer = client.post("/desk/level2", data=data)
    assert answer.status_code == 200 and level_of(session, c.pid) == 2


def citizen_reads(session, pid: str, officer) -> int:  # type: ignore[no-untyped-def]
    """How many "citizen record read" entries the officer left in the citizen's log."""
    from sqlalchemy import func

    from dancu.common.audit import AuditEntry

    session.expire_all()
    return session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.subject_id == pid, AuditEntry.actor_id == officer.id)
        .where(AuditEntry.action == "citizen.read")
    )


@pytest.mark.parametrize("demo_reader", [False, True])
def test_each_desk_request_reads_the_record_once(
    client, session, tmp_path, monkeypatch, demo_reader
):
    monkeypatch.setattr(get_settings(), "identity_csca_dir", str(tmp_path / "csca"))
    c = citizen(session)
    active_account(session, c)
    card = issue_card(session, c)
    session.commit()
    officer = police(c.commune_code)
    page = open_desk(client, officer, c.pid)
    assert citizen_reads(session, c.pid, officer) == 1  # the look-up
    token = TOKEN.search(page.text)
    assert token
    data = {"pid": c.pid, "face_checked": "yes", "csrf_token": token.group(1)}
    data.update({"mrz": "", "demo_reader": "yes"} if demo_reader else {"mrz": mrz(c, card)})
    answer = client.post("/desk/level2", data=data, headers=bearer(officer))
    assert answer.status_code == 200 and level_of(session, c.pid) == 2
    assert citizen_reads(session, c.pid, officer) == 2  # one more for the raise, whatever it checks
