"""Signed results: PAdES by the agency's key, verified against the provincial CA."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from typer.testing import CliRunner

from dancu import settings
from dancu.procedures.documents import authority, signing, slips
from dancu.procedures.documents.cli import app as documents_cli
from dancu.procedures.documents.errors import DocumentErrorCode
from dancu.web.i18n import translate
from tests.procedures.pdf_text import pdf_text
from tests.procedures.test_slips import dossier

AGENCY = "Ủy ban nhân dân phường Hoàn Kiếm"


@pytest.fixture
def ca_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DANCU_PROCEDURES_CA_DIR", str(tmp_path / "procedures-ca"))
    monkeypatch.setenv("DANCU_DEV_LOGIN", "true")
    settings.get_settings.cache_clear()
    yield tmp_path / "procedures-ca"
    settings.get_settings.cache_clear()


def result_pdf() -> bytes:
    return slips.result_document(
        dossier(),
        "Trích lục khai sinh",
        [("Họ, chữ đệm, tên", "Nguyễn Thị Hương"), ("Nơi đăng ký", "Phường Hoàn Kiếm")],
        decision_number="123/TLKS-BS",
        signer_title="Chủ tịch",
        signer="Phạm Quốc Việt",
    )


@pytest.fixture
def signed(ca_dir) -> bytes:
    credential = authority.agency_signer("01-00070", AGENCY, "Thành phố Hà Nội")
    return signing.sign_result(result_pdf(), credential, location="Phường Hoàn Kiếm")


def test_a_signed_result_verifies_with_its_signer_agency_and_time(signed):
    outcome = signing.verify_result(signed)
    assert outcome == signing.VerifyOutcome(
        valid=True,
        signer=AGENCY,
        agency=AGENCY,
        intact=True,
        trusted=True,
        signed_at=outcome.signed_at,
    )
    assert outcome.signed_at is not None
    assert abs(outcome.signed_at - datetime.now(UTC)) < timedelta(minutes=2)
    assert "Nguyễn Thị Hương" in pdf_text(signed)  # the signature leaves the text readable


def test_the_demo_ca_is_made_once_trusted_and_its_key_kept_apart(ca_dir, signed):
    assert sorted(p.name for p in ca_dir.iterdir()) == [authority.DEMO_CA_FILE]
    keys = ca_dir.with_name("procedures-ca-keys")
    assert sorted(p.name for p in keys.iterdir() if p.name != ".lock") == [
        "agency-01-00070.pem",
        authority.DEMO_CA_KEY_FILE,
    ]
    assert (keys / "agency-01-00070.pem").stat().st_mode & 0o077 == 0
    again = authority.agency_signer("01-00070", AGENCY)
    first = authority.Credential.from_pem((keys / "agency-01-00070.pem").read_bytes())
    assert again.cert == first.cert
    assert again.cert.issuer == authority.trusted_roots()[0].subject


def test_workers_racing_for_the_first_key_make_one_ca_and_one_key(ca_dir):
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: authority.agency_signer("01-00070", AGENCY), range(4)))
    assert len({c.cert.serial_number for c in made}) == 1
    (root,) = authority.trusted_roots()
    assert made[0].cert.issuer == root.subject
    made[0].cert.verify_directly_issued_by(root)


def test_a_flipped_byte_fails_verification(signed):
    position = signed.index(b"/Producer")  # inside the signed range, not in the signature
    tampered = signed[:position] + b"/Pxoducer" + signed[position + len(b"/Producer") :]
    outcome = signing.verify_result(tampered)
    assert (outcome.valid, outcome.code, outcome.intact) == (
        False,
        DocumentErrorCode.ALTERED,
        False,
    )


def test_a_byte_flipped_in_the_page_content_fails_too(signed):
    middle = len(signed) // 3
    tampered = signed[:middle] + bytes([signed[middle] ^ 0x01]) + signed[middle + 1 :]
    outcome = signing.verify_result(tampered)
    assert outcome.valid is False
    assert outcome.code in {DocumentErrorCode.ALTERED, DocumentErrorCode.NOT_PDF}


def test_a_result_signed_under_another_ca_is_intact_but_untrusted(ca_dir):
    authority.demo_ca("Thành phố Hà Nội")  # the trusted one exists
    stranger = authority.issue_agency(authority.make_ca("Some other CA"), AGENCY)
    outcome = signing.verify_result(signing.sign_result(result_pdf(), stranger))
    assert (outcome.valid, outcome.code) == (False, DocumentErrorCode.UNTRUSTED)
    assert (outcome.intact, outcome.trusted, outcome.agency) == (True, False, AGENCY)


def test_bytes_appended_after_signing_are_not_covered(signed):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.root["/Lang"] = generic.pdf_string("vi")  # an update after the signature
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    outcome = signing.verify_result(out.getvalue())
    assert outcome.valid is False
    assert outcome.code == DocumentErrorCode.NOT_COVERED


def test_an_unsigned_pdf_and_a_non_pdf_are_refused_with_their_codes(ca_dir):
    assert signing.verify_result(result_pdf()).code == DocumentErrorCode.UNSIGNED
    assert signing.verify_result(b"not a pdf at all").code == DocumentErrorCode.NOT_PDF


def test_production_without_a_provisioned_key_refuses_to_sign(ca_dir, monkeypatch):
    monkeypatch.setenv("DANCU_DEV_LOGIN", "false")
    settings.get_settings.cache_clear()
    with pytest.raises(authority.NoSigningKey) as refused:
        authority.agency_signer("01-00071", AGENCY)
    assert refused.value.code == DocumentErrorCode.NO_SIGNING_KEY
    assert not (ca_dir.with_name("procedures-ca-keys") / "agency-01-00071.pem").exists()


def test_the_verify_command_says_valid_or_why_not(signed, tmp_path):
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed)
    bad.write_bytes(result_pdf())
    runner = CliRunner()
    ok = runner.invoke(documents_cli, ["verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output and AGENCY in ok.output
    refused = runner.invoke(documents_cli, ["verify", str(bad)])
    assert refused.exit_code == 1
    assert DocumentErrorCode.UNSIGNED in refused.output


@pytest.mark.parametrize("code", list(DocumentErrorCode))
def test_every_document_code_has_a_vietnamese_message(code):
    assert translate("vi", code) != code


def test_signing_and_verifying_work_from_inside_an_event_loop(ca_dir):
    """An async caller (a browser test's loop, an async route) may sign and verify too."""
    credential = authority.agency_signer("01-00070", AGENCY)

    async def inside() -> signing.VerifyOutcome:
        return signing.verify_result(signing.sign_result(result_pdf(), credential))

    # a thread of its own: the test's worker may already run a loop (Playwright's sync API)
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, inside()).result().valid
