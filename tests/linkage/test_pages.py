"""Linkage pages: Vietnamese by default, English on request, the queue's three actions
through plain forms, run progress refreshing itself, upload errors shown in place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common.access import Role
from dancu.common.audit import AuditEntry
from dancu.linkage import cleaning, runs, tasks
from dancu.linkage.models import CleaningDecision, MatchResult
from tests.conftest import bearer, make_actor
from tests.linkage import world as wd


def items(factory: sessionmaker[Session]) -> dict[int, int]:
    with factory() as session:
        page = cleaning.queue(session, actor=wd.clerk())
        session.rollback()
    return {i.line: i.result_id for i in page.items}


def test_sources_page_in_vietnamese_and_english(client, linked) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/linkage", headers=bearer(wd.clerk()))
    assert response.status_code == 200
    html = response.text
    assert "Dữ liệu chuyên ngành" in html and "Nhập bộ dữ liệu" in html
    assert "BHXH Đắk Lắk" in html and "Người tham gia bảo hiểm xã hội" in html
    assert "99,5%" in html  # 215 of 216 records synced, with a Vietnamese decimal comma
    assert 'data-testid="nav-linkage"' in html
    english = client.get("/linkage?lang=en", headers=bearer(wd.clerk())).text
    assert "Sector data" in english and "Social-insurance members" in english
    assert "99.5%" in english


def test_a_viewer_sees_rates_without_the_upload_form(client, linked) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/linkage", headers=bearer(make_actor(Role.STEERING_VIEWER))).text
    assert "BHXH Đắk Lắk" in html and 'data-testid="upload-form"' not in html
    refused = client.get("/linkage", headers=bearer(make_actor(Role.PROCEDURE_OFFICER)))
    assert refused.status_code == 403


def test_report_page_shows_rates_per_commune_and_problems(client, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    response = client.get(f"/linkage/sources/{source_id}", headers=bearer(wd.clerk()))
    html = response.text
    assert response.status_code == 200 and "Refresh" not in response.headers
    assert "Tỷ lệ theo xã/phường" in html and "Phường Tân Lập" in html and "Phường Tuy Hòa" in html
    assert 'data-code="name.missing"' in html and "Hoàn thành" in html
    assert "216 bản ghi + 1 dòng bị loại" in html


def test_job_page_refreshes_while_the_run_is_queued(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    response = client.post(
        f"/linkage/sources/{source_id}/run", headers=bearer(wd.clerk()), follow_redirects=False
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"], headers=bearer(wd.clerk()))
    assert page.headers["Refresh"] == "3"
    assert "Đang chờ" in page.text and "Trang tự cập nhật" in page.text


def test_the_queue_actions_work_through_forms(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, _ = linked
    ids = items(factory)
    officer = bearer(wd.commune_clerk(wd.COMMUNE_A))
    page = client.get("/linkage/queue", headers=officer)
    assert "Danh sách cần làm sạch" in page.text and "2 bản ghi cần xem xét" in page.text
    assert "Đồng bộ, có trường khác" in page.text and w.pid(2) in page.text
    done = client.post(
        f"/linkage/queue/{ids[4]}/accept",
        data={"note": "ok", "page": "1"},
        headers=officer,
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/linkage/queue?done=accept&page=1",
    )
    bad = client.post(
        f"/linkage/queue/{ids[5]}/correct",
        headers=officer,
        data={"field": "birth_date", "value": "99/99/abcd"},
    )
    assert bad.status_code == 422 and "Giá trị sửa không hợp lệ." in bad.text
    fixed = client.post(
        f"/linkage/queue/{ids[5]}/correct",
        headers=officer,
        data={"field": "full_name", "value": "Phạm Thị Dung"},
        follow_redirects=True,
    )
    assert "Đã lưu quyết định." in fixed.text and "Không còn bản ghi cần xem xét." in fixed.text
    with factory() as session:
        decisions = session.scalars(select(CleaningDecision.action)).all()
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("linkage.%"))
        ).all()
    assert sorted(decisions) == ["accept", "correct"]
    assert {"linkage.accept", "linkage.correct"} <= set(audited)


def test_another_communes_officer_cannot_decide(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    ids = items(factory)
    other = bearer(wd.commune_clerk(wd.COMMUNE_B))
    assert "Không còn bản ghi cần xem xét." in client.get("/linkage/queue", headers=other).text
    refused = client.post(f"/linkage/queue/{ids[4]}/not-in-province", headers=other)
    assert refused.status_code == 404
    with factory() as session:
        result = session.get(MatchResult, ids[4])
        assert result is not None and result.outcome == "synced_with_differences"


def test_a_broken_upload_is_shown_on_the_form(client, factory) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/linkage/sources",
        headers=bearer(wd.clerk()),
        files={"file": ("empty.csv", b"")},
        data={"source_type": "land", "name": "Trống"},
    )
    assert response.status_code == 422
    assert 'data-code="linkage.empty_file"' in response.text and 'value="Trống"' in response.text


def test_upload_through_the_form_imports_in_the_background_then_queues_a_run(  # type: ignore[no-untyped-def]
    client, factory
) -> None:
    with factory() as session:
        w = wd.build(session, filler=0)
        session.commit()
    response = client.post(
        "/linkage/sources",
        headers=bearer(wd.clerk()),
        follow_redirects=False,
        files={"file": ("bhxh.csv", wd.social_insurance_csv(w).encode())},
        data={"source_type": "social_insurance", "run": "true"},
    )
    assert response.status_code == 303 and response.headers["location"].startswith(
        "/linkage/imports/"
    )
    waiting = client.get(response.headers["location"], headers=bearer(wd.clerk()))
    assert waiting.headers["Refresh"] == "3" and "Đang chờ" in waiting.text
    assert "Trang tự cập nhật cho đến khi nhập xong." in waiting.text
    tasks.run_import(factory, int(response.headers["location"].rsplit("/", 1)[1]))
    done = client.get(
        response.headers["location"], headers=bearer(wd.clerk()), follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?imported=1")
    page = client.get(done.headers["location"], headers=bearer(wd.clerk()))
    assert "Đã nhập bộ dữ liệu." in page.text and page.headers["Refresh"] == "3"
    with factory() as session:
        assert runs.repo.active_job(
            session, int(done.headers["location"].split("/")[3].split("?")[0])
        )


def test_a_file_the_import_refuses_is_explained_on_its_page(client, factory) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/linkage/sources",
        headers=bearer(wd.clerk()),
        follow_redirects=False,
        files={"file": ("bhxh.csv", wd.HEADER.encode())},
        data={"source_type": "social_insurance"},
    )
    tasks.run_import(factory, int(response.headers["location"].rsplit("/", 1)[1]))
    page = client.get(response.headers["location"], headers=bearer(wd.clerk()))
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert 'data-code="linkage.empty_file"' in page.text and "Nhập lại tệp đã sửa" in page.text


def test_export_link_downloads_the_cleaned_file(client, linked) -> None:  # type: ignore[no-untyped-def]
    _w, source_id = linked
    response = client.get(f"/linkage/sources/{source_id}/export.xlsx", headers=bearer(wd.clerk()))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert (
        client.get(
            f"/linkage/sources/{source_id}/export.pdf", headers=bearer(wd.clerk())
        ).status_code
        == 404
    )


def test_the_upload_form_fits_the_officer(client) -> None:  # type: ignore[no-untyped-def]
    nationwide = client.get("/linkage", headers=bearer(make_actor(Role.REGISTRY_CLERK, units=())))
    assert 'data-testid="province"' in nationwide.text and "Tỉnh Đắk Lắk" in nationwide.text
    province = client.get("/linkage", headers=bearer(wd.clerk())).text
    assert (
        'name="province_code" value="66"' in province and 'data-testid="province"' not in province
    )
    commune = client.get("/linkage", headers=bearer(wd.commune_clerk(wd.COMMUNE_A))).text
    assert 'data-testid="upload-form"' not in commune and "Dữ liệu chuyên ngành" in commune


def test_the_problems_link_downloads_them_for_the_agency(client, linked) -> None:  # type: ignore[no-untyped-def]
    _w, source_id = linked
    page = client.get(f"/linkage/sources/{source_id}", headers=bearer(wd.clerk())).text
    link = f'href="/linkage/sources/{source_id}/problems.csv" data-testid="export-problems"'
    assert link in page and "Tải danh sách lỗi để gửi lại cơ quan quản lý dữ liệu" in page
    leader = client.get(
        f"/linkage/sources/{source_id}",
        headers=bearer(make_actor(Role.COMMUNE_LEADER, units=(wd.COMMUNE_A,))),
    )
    assert leader.status_code == 200 and "export-problems" not in leader.text
    response = client.get(f"/linkage/sources/{source_id}/problems.csv", headers=bearer(wd.clerk()))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="dancu-linkage-' in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[1].startswith("8,ho_ten,name.missing,Thiếu họ và tên.,,có")
    refused = client.get(
        f"/linkage/sources/{source_id}/problems.csv", headers=bearer(wd.commune_clerk(wd.COMMUNE_A))
    )
    assert refused.status_code == 403


def test_a_commune_clerk_is_not_offered_the_province_wide_actions(client, linked) -> None:  # type: ignore[no-untyped-def]
    """Re-sync and exports need an officer of the dataset's province: a commune's clerk
    sees the report and the queue link, but no button or link that would answer 403."""
    _, source_id = linked
    commune = wd.commune_clerk(wd.COMMUNE_A)
    html = client.get(f"/linkage/sources/{source_id}", headers=bearer(commune)).text
    hidden = ('data-testid="run"', 'data-testid="export-csv"', 'data-testid="export-problems"')
    assert [h for h in hidden if h in html] == []
    assert 'data-testid="queue-link"' in html
    province = client.get(f"/linkage/sources/{source_id}", headers=bearer(wd.clerk())).text
    assert [h for h in hidden if h in province] == list(hidden)
    export = client.get(f"/linkage/sources/{source_id}/export.csv", headers=bearer(commune))
    assert export.status_code == 403  # what the hidden link would have answered


def test_the_home_page_counts_the_items_waiting_in_the_officers_area(
    client, factory, linked
) -> None:  # type: ignore[no-untyped-def]
    """Every open item of the world lies in commune A: the province's clerk and A's see
    them all, B's clerk none (the same count as the queue page's)."""
    officers = (wd.clerk(), wd.commune_clerk(wd.COMMUNE_A), wd.commune_clerk(wd.COMMUNE_B))
    with factory() as session:
        totals = [cleaning.queue(session, actor=officer).total for officer in officers]
        session.rollback()
    assert totals == [2, 2, 0]
    for officer, total in zip(officers, totals, strict=True):
        html = client.get("/", headers=bearer(officer)).text
        assert f'data-testid="waiting" data-waiting="{total}"' in html


def test_a_failed_run_is_explained_in_the_officers_words(
    client, factory, linked, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The job keeps the exception's text for the operators; its page and the dataset's
    page say what happened in the reader's language, never the exception."""
    _, source_id = linked
    with factory() as session:
        job = runs.enqueue_run(session, source_id, actor=wd.clerk())
        session.commit()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("splink exploded")

    monkeypatch.setattr(runs, "link", broken)
    assert tasks.run_job(factory, job.id).error == "ValueError: splink exploded"
    for path in (f"/linkage/jobs/{job.id}", f"/linkage/sources/{source_id}"):
        html = client.get(f"{path}?lang=vi", headers=bearer(wd.clerk())).text
        assert "splink exploded" not in html and "ValueError" not in html
        assert "lỗi hệ thống" in html
        english = client.get(f"{path}?lang=en", headers=bearer(wd.clerk())).text
        assert "system error" in english and "ValueError" not in english
