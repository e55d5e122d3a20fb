"""The cleaning routes with a bank's client-credentials token: upload, follow, download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.audit import AuditEntry
from dancu.exchange.cleaning import tasks
from dancu.exchange.hygiene.models import PartnerAccess
from dancu.settings import get_settings
from tests.exchange.conftest import make_partner
from tests.exchange.conftest import token as partner_token
from tests.exchange.test_cleaning import as_csv, customer_list, people  # noqa: F401 -- fixture

URL = "/api/exchange/cleaning/jobs"


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "linkage_upload_dir", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def token(client, session: Session, code: str = "nh-thu") -> dict[str, str]:
    partner = make_partner(session, code, "bank", facility=None)
    return {"Authorization": f"Bearer {partner_token(client, partner)}"}


def test_a_bank_uploads_follows_and_downloads(client, session, factory, people):  # noqa: F811
    headers = token(client, session)
    files = {"file": ("khach_hang.csv", as_csv(customer_list(people)), "text/csv")}
    queued = client.post(URL, files=files, headers=headers)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert client.get(f"{URL}/{job_id}", headers=headers).json()["status"] == "queued"
    not_ready = client.get(f"{URL}/{job_id}/result", headers=headers)
    assert not_ready.status_code == 404 and not_ready.json()["code"] == "cleaning.not_ready"
    session.flush()
    tasks.run_job(factory, job_id)
    done = client.get(f"{URL}/{job_id}", headers=headers).json()
    assert (done["status"], done["result_ready"], done["lines"]) == ("done", True, 5)
    result = client.get(f"{URL}/{job_id}/result", headers=headers)
    assert result.status_code == 200
    assert "khach_hang-dancu.csv" in result.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"))))
    assert [r[-3] for r in rows[1:]] == [
        "matched",
        "mismatched",
        "deceased",
        "not_found",
        "rejected",
    ]
    # the bank learnt a status for each citizen its lines named: one access each, in the
    # area review of the citizen's commune
    accessed = session.execute(
        select(PartnerAccess.pid, PartnerAccess.kind, PartnerAccess.purpose)
    ).all()
    reported = session.scalars(
        select(AuditEntry.subject_id).where(AuditEntry.action == "cleaning.checked")
    ).all()
    assert sorted(accessed) == sorted((pid, "cleaning", "bank_cleaning") for pid in reported)
    assert len(reported) == 3


def test_a_malformed_list_gets_a_clear_error(client, session):
    headers = token(client, session)
    files = {"file": ("khach_hang.csv", b"ma,so_tai_khoan\n1,2\n", "text/csv")}
    response = client.post(URL, files=files, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "linkage.missing_column"
    assert response.json()["field"] == "full_name"


def test_anonymous_wrong_scope_and_another_bank_are_refused(client, session, people):  # noqa: F811
    files = {"file": ("k.csv", as_csv(customer_list(people)), "text/csv")}
    assert client.post(URL, files=files).status_code == 401
    hospital = make_partner(session, "bv-khac")
    refused = client.post(
        URL, files=files, headers={"Authorization": f"Bearer {partner_token(client, hospital)}"}
    )
    assert refused.status_code == 403
    job = client.post(URL, files=files, headers=token(client, session, "nh-mot")).json()
    other = token(client, session, "nh-hai")
    response = client.get(f"{URL}/{job['id']}", headers=other)
    assert response.status_code == 404 and response.json()["code"] == "cleaning.job_not_found"
