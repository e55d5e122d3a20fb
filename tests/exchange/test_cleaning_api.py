"""The cleaning routes with a bank's client-credentials token: upload, follow, download."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dancu.exchange.cleaning import tasks
from dancu.settings import get_settings
from tests.exchange.ekyc_world import bank_client
from tests.exchange.test_cleaning import as_csv, customer_list, people  # noqa: F401 -- fixture

URL = "/api/exchange/cleaning/jobs"


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "linkage_upload_dir", str(tmp_path / "uploads"))
    return tmp_path / "uploads"


def token(client, session: Session, client_id: str = "bank", scope: str = "exchange.cleaning"):
    rp = bank_client(session, client_id, scopes=("exchange.cleaning", "exchange.ekyc"))
    response = client.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(rp.client_id, rp.secret),
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


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
    ekyc_only = token(client, session, "bank2", scope="exchange.ekyc")
    assert client.post(URL, files=files, headers=ekyc_only).status_code == 403
    job = client.post(URL, files=files, headers=token(client, session, "bank1")).json()
    other = token(client, session, "bank3")
    response = client.get(f"{URL}/{job['id']}", headers=other)
    assert response.status_code == 404 and response.json()["code"] == "cleaning.job_not_found"
