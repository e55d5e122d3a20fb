"""The catalogue's texts on the pages, in the reader's language: a citizen who switched to
English reads the procedure, its components, its form, its fee note and its dossiers in
English; an officer's queue and dossier too. Vietnamese stays the default, and the API
keeps its Vietnamese fields and adds the English beside them."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dancu.identity.accounts.models import Account
from dancu.procedures import catalogue
from dancu.procedures.catalogue import Procedure
from tests.conftest import bearer
from tests.identity.page_helpers import sign_in
from tests.procedures.helpers import citizen_with_account, officer

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
MARITAL = "1.004873"  # certificate of marital status: shared fields, a note, exemptions


def vietnamese_texts(p: Procedure) -> list[str]:
    """Every catalogue text of ``p`` a page can show, in Vietnamese."""
    cat = catalogue.catalogue()
    texts = [p.name, p.fee.note, cat.sectors[p.sector].name]
    texts += [cat.exemptions[e].name for e in [*p.fee.exemptions, *p.fee.reduced]]
    texts += [c.name for c in p.components] + [f.label for f in p.fields]
    return [t for t in texts if t]


def shown_vietnamese(page: str, p: Procedure) -> list[str]:
    text = html.unescape(page)
    return [t for t in vietnamese_texts(p) if t in text]


def test_the_catalogue_and_a_procedure_read_in_english(client: TestClient) -> None:
    p = catalogue.get(MARITAL)
    listing = client.get("/procedures", params={"lang": "en", "q": "marital status"})
    assert listing.status_code == 200
    assert "Certificate of marital status" in listing.text
    assert shown_vietnamese(listing.text, p) == []
    page = client.get(f"/procedures/{MARITAL}")  # the language is remembered (cookie)
    text = html.unescape(page.text)
    assert 'data-testid="procedure-name">Certificate of marital status<' in text
    assert "Identity card or citizen identity card" in text
    assert "Usual amount set by the provincial People's Council" in text
    assert "Poor and near-poor households" in text and "Civil status" in text
    assert shown_vietnamese(page.text, p) == []


def test_vietnamese_stays_the_default(client: TestClient) -> None:
    page = client.get(f"/procedures/{MARITAL}")
    assert 'data-testid="procedure-name">Cấp Giấy xác nhận tình trạng hôn nhân<' in page.text
    assert "Certificate of marital status" not in page.text


def test_a_citizen_applies_and_follows_the_dossier_in_english(
    client: TestClient, session: Session
) -> None:
    p = catalogue.get(MARITAL)
    _c, applicant = citizen_with_account(session)
    account = session.get(Account, applicant.account_id)
    assert account is not None
    sign_in(client, account, next=f"/procedures/{MARITAL}/apply")
    form = client.get(f"/procedures/{MARITAL}/apply", params={"lang": "en"})
    assert form.status_code == 200, form.text
    text = html.unescape(form.text)
    assert "Applicant's full name" in text and "Purpose of use" in text  # fields
    assert "Proof of place of residence" in text  # a component reused from the registry
    assert shown_vietnamese(form.text, p) == []
    token, key = TOKEN.search(form.text), KEY.search(form.text)
    assert token and key
    body = {"csrf_token": token.group(1), "idempotency_key": key.group(1)}
    refused = client.post(f"/procedures/{MARITAL}/apply", data={**body, "action": "submit"})
    assert refused.status_code == 422  # the purpose is missing: the error names the field
    assert "<strong>Purpose of use:</strong>" in html.unescape(refused.text)
    sent = client.post(
        f"/procedures/{MARITAL}/apply",
        data={**body, "purpose": "Kết hôn", "action": "submit"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    code = sent.headers["location"].split("/")[2].split("?")[0]
    mine = client.get("/my-dossiers")
    assert "Certificate of marital status" in mine.text
    assert shown_vietnamese(mine.text, p) == []
    dossier = client.get(f"/my-dossiers/{code}")
    assert "<h1>Certificate of marital status</h1>" in dossier.text
    assert "Identity card or citizen identity card" in dossier.text  # reused, stored in vi
    assert shown_vietnamese(dossier.text, p) == []
    clerk = officer()
    queue = client.get("/procedure-console", headers=bearer(clerk))
    assert code in queue.text and "Certificate of marital status" in queue.text
    assert shown_vietnamese(queue.text, p) == []
    detail = client.get(f"/procedure-console/dossiers/{code}", headers=bearer(clerk))
    assert "Purpose of use" in detail.text and "Applicant&#39;s full name" in detail.text
    assert shown_vietnamese(detail.text, p) == []


def test_the_api_keeps_the_vietnamese_and_adds_the_english(client: TestClient) -> None:
    one = client.get(f"/api/procedures/{MARITAL}").json()
    assert one["name"] == "Cấp Giấy xác nhận tình trạng hôn nhân"
    assert one["name_en"] == "Certificate of marital status"
    assert (one["sector_name"], one["sector_name_en"]) == ("Hộ tịch", "Civil status")
    assert one["fee"]["note_en"] == "Usual amount set by the provincial People's Council"
    field = next(f for f in one["fields"] if f["key"] == "purpose")
    assert (field["label"], field["label_en"]) == ("Mục đích sử dụng", "Purpose of use")
    card = next(c for c in one["components"] if c["key"] == "id_card")
    assert card["name_en"] == "Identity card or citizen identity card"
    car = client.get("/api/procedures/2.001255").json()["fee"]["choices"][0]
    assert (car["label"], car["label_en"]) == ("Ô tô (khu vực II)", "Car (area II)")
    found = client.get("/api/procedures", params={"q": "marriage registration"}).json()
    assert [p["code"] for p in found] == ["1.000894"]
