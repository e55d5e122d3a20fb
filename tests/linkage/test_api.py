"""Linkage JSON API: who may call each endpoint, stable error codes, nothing changed when
refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import jobs
from dancu.common.access import Actor, Role
from dancu.common.audit import AuditEntry
from dancu.linkage import cleaning, imports, tasks
from dancu.linkage.models import CleaningDecision, LinkageJob, MatchResult, SectorRecord, Source
from tests.conftest import bearer, make_actor
from tests.linkage import world as wd

TABLES = (Source, SectorRecord, LinkageJob, MatchResult, CleaningDecision, AuditEntry)


def counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES
        }


def first_item(factory: sessionmaker[Session], line: int = 4) -> int:
    with factory() as session:
        page = cleaning.queue(session, actor=wd.clerk())
        session.rollback()  # the listing's audit entries are not what the tests count
    return next(i.result_id for i in page.items if i.line == line)


@dataclass(frozen=True)
class Call:
    method: str
    url: Callable[[int, int], str]  # (source id, result id) -> url
    allowed: Actor
    wrong_role: Actor
    wrong_area: Actor
    wrong_area_status: int
    status: int = 200
    body: dict[str, Any] | None = None


LEADER_A = make_actor(Role.COMMUNE_LEADER, units=(wd.COMMUNE_A,))
OTHER_PROVINCE = make_actor(Role.REGISTRY_CLERK, units=("01",))
CALLS = {
    "sources": Call(
        "GET",
        lambda s, r: "/api/linkage/sources",
        LEADER_A,
        make_actor(Role.PROCEDURE_OFFICER),
        OTHER_PROVINCE,
        200,
    ),
    "report": Call(
        "GET",
        lambda s, r: f"/api/linkage/sources/{s}",
        LEADER_A,
        make_actor(Role.PROCEDURE_OFFICER),
        OTHER_PROVINCE,
        404,
    ),
    "rates": Call(
        "GET",
        lambda s, r: "/api/linkage/rates",
        make_actor(Role.STEERING_VIEWER),
        make_actor(Role.PROCEDURE_OFFICER),
        OTHER_PROVINCE,
        200,
    ),
    "run": Call(
        "POST",
        lambda s, r: f"/api/linkage/sources/{s}/runs",
        wd.clerk(),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_A),
        403,
        status=202,
    ),
    "queue": Call(
        "GET",
        lambda s, r: "/api/linkage/queue",
        wd.commune_clerk(wd.COMMUNE_A),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_B),
        200,
    ),
    "accept": Call(
        "POST",
        lambda s, r: f"/api/linkage/queue/{r}/accept",
        wd.commune_clerk(wd.COMMUNE_A),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_B),
        404,
        body={"note": "ok"},
    ),
    "correct": Call(
        "POST",
        lambda s, r: f"/api/linkage/queue/{r}/correct",
        wd.commune_clerk(wd.COMMUNE_A),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_B),
        404,
        body={"field": "birth_date", "value": "30/11/1978"},
    ),
    "not_in_province": Call(
        "POST",
        lambda s, r: f"/api/linkage/queue/{r}/not-in-province",
        wd.clerk(),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_B),
        404,
    ),
    "export": Call(
        "GET",
        lambda s, r: f"/api/linkage/sources/{s}/export",
        wd.clerk(),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_A),
        403,
    ),
    "export_problems": Call(
        "GET",
        lambda s, r: f"/api/linkage/sources/{s}/problems/export",
        wd.clerk(),
        LEADER_A,
        wd.commune_clerk(wd.COMMUNE_A),
        403,
    ),
}


def send(client, call: Call, url: str, actor: Actor | None):  # type: ignore[no-untyped-def]
    headers = bearer(actor) if actor else {}
    return client.request(call.method, url, json=call.body, headers=headers)


@pytest.mark.parametrize("name", CALLS)
def test_who_may_call_each_endpoint(client, factory, linked, name: str) -> None:  # type: ignore[no-untyped-def]
    call = CALLS[name]
    _, source_id = linked
    url = call.url(source_id, first_item(factory))
    before = counts(factory)
    anonymous = send(client, call, url, None)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "auth.required")
    wrong_role = send(client, call, url, call.wrong_role)
    assert (wrong_role.status_code, wrong_role.json()["code"]) == (403, "auth.permission")
    wrong_area = send(client, call, url, call.wrong_area)
    assert wrong_area.status_code == call.wrong_area_status
    if call.wrong_area_status == 200:  # a list: answered, but nothing of another area in it
        body = wrong_area.json()
        assert (body["items"] if isinstance(body, dict) else body) == []
    assert counts(factory) == before  # nothing written when refused, not even an audit entry
    allowed = send(client, call, url, call.allowed)
    assert allowed.status_code == call.status, allowed.text


def test_upload_run_and_follow_the_job(client, factory) -> None:  # type: ignore[no-untyped-def]
    with factory() as session:
        w = wd.build(session)
        session.commit()
    files = {"file": ("bhxh.csv", wd.social_insurance_csv(w).encode(), "text/csv")}
    form = {"source_type": "social_insurance", "province_code": wd.PROVINCE, "run": "true"}
    response = client.post(
        "/api/linkage/sources", files=files, data=form, headers=bearer(wd.clerk())
    )
    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["status"], queued["source_id"], queued["size"]) == (
        "queued",
        None,
        len(files["file"][1]),
    )
    waiting = [(type(t).__name__, t.args) for t in jobs.queue.pending()]
    assert waiting == [("import_file", (queued["id"],))]  # handed to the job queue after the commit
    jobs.queue.flush()
    tasks.run_import(factory, queued["id"])  # what that job does when a worker takes it
    body = client.get(f"/api/linkage/imports/{queued['id']}", headers=bearer(wd.clerk())).json()
    assert body["status"] == "done" and body["error"] is None
    assert (body["source"]["records"], body["source"]["problem_lines"]) == (6 + wd.FILLER, 1)
    assert [(p["line"], p["code"]) for p in body["problems"]] == [(8, "name.missing")]
    job = client.get(f"/api/linkage/jobs/{body['job_id']}", headers=bearer(wd.clerk())).json()
    assert job["status"] == "queued"
    waiting = [(type(t).__name__, t.args) for t in jobs.queue.pending()]
    assert waiting == [("run", (body["job_id"],))]  # handed to the job queue after the commit
    tasks.run_job(factory, body["job_id"])  # what that job does when a worker takes it
    job = client.get(f"/api/linkage/jobs/{body['job_id']}", headers=bearer(wd.clerk())).json()
    assert (job["status"], job["done"], job["total"]) == ("done", 6 + wd.FILLER, 6 + wd.FILLER)
    rates = client.get("/api/linkage/rates", headers=bearer(wd.clerk())).json()
    assert rates[0]["level"] == "dataset" and rates[0]["synced"] == 5 + wd.FILLER
    export = client.get(
        f"/api/linkage/sources/{body['source']['id']}/export?format=csv", headers=bearer(wd.clerk())
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0]["so_dinh_danh_ca_nhan"] == w.pid(0)
    assert export.headers["content-disposition"].endswith('.csv"')
    problems = client.get(
        f"/api/linkage/sources/{body['source']['id']}/problems/export", headers=bearer(wd.clerk())
    )
    assert problems.status_code == 200 and problems.content.startswith(b"\xef\xbb\xbf")
    assert problems.headers["content-disposition"].endswith('-problems.csv"')
    [row] = list(csv.DictReader(io.StringIO(problems.content.decode("utf-8-sig"))))
    assert (row["dong"], row["ma_loi"], row["dong_bi_loai"]) == ("8", "name.missing", "có")


@pytest.mark.parametrize(
    ("data", "form", "code"),
    [
        (b"", {}, "linkage.empty_file"),
        (b"ho_ten\nAn Binh\n", {"mapping": "{not json"}, "linkage.mapping_json"),
        (b"ho_ten\nAn Binh\n", {"mapping": '{"ho": "HoTen"}'}, "linkage.unknown_field"),
        (b"ho_ten\nAn Binh\n", {"source_type": "weather"}, "linkage.unknown_source_type"),
        (b"ho_ten\nAn Binh\n", {"province_code": "99"}, "linkage.province"),
        (b"\x00\x01binary", {"name": "x.bin"}, "linkage.bad_format"),
    ],
    ids=["empty", "mapping-not-json", "unknown-field", "unknown-type", "bad-province", "format"],
)
def test_bad_uploads_answer_with_stable_codes_at_once(  # type: ignore[no-untyped-def]
    client, factory, data, form, code
) -> None:
    fields = {"source_type": "land", "province_code": wd.PROVINCE, **form}
    file_name = "data.bin" if code == "linkage.bad_format" else "data.csv"
    before = counts(factory)
    response = client.post(
        "/api/linkage/sources",
        files={"file": (file_name, data)},
        data=fields,
        headers=bearer(wd.clerk()),
    )
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert counts(factory) == before and jobs.queue.pending_count() == 0
    assert list(imports.upload_dir().iterdir()) == []  # no upload left behind


@pytest.mark.parametrize(
    ("file_name", "data", "form", "code"),
    [
        ("data.csv", wd.HEADER.encode(), {}, "linkage.empty_file"),
        (
            "data.csv",
            b"ho_ten\nAn Binh\n",
            {"mapping": '{"full_name": "HoTen"}'},
            "linkage.missing_column",
        ),
        ("data.xlsx", b"PK not really a zip", {}, "linkage.bad_format"),
    ],
    ids=["header-only", "missing-column", "broken-xlsx"],
)
def test_a_file_refused_by_the_import_job_shows_its_code(  # type: ignore[no-untyped-def]
    client, factory, file_name, data, form, code
) -> None:
    fields = {"source_type": "social_insurance", "province_code": wd.PROVINCE, **form}
    before = counts(factory)
    response = client.post(
        "/api/linkage/sources",
        files={"file": (file_name, data)},
        data=fields,
        headers=bearer(wd.clerk()),
    )
    assert response.status_code == 202, response.text
    import_id = response.json()["id"]
    done = tasks.run_import(factory, import_id)
    assert done is not None and (done.status, done.error_code) == ("failed", code)
    status = client.get(f"/api/linkage/imports/{import_id}", headers=bearer(wd.clerk())).json()
    assert (status["status"], status["error_code"], status["source"]) == ("failed", code, None)
    assert counts(factory) == before  # no dataset, no record, no audit entry
    assert list(imports.upload_dir().iterdir()) == []  # the upload is removed
    url = f"/api/linkage/imports/{import_id}"
    other = client.get(url, headers=bearer(OTHER_PROVINCE))
    assert (other.status_code, other.json()["code"]) == (404, "linkage.import_not_found")
    wrong_role = client.get(url, headers=bearer(make_actor(Role.PROCEDURE_OFFICER)))
    assert (wrong_role.status_code, wrong_role.json()["code"]) == (403, "auth.permission")
    assert client.get(url).status_code == 401


def test_action_errors_have_stable_codes(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    item = first_item(factory)
    officer = bearer(wd.clerk())
    bad_value = client.post(
        f"/api/linkage/queue/{item}/correct",
        headers=officer,
        json={"field": "birth_date", "value": "31/02/abc"},
    )
    assert (bad_value.status_code, bad_value.json()["code"]) == (422, "linkage.value_invalid")
    bad_field = client.post(
        f"/api/linkage/queue/{item}/correct", headers=officer, json={"field": "raw", "value": "x"}
    )
    assert (bad_field.status_code, bad_field.json()["code"]) == (422, "linkage.field")
    assert client.post(f"/api/linkage/queue/{item}/accept", headers=officer).status_code == 200
    again = client.post(f"/api/linkage/queue/{item}/accept", headers=officer)
    assert (again.status_code, again.json()["code"]) == (409, "linkage.already_decided")
    first = client.post(f"/api/linkage/sources/{source_id}/runs", headers=officer)
    assert first.status_code == 202
    second = client.post(f"/api/linkage/sources/{source_id}/runs", headers=officer)
    assert (second.status_code, second.json()["code"]) == (409, "linkage.run_active")
    missing = client.get("/api/linkage/jobs/999999", headers=officer)
    assert (missing.status_code, missing.json()["code"]) == (404, "linkage.job_not_found")
    unknown = client.get("/api/linkage/sources/999999", headers=officer)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "linkage.source_not_found")
