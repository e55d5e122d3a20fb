"""Passive authentication (ICAO 9303): a good chip passes; each attack fails with its code."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, parser

from dancu.demo.chips import (
    demo_chip,
    make_chip,
    make_csca,
    make_document_signer,
    make_sod,
)
from dancu.identity.chip.pki import TrustList
from dancu.identity.chip.reader import ChipBundle
from dancu.identity.chip.sod import SOD_TAG, decode_dg1, encode_dg1, encode_dg2, wrap_sod
from dancu.identity.chip.verify import verify_chip

HOLDER = {
    "document_number": "066090001234",
    "family_name": "Nguyễn",
    "given_names": "Thị Lan",
    "birth_date": date(1990, 3, 14),
    "sex": "F",
    "expiry_date": date(2035, 3, 14),
}


@pytest.fixture(scope="module")
def csca():
    return make_csca()


@pytest.fixture(scope="module")
def signer(csca):
    return make_document_signer(csca)


@pytest.fixture(scope="module")
def trust(csca):
    return TrustList((csca.cert,))


@pytest.fixture(scope="module")
def chip(signer):
    return make_chip(signer, **HOLDER)


def _tamper(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_a_genuine_chip_passes_every_check(chip, trust):
    result = verify_chip(chip.sod, chip.data_groups, trust, printed_mrz=chip.mrz)
    assert result.valid, result
    assert result.code is None
    assert result.passed == (
        "sod_format",
        "content_digest",
        "signature",
        "certificate_chain",
        "data_group_hashes",
        "mrz",
    )
    assert result.mrz is not None
    assert result.mrz.document_number == "066090001234"
    assert (result.mrz.primary_identifier, result.mrz.secondary_identifier) == (
        "NGUYEN",
        "THI LAN",
    )
    assert "Test document signer" in (result.signer or "")


@pytest.mark.parametrize("pss", [False, True], ids=["rsa-pkcs1v15", "rsa-pss"])
def test_rsa_document_signers_verify_and_their_forgeries_fail(csca, trust, pss):
    signer = make_document_signer(csca, rsa_bits=2048)
    groups = make_chip(signer, **HOLDER).data_groups
    sod = make_sod(signer, groups, pss=pss)
    assert verify_chip(sod, groups, trust).valid
    signature = cms.ContentInfo.load(parser.parse(sod)[4])["content"]["signer_infos"][0][
        "signature"
    ].native
    forged = _tamper(sod, sod.index(signature) + 100)
    assert verify_chip(forged, groups, trust).code == "chip.signature"


def test_dg1_altered_fails_its_hash(chip, trust):
    forged_mrz = chip.mrz.replace("NGUYEN", "TRANXX")
    groups = {**chip.data_groups, 1: encode_dg1(forged_mrz)}
    result = verify_chip(chip.sod, groups, trust)
    assert (result.valid, result.code, result.data_group) == (False, "chip.dg_hash_mismatch", 1)
    assert "certificate_chain" in result.passed  # the SOD itself was fine


def test_dg2_altered_fails_its_hash(chip, trust):
    groups = {**chip.data_groups, 2: encode_dg2(b"another face")}
    result = verify_chip(chip.sod, groups, trust)
    assert (result.valid, result.code, result.data_group) == (False, "chip.dg_hash_mismatch", 2)


def test_a_missing_data_group_is_named(chip, trust):
    result = verify_chip(chip.sod, {1: chip.data_groups[1]}, trust)
    assert (result.code, result.data_group) == ("chip.dg_missing", 2)


def test_sod_signed_under_an_untrusted_csca_fails(trust):
    rogue = make_document_signer(make_csca("Test CSCA"))  # same name, different key
    forged = make_chip(rogue, **HOLDER)
    result = verify_chip(forged.sod, forged.data_groups, trust)
    assert (result.valid, result.code) == (False, "chip.untrusted_signer")
    assert "signature" in result.passed  # self-consistent, only untrusted


def test_an_empty_trust_list_trusts_nothing(chip):
    assert verify_chip(chip.sod, chip.data_groups, TrustList(())).code == "chip.untrusted_signer"


def test_altered_signature_bytes_fail(chip, trust, signer):
    info = cms.ContentInfo.load(parser.parse(chip.sod)[4])
    signature = info["content"]["signer_infos"][0]["signature"].native
    position = chip.sod.index(signature) + len(signature) - 5
    result = verify_chip(_tamper(chip.sod, position), chip.data_groups, trust)
    assert (result.valid, result.code) == (False, "chip.signature")


def test_altered_security_object_fails_the_signed_digest(chip, trust):
    digest = hashlib.sha256(chip.data_groups[1]).digest()
    position = chip.sod.index(digest)  # DG1's hash inside the signed content
    result = verify_chip(_tamper(chip.sod, position), chip.data_groups, trust)
    assert (result.valid, result.code) == (False, "chip.content_digest")


def test_a_security_object_re_signed_by_a_forger_key_fails(chip, trust, csca):
    forged_groups = {**chip.data_groups, 1: encode_dg1(chip.mrz.replace("F", "M", 1))}
    impostor = make_document_signer(make_csca("Test CSCA"), "Test document signer")
    sod = make_sod(impostor, forged_groups)
    assert verify_chip(sod, forged_groups, trust).code == "chip.untrusted_signer"


def test_an_expired_document_signer_fails():
    now = datetime.now(UTC)
    csca = make_csca(not_before=now - timedelta(days=800))
    trust = TrustList((csca.cert,))
    old = make_document_signer(csca, not_before=now - timedelta(days=400), days=30)
    stale = make_chip(old, **HOLDER)
    result = verify_chip(stale.sod, stale.data_groups, trust)
    assert (result.valid, result.code) == (False, "chip.certificate_expired")
    # The same chip checked at a time inside the signer's validity passes.
    then = datetime.now(UTC) - timedelta(days=390)
    assert verify_chip(stale.sod, stale.data_groups, trust, at=then).valid


def test_an_expired_csca_fails(chip, trust):
    later = datetime.now(UTC) + timedelta(days=365 * 16)
    assert verify_chip(chip.sod, chip.data_groups, trust, at=later).code == (
        "chip.certificate_expired"
    )


def test_a_signer_without_the_signing_key_usage_fails(csca, trust):
    weak = make_document_signer(csca, digital_signature=False)
    bad = make_chip(weak, **HOLDER)
    assert verify_chip(bad.sod, bad.data_groups, trust).code == "chip.key_usage"


def test_chip_mrz_differing_from_the_printed_one_fails(chip, trust):
    printed = chip.mrz.replace("LAN", "LAM")
    result = verify_chip(chip.sod, chip.data_groups, trust, printed_mrz=printed)
    assert (result.valid, result.code) == (False, "chip.mrz_mismatch")


def test_dg1_without_a_valid_mrz_fails_even_when_signed(signer, trust):
    groups = {1: encode_dg1("X" * 90), 2: encode_dg2(b"face")}
    result = verify_chip(make_sod(signer, groups), groups, trust)
    assert (result.valid, result.code) == (False, "chip.dg1_format")


@pytest.mark.parametrize(
    "sod",
    [b"", b"\x77\x03abc", b"garbage" * 10, parser.emit(1, 1, SOD_TAG, b"\x30\x03\x02\x01\x01")],
)
def test_malformed_sod_is_refused(sod, chip, trust):
    assert verify_chip(sod, chip.data_groups, trust).code == "chip.sod_format"


def test_sod_with_other_content_is_refused(chip, trust):
    info = cms.ContentInfo({"content_type": "data", "content": b"hello"})
    assert verify_chip(wrap_sod(info), chip.data_groups, trust).code == "chip.sod_format"


def test_dg1_round_trip():
    zone = make_chip(make_document_signer(make_csca()), **HOLDER).mrz
    assert decode_dg1(encode_dg1(zone)) == zone


def test_bundle_json_round_trip_and_refusal(chip):
    again = ChipBundle.from_json(chip.to_json())
    assert again == chip
    with pytest.raises(ValueError):
        ChipBundle.from_json('{"sod": 1}')


def test_trust_list_from_a_directory_and_the_demo_chip(tmp_path: Path):
    trust_dir, key_dir = tmp_path / "csca", tmp_path / "keys"
    assert TrustList.from_dir(trust_dir).cscas == ()
    bundle = demo_chip(trust_dir, key_dir, **HOLDER)
    trust = TrustList.from_dir(trust_dir)
    assert len(trust.cscas) == 1
    assert not list(trust_dir.glob("*key*"))  # the private key is not in the trust list
    assert verify_chip(bundle.sod, bundle.data_groups, trust, printed_mrz=bundle.mrz).valid
    # A second demo chip reuses the same CSCA.
    second = demo_chip(trust_dir, key_dir, **HOLDER)
    assert verify_chip(second.sod, second.data_groups, TrustList.from_dir(trust_dir)).valid


def test_any_corrupted_byte_of_the_sod_fails_a_named_check_and_never_raises(chip, trust):
    """The SOD is parsed lazily (a field is decoded when it is read): a byte changed
    anywhere, deep in the certificate or the signer info included, still gives a failed
    check with its code, not an exception."""
    genuine = verify_chip(chip.sod, chip.data_groups, trust)
    codes = set()
    for position in range(0, len(chip.sod), 3):
        for change in (0x01, 0x80, 0xFF):
            broken = bytearray(chip.sod)
            broken[position] ^= change
            result = verify_chip(bytes(broken), chip.data_groups, trust)
            # a byte no check covers (e.g. the unsigned list of digest algorithms) may
            # change: what the chip proves must then be exactly what it proved before
            assert not result.valid or result.mrz == genuine.mrz, position
            codes.add(result.code)
    assert {"chip.sod_format", "chip.signature"} <= codes
    assert codes <= {
        None,  # a byte no check covers (above)
        "chip.sod_format",
        "chip.signature",
        "chip.content_digest",
        "chip.untrusted_signer",
        "chip.key_usage",
        "chip.certificate_expired",
        "chip.dg_hash_mismatch",
        "chip.mrz_mismatch",
        "chip.dg1_format",
        "chip.dg_missing",
    }
