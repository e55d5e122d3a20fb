"""Paying a fee: the VietQR payload, and signed gateway confirmations checked and kept once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from dancu import settings
from dancu.common.errors import DancuError
from dancu.common.outbox import OutboxEvent
from dancu.procedures.payment import events, gateway, service, vietqr
from dancu.procedures.payment.errors import PaymentErrorCode
from dancu.procedures.payment.models import FeePayment
from dancu.web.i18n import translate

# Published with github.com/subiz/vietqr (README): 120,000 đ to VietinBank (BIN 970415),
# account 0011001932418, content "ung ho lu lut"; the CRC C15C is theirs, not ours.
PUBLISHED = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)
DOSSIER = "000.00.31.H26-261203-0001"


def test_crc16_ccitt_false_check_value():
    assert vietqr.crc16_ccitt(b"123456789") == 0x29B1  # the catalogue's check value


def test_the_payload_matches_a_published_vietqr_byte_for_byte():
    assert vietqr.payload("970415", "0011001932418", 120000, "ung ho lu lut") == PUBLISHED


def test_the_dossier_code_is_the_transfer_purpose_and_the_crc_closes_it():
    data = vietqr.payload("970415", "113366668888", 50000, DOSSIER)
    assert "0010A000000727" in data and "0208QRIBFTTA" in data
    assert "540550000" in data and "5303704" in data and "5802VN" in data
    assert f"6229{vietqr.tlv('08', DOSSIER)}" in data
    body, crc = data[:-4], data[-4:]
    assert body.endswith("6304") and crc == f"{vietqr.crc16_ccitt(body.encode()):04X}"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("97041", "0011001932418", 1, DOSSIER), PaymentErrorCode.ACCOUNT),
        (("970415", "00110-1932418", 1, DOSSIER), PaymentErrorCode.ACCOUNT),
        (("970415", "0011001932418", 0, DOSSIER), PaymentErrorCode.AMOUNT),
        (("970415", "0011001932418", 1, "Lệ phí khai sinh"), PaymentErrorCode.PURPOSE),
        (("970415", "0011001932418", 1, "X" * 26), PaymentErrorCode.PURPOSE),
    ],
)
def test_a_payload_that_no_bank_would_read_is_refused(args, code):
    with pytest.raises(DancuError) as refused:
        vietqr.payload(*args)
    assert refused.value.code == code


def test_the_qr_is_an_inline_svg_without_script():
    svg = vietqr.qr_svg(PUBLISHED)
    assert svg.startswith("<svg") and 'class="vietqr"' in svg and "<path" in svg
    assert "<script" not in svg and "<?xml" not in svg
    assert svg == vietqr.qr_svg(PUBLISHED)  # the same payload draws the same picture


@pytest.fixture
def sim() -> gateway.HmacGateway:
    return gateway.simulated()


def paid(amount: int = 50000, dossier: str = DOSSIER, txn: str = "SIM-1") -> gateway.Confirmation:
    return gateway.Confirmation(
        gateway.SIMULATED, txn, dossier, amount, datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    )


EXPECTED = service.ExpectedPayment(DOSSIER, 50000)


def test_a_signed_confirmation_is_recorded_once_and_announced(session, sim):
    body, signature = sim.sign(paid())
    got = service.record_confirmation(session, sim, body, signature, expected=EXPECTED)
    assert got == paid()
    session.flush()
    row = session.scalars(select(FeePayment)).one()
    assert (row.dossier_code, row.amount_vnd, row.transaction_id) == (DOSSIER, 50000, "SIM-1")
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == events.FEE_PAID)).one()
    assert event.payload == {
        "dossier_code": DOSSIER,
        "amount_vnd": 50000,
        "gateway": "simulated",
        "transaction_id": "SIM-1",
    }
    assert service.paid_amount(session, DOSSIER) == 50000


def refused(session, gw, body, signature, expected=EXPECTED) -> DancuError:
    with pytest.raises(DancuError) as caught:
        service.record_confirmation(session, gw, body, signature, expected=expected)
    session.flush()
    assert session.scalar(select(func.count()).select_from(FeePayment)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
    return caught.value


def test_a_bad_signature_is_refused(session, sim):
    body, signature = sim.sign(paid())
    error = refused(session, sim, body, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"))
    assert (error.code, error.status_code) == (PaymentErrorCode.SIGNATURE, 401)


def test_a_body_changed_after_signing_is_refused(session, sim):
    _, signature = sim.sign(paid(amount=50))
    body, _ = sim.sign(paid())
    assert refused(session, sim, body, signature).code == PaymentErrorCode.SIGNATURE


def test_another_gateways_secret_is_refused(session, sim):
    forger = gateway.HmacGateway(gateway.SIMULATED, b"guessed secret", "/x")
    body, signature = forger.sign(paid())
    assert refused(session, sim, body, signature).code == PaymentErrorCode.SIGNATURE


def test_the_wrong_amount_is_refused(session, sim):
    body, signature = sim.sign(paid(amount=5000))
    error = refused(session, sim, body, signature)
    assert (error.code, error.field, error.params) == (
        PaymentErrorCode.AMOUNT,
        "amount_vnd",
        {"expected": 50000, "paid": 5000},
    )


def test_a_confirmation_for_another_dossier_is_refused(session, sim):
    body, signature = sim.sign(paid(dossier="000.00.31.H26-261203-0002"))
    assert refused(session, sim, body, signature).code == PaymentErrorCode.DOSSIER


def test_a_replayed_confirmation_is_refused_and_counted_once(session, sim):
    body, signature = sim.sign(paid())
    service.record_confirmation(session, sim, body, signature, expected=EXPECTED)
    with pytest.raises(DancuError) as replay:
        service.record_confirmation(session, sim, body, signature, expected=EXPECTED)
    assert (replay.value.code, replay.value.status_code) == (PaymentErrorCode.REPLAYED, 409)
    assert session.scalar(select(func.count()).select_from(FeePayment)) == 1
    assert service.paid_amount(session, DOSSIER) == 50000
    again = sim.sign(replace(paid(), transaction_id="SIM-2"))  # a new transaction is new
    service.record_confirmation(session, sim, *again, expected=EXPECTED)
    assert service.paid_amount(session, DOSSIER) == 100000


@pytest.mark.parametrize(
    "body", [b"not json", b"{}", b'{"gateway":"simulated"}', b"[1,2]", b'{"paid_at":"x"}']
)
def test_a_signed_but_unreadable_confirmation_is_refused(session, sim, body):
    assert refused(session, sim, body, sim._mac(body)).code == PaymentErrorCode.MALFORMED


def test_the_simulated_gateway_exists_only_with_the_development_sign_in(monkeypatch):
    for dev_login, present in (("false", False), ("true", True)):
        monkeypatch.setenv("DANCU_DEV_LOGIN", dev_login)
        settings.get_settings.cache_clear()
        assert (gateway.SIMULATED in gateway.gateways()) is present
        if not present:
            with pytest.raises(DancuError) as unknown:
                gateway.gateway(gateway.SIMULATED)
            assert unknown.value.code == PaymentErrorCode.GATEWAY_UNKNOWN
    settings.get_settings.cache_clear()


def test_the_checkout_url_carries_the_dossier_amount_and_return_path(sim):
    url = sim.checkout_url(DOSSIER, 50000, "/procedures/dossiers/1")
    assert url == (
        "/demo/payment-gateway?dossier=000.00.31.H26-261203-0001&amount=50000"
        "&return_to=%2Fprocedures%2Fdossiers%2F1"
    )


@pytest.mark.parametrize("code", list(PaymentErrorCode))
def test_every_payment_code_has_a_vietnamese_message(code):
    assert translate("vi", code) != code
