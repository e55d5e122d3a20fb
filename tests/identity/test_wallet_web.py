"""The wallet over HTTP: verify API, status lists, issuer metadata, wallet and verify pages."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from joserfc import jws
from joserfc.jwk import KeySet

from dancu.common.access import Role
from dancu.identity.accounts.models import Account
from dancu.identity.auth import session as login
from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import service as wallet
from dancu.web.deps import DbSession
from tests.conftest import bearer, make_actor
from tests.identity.test_wallet import CLAIMS, ISSUER, make_account


@pytest.fixture
def web(app) -> TestClient:  # type: ignore[no-untyped-def]
    @app.post("/_test/wallet-login/{account_id}")
    def _login(account_id: int, request: Request, db: DbSession) -> dict[str, str]:
        account = db.get(Account, account_id)
        assert account is not None
        found = login.begin_login(request.session, db, account, ["pwd", "otp"], "127.0.0.1", "test")
        return {"sid": found.session_id}

    return TestClient(app, follow_redirects=False)


@pytest.fixture
def account(session):
    return make_account(session)


@pytest.fixture
def credential(session, account):
    row = wallet.issue_document(session, account.id, "health_insurance_card", CLAIMS, actor=ISSUER)
    session.commit()
    return row


def _sign_in(web: TestClient, account: Account) -> None:
    assert web.post(f"/_test/wallet-login/{account.id}").status_code == 200


def test_verify_api_answers_valid_with_the_disclosed_claims(web, credential):
    shown = credentials.present(credential.sd_jwt, {"insurance_number"})
    answer = web.post("/api/wallet/verify", json={"presentation": shown})
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is True
    assert body["claims"] == {"insurance_number": "6612345678"}
    assert body["vct"] == "urn:vn:dancu:vct:health-insurance-card:1"
    raw = web.post(
        "/api/wallet/verify", content=shown, headers={"content-type": "application/dc+sd-jwt"}
    )
    assert raw.json()["valid"] is True


def test_verify_api_names_the_reason_when_invalid(web, credential):
    jwt, _disclosures, _ = credentials.split(credential.sd_jwt)
    forged = credentials.make_disclosure("benefit_level", 5)
    body = web.post("/api/wallet/verify", json={"presentation": f"{jwt}~{forged}~"}).json()
    assert (body["valid"], body["code"]) == (False, "wallet.disclosure")
    vi = web.post("/api/wallet/verify?lang=vi", json={"presentation": "nonsense"}).json()
    assert vi["code"] == "wallet.format"
    assert vi["message"] == "Đây không phải là một giấy tờ SD-JWT đọc được."
    bad = web.post("/api/wallet/verify", json={"something": 1})
    assert (bad.status_code, bad.json()["code"]) == (422, "wallet.format")


def test_revoke_api_is_for_issuing_authorities_and_the_list_shows_it(web, session, credential):
    url = f"/api/wallet/credentials/{credential.credential_id}/revoke"
    assert web.post(url, json={"reason": "x"}).status_code == 401
    viewer = make_actor(Role.STEERING_VIEWER)
    assert web.post(url, json={"reason": "x"}, headers=bearer(viewer)).status_code == 403
    assert web.post("/api/wallet/verify", json={"presentation": credential.sd_jwt}).json()["valid"]
    officer = make_actor(Role.PROCEDURE_OFFICER)
    done = web.post(url, json={"reason": "Lost card"}, headers=bearer(officer))
    assert done.status_code == 200, done.text
    answer = web.post("/api/wallet/verify", json={"presentation": credential.sd_jwt}).json()
    assert (answer["valid"], answer["code"]) == (False, "wallet.revoked")
    again = web.post(url, json={"reason": "x"}, headers=bearer(officer))
    assert (again.status_code, again.json()["code"]) == (409, "wallet.already_revoked")


def test_status_list_and_issuer_metadata_are_published(web, credential):
    meta = web.get("/.well-known/jwt-vc-issuer").json()
    assert meta["issuer"] == wallet.issuer()
    assert credential.issuer_kid in {k["kid"] for k in meta["jwks"]["keys"]}
    assert all("d" not in k for k in meta["jwks"]["keys"])
    listing = web.get(f"/api/wallet/status/{credential.status_list_id}")
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith("application/statuslist+jwt")
    token = jws.deserialize_compact(listing.text, KeySet.import_key_set(meta["jwks"]))
    assert token.headers()["typ"] == "statuslist+jwt"
    assert json.loads(token.payload)["sub"] == wallet.status_uri(credential.status_list_id)
    assert web.get("/api/wallet/status/unknown").status_code == 404


def test_the_wallet_page_needs_a_login(web):
    answer = web.get("/wallet")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Fwallet")


def test_the_wallet_lists_the_holders_documents(web, account, credential):
    _sign_in(web, account)
    page = web.get("/wallet")
    assert page.status_code == 200
    assert "Thẻ bảo hiểm y tế" in page.text  # Vietnamese by default
    assert f"/wallet/{credential.credential_id}" in page.text


def test_the_document_page_makes_a_qr_with_only_the_chosen_fields(web, account, credential):
    _sign_in(web, account)
    page = web.get(
        f"/wallet/{credential.credential_id}",
        params={"chosen": "1", "fields": ["benefit_level", "full_name"]},
    )
    assert page.status_code == 200
    assert "<svg" in page.text  # inline, nothing fetched from elsewhere
    assert not re.search(r'<(script|img|link)[^>]+(src|href)="(https?:)?//', page.text)
    href = re.search(r'<a href="([^"]+)" data-testid="verify-link"', page.text)
    assert href is not None
    presentation = parse_qs(urlsplit(html.unescape(href.group(1))).query)["p"][0]
    disclosed = credentials.disclosure_claims(presentation)
    assert disclosed == {"benefit_level": 4, "full_name": "Phạm Thị Hoa"}
    # The verify page (what the QR opens) shows exactly those, and says valid.
    shown = web.get("/verify", params={"p": presentation})
    assert 'data-testid="verify-valid"' in shown.text and "Giấy tờ hợp lệ" in shown.text
    assert "Phạm Thị Hoa" in shown.text and "6612345678" not in shown.text


def test_someone_elses_document_is_not_found(web, session, credential):
    other = make_account(session, "Đỗ Văn Hùng")
    session.commit()
    _sign_in(web, other)
    assert web.get(f"/wallet/{credential.credential_id}").status_code == 404


def test_the_verify_page_shows_the_reason_in_vietnamese(web, credential):
    jwt, _disclosures, _ = credentials.split(credential.sd_jwt)
    header, payload, signature = jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 10**8
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}~"
    page = web.post("/verify", data={"presentation": forged})
    assert page.status_code == 200
    assert 'data-code="wallet.signature"' in page.text
    assert "Chữ ký của cơ quan cấp không hợp lệ" in page.text
    # A pasted QR link works as well as the bare presentation.
    link = f"http://testserver/verify?p={credential.sd_jwt}"
    assert 'data-testid="verify-valid"' in web.post("/verify", data={"presentation": link}).text
    english = web.get("/verify", params={"p": "garbage", "lang": "en"})
    assert "is not an SD-JWT" in english.text or "Not an SD-JWT" in english.text


def _csrf(page_text: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert found is not None
    return found.group(1)


def test_a_level2_holder_gets_demo_documents_from_the_wallet_page(web, session, account):
    _sign_in(web, account)
    page = web.get("/wallet")
    assert 'data-testid="wallet-empty"' in page.text and 'data-testid="demo-documents"' in page.text
    refused = web.post("/wallet/demo-documents", data={}, headers={"accept": "application/json"})
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf.invalid")
    assert 'data-testid="wallet-empty"' in web.get("/wallet").text  # nothing issued
    done = web.post("/wallet/demo-documents", data={"csrf_token": _csrf(page.text)})
    assert (done.status_code, done.headers["location"]) == (303, "/wallet")
    listed = web.get("/wallet").text
    assert listed.count('data-testid="wallet-doc"') == 5
    assert "Giấy phép lái xe" in listed


def test_a_level1_holder_gets_no_demo_documents(web, session):
    holder = make_account(session, "Lý Thị Hạnh")
    holder.level = 1
    session.commit()
    _sign_in(web, holder)
    page = web.get("/wallet")
    assert 'data-testid="demo-documents"' not in page.text
    answer = web.post(
        "/wallet/demo-documents",
        data={"csrf_token": _csrf(page.text)},
        headers={"accept": "application/json"},
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "wallet.level2_required")


def test_the_document_page_puts_a_readable_qr_first_and_one_validity_date(web, account, credential):
    _sign_in(web, account)
    page = web.get(f"/wallet/{credential.credential_id}").text
    svg = re.search(r'<figure class="[^"]*" data-testid="qr"[^>]*><svg ([^>]*)>', page)
    assert svg, "no QR code"
    width = int(re.search(r'width="(\d+)"', svg.group(1)).group(1))  # type: ignore[union-attr]
    assert re.search(rf'viewBox="0 0 {width} {width}"', svg.group(1))  # it may scale down
    pixels = int(re.search(r'transform="scale\((\d+)\)"', page).group(1))  # type: ignore[union-attr]
    assert pixels >= 4  # screen pixels a module
    # the QR comes before the field choice: at the top of the page on a phone
    assert page.index('data-testid="qr"') < page.index('data-testid="disclose-form"')
    # one validity date, written dd/mm/yyyy, no time of day
    meta = re.search(r'data-testid="doc-meta">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    text = re.sub(r"<[^>]+>", "", meta)
    assert re.fullmatch(
        r"Tình trạng: Còn hiệu lực · Ngày cấp \d\d/\d\d/\d{4} · Có giá trị đến \d\d/\d\d/\d{4}",
        text,
    ), text
    assert page.count("Có giá trị đến") == 1
    assert 'data-testid="value-birth_date">09/07/1992<' in page  # a date claim, dd/mm/yyyy


def test_the_document_page_shows_the_documents_own_end_of_validity_once(web, session, account):
    claims = {**CLAIMS, "valid_until": "2026-12-31"}  # before the credential's own expiry
    row = wallet.issue_document(session, account.id, "health_insurance_card", claims, actor=ISSUER)
    session.commit()
    _sign_in(web, account)
    page = web.get(f"/wallet/{row.credential_id}").text
    assert 'data-testid="doc-valid-until">31/12/2026<' in page
    assert 'data-testid="value-valid_until">31/12/2026<' in page


def test_the_verify_page_names_the_document_and_issuer_in_words(web, credential):
    page = web.post("/verify", data={"presentation": credential.sd_jwt}).text
    meta = page.split('data-testid="verify-meta">', 1)[1].split("</p>", 1)[0]
    assert "urn:" not in page and "http" not in meta
    assert "Thẻ bảo hiểm y tế" in meta and "hệ thống định danh điện tử của tỉnh" in meta
