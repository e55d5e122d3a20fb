"""The printable residence confirmation (form CT07): filled from the registry, the other
household members listed, one audit entry for the citizen, refused outside the area."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from tests.conftest import bearer, make_actor
from tests.registry.factories import household, person


def audited(session, pid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == pid)).all()
    )


def test_the_ct07_page_states_the_record_and_the_household(client, session, clerk):  # type: ignore[no-untyped-def]
    head = person(session, "Nguyễn Văn Hùng", birth_date=date(1970, 2, 3))
    wife = person(session, "Lê Thị Lan", birth_date=date(1972, 8, 9), sex="F")
    household(session, head, (wife, "spouse"))
    session.commit()
    page = client.get(
        f"/registry/citizens/{wife.pid}/residence-confirmation", headers=bearer(clerk)
    )
    assert page.status_code == 200
    html = page.text
    assert "XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ" in html and "Mẫu CT07" in html
    assert f'data-testid="ct07-pid">{wife.pid}<' in html
    assert "LÊ THỊ LAN" in html and "09/08/1972" in html
    head_item = html.split('data-testid="ct07-head">', 1)[1].split("</li>", 1)[0]
    assert head_item == (
        f"Họ, chữ đệm và tên chủ hộ: Nguyễn Văn Hùng; Số định danh cá nhân của chủ hộ: "
        f"{head.pid}; Quan hệ với chủ hộ: Vợ/chồng"
    )
    members = html.split('data-testid="ct07-members"', 1)[1].split("</table>", 1)[0]
    assert head.pid in members and wife.pid not in members  # the others only
    assert "<script>" not in html and "/static/print.js" in html  # no inline script
    # one entry for the confirmation, one for the other member listed; no extra reads
    assert audited(session, wife.pid) == ["citizen.residence_confirmation"]
    assert audited(session, head.pid) == ["household.read"]


def test_the_ct07_page_has_the_official_head_wording_and_validity(client, session, clerk):  # type: ignore[no-untyped-def]
    citizen = person(session, "Trần Thị Mai", birth_date=date(1990, 6, 7), sex="F")
    session.commit()
    html = client.get(
        f"/registry/citizens/{citizen.pid}/residence-confirmation", headers=bearer(clerk)
    ).text
    # (1) the registration authority's superior, (2) the authority: the commune's police
    assert 'data-testid="ct07-superior">CÔNG AN TỈNH ĐẮK LẮK<' in html
    assert 'data-testid="ct07-authority"><strong>CÔNG AN PHƯỜNG TÂN LẬP</strong>' in html
    assert "Mẫu CT07 ban hành kèm theo Thông tư số 66/2023/TT-BCA ngày 17/11/2023" in html
    assert "Họ, chữ đệm và tên: <strong" in html and "Ngày, tháng, năm sinh:" in html
    assert "THỦ TRƯỞNG CƠ QUAN ĐĂNG KÝ CƯ TRÚ" in html
    assert "TRƯỞNG CÔNG AN XÃ/PHƯỜNG" not in html  # the old, unofficial signature line
    assert "có giá trị sử dụng 01 năm kể từ ngày cấp" in html
    content = html.split('data-testid="ct07-content">', 1)[1].split("</li>", 1)[0]
    assert "Nội dung xác nhận:" in content and "đã đăng ký thường trú tại 12 Lê Duẩn" in content
    english = client.get(
        f"/registry/citizens/{citizen.pid}/residence-confirmation?lang=en", headers=bearer(clerk)
    ).text
    assert "HEAD OF THE RESIDENCE REGISTRATION AUTHORITY" in english


def test_outside_the_area_the_confirmation_is_refused(client, session):  # type: ignore[no-untyped-def]
    citizen = person(session, "Trần Thị Mai", birth_date=date(1990, 6, 7), sex="F")
    session.commit()
    elsewhere = make_actor(Role.REGISTRY_CLERK, units=("01",))
    page = client.get(
        f"/registry/citizens/{citizen.pid}/residence-confirmation", headers=bearer(elsewhere)
    )
    assert page.status_code == 404
    assert audited(session, citizen.pid) == ["citizen.read_refused"]
