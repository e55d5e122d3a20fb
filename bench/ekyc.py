"""Bank eKYC: chip verifications per second through the service against raw ``cryptography``
verification of the same EF.SOD, measured side by side in one run.

Sets up ``CHIPS`` citizens with issued cards in a throw-away PostgreSQL database and a test
PKI (``demo.chips``), one chip each. Three measures over the same chips, interleaved:

* ``raw``: the floor — the document signer's ECDSA signature over the SOD's signed
  attributes checked with ``cryptography`` and the two data-group SHA-256 hashes compared,
  everything parsed beforehand;
* ``verify_chip``: identity's passive authentication (parse the CMS, check the content
  digest, the signature, the certificate chain to the CSCA, the hashes, the MRZ);
* ``service``: ``exchange.ekyc.service.verify_customer`` — passive authentication, the
  registry read (audited), the card and liveness checks, the claims, the audit entry and
  the JWS signature of the result — each in its own committed transaction.
"""

from __future__ import annotations

import base64
import hashlib
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import sessionmaker

from bench.common import Table, temp_database
from dancu.common.access import SYSTEM_ACTOR, Actor, Role
from dancu.common.pid import make_pid
from dancu.db import make_engine
from dancu.demo.chips import make_chip, make_csca, make_document_signer
from dancu.exchange.ekyc import service
from dancu.exchange.ekyc.schemas import EkycIn
from dancu.exchange.partners.schemas import PartnerContext
from dancu.identity.chip.pki import TrustList
from dancu.identity.chip.reader import ChipBundle
from dancu.identity.chip.sod import data_group_hashes, security_object, unwrap_sod
from dancu.identity.chip.verify import verify_chip
from dancu.registry import cards
from dancu.registry import service as registry
from dancu.registry.schemas import CardApplicationIn, CitizenIn

CHIPS = 200
ROUNDS = 3
BANK = Actor(
    id="client:bench-bank",
    name="Bench bank",
    roles=frozenset({Role.EXCHANGE_PARTNER}),
    organization="Bench bank",
    purposes=frozenset({"bank_ekyc"}),
)
CTX = PartnerContext(
    partner_id=1,
    partner_code="bench-bank",
    partner_name="Bench bank",
    kind="bank",
    facility_code=None,
    client_id="bench-bank",
    purpose="bank_ekyc",
    actor=BANK,
    fields=frozenset({"full_name", "birth_date", "sex", "alive", "card_valid"}),
    consent_fields=frozenset(),
    asked=frozenset({"full_name", "birth_date"}),
)


def _setup(factory: sessionmaker, n: int) -> tuple[TrustList, list[tuple[str, ChipBundle]]]:
    csca = make_csca("Bench CSCA")
    signer = make_document_signer(csca)
    chips = []
    with factory() as session:
        for i in range(n):
            birth = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
            sex = "MF"[i % 2]
            pid = make_pid(province_code="066", birth_date=birth, sex=sex, serial=100_000 + i)
            name = f"Nguyễn Văn Bench {chr(65 + i % 26)}"
            registry.add_citizen(
                session,
                CitizenIn(pid=pid, full_name=name, birth_date=birth, sex=sex, commune_code="24121"),
                actor=SYSTEM_ACTOR,
            )
            card = cards.apply_for_card(session, CardApplicationIn(pid=pid), actor=SYSTEM_ACTOR)
            cards.transition_card(session, card.id, "produce", actor=SYSTEM_ACTOR)
            card = cards.transition_card(session, card.id, "issue", actor=SYSTEM_ACTOR)
            family, _, given = name.partition(" ")
            chips.append(
                (
                    pid,
                    make_chip(
                        signer,
                        document_number=pid,
                        family_name=family,
                        given_names=given,
                        birth_date=birth,
                        sex=sex,
                        expiry_date=card.expires_on or date(2099, 12, 31),
                    ),
                )
            )
        session.commit()
    return TrustList((csca.cert,)), chips


def _raw_parts(chip: ChipBundle) -> dict[str, Any]:
    """What the raw check needs, parsed once: the key, signature, signed bytes, hashes."""
    signed = unwrap_sod(chip.sod)
    _, lds = security_object(signed)
    info = signed["signer_infos"][0]
    cert = x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump())
    return {
        "key": cert.public_key(),
        "signature": info["signature"].native,
        "data": b"\x31" + info["signed_attrs"].dump()[1:],
        "hashes": data_group_hashes(lds),
        "groups": chip.data_groups,
    }


def _raw(parts: dict[str, Any]) -> None:
    parts["key"].verify(parts["signature"], parts["data"], ec.ECDSA(hashes.SHA256()))
    for n, value in parts["groups"].items():
        assert hashlib.sha256(value).digest() == parts["hashes"][n]


def _rate(fn: Callable[[int], None], n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


def main(chips: int = CHIPS, rounds: int = ROUNDS) -> Table:
    table = Table(f"ekyc: chip verifications per second ({chips} chips, {rounds} rounds)")
    with temp_database("ekyc") as url:
        engine = make_engine(url)
        factory = sessionmaker(engine, expire_on_commit=False)
        trust, bundles = _setup(factory, chips)
        parts = [_raw_parts(b) for _, b in bundles]
        bodies = [EkycIn.model_validate(_body(pid, b)) for pid, b in bundles]
        now = datetime.now(UTC)

        def through_service(i: int) -> None:
            with factory() as session:
                out = service.verify_customer(session, bodies[i], ctx=CTX, trust=trust, now=now)
                assert out.verdict == "verified"
                session.commit()

        def passive(i: int) -> None:
            _pid, bundle = bundles[i]
            assert verify_chip(bundle.sod, bundle.data_groups, trust, at=now).valid

        rates: dict[str, list[float]] = {"raw": [], "verify_chip": [], "service": []}
        for _ in range(rounds):
            rates["raw"].append(_rate(lambda i: _raw(parts[i % chips]), chips * 10))
            rates["verify_chip"].append(_rate(passive, chips))
            rates["service"].append(_rate(through_service, chips))
        engine.dispose()
    med = {k: statistics.median(v) for k, v in rates.items()}
    table.add("raw cryptography (signature + DG hashes)", f"{med['raw']:,.0f} /s")
    table.add("identity verify_chip (passive authentication)", f"{med['verify_chip']:,.0f} /s")
    table.add("exchange eKYC service (checks, audit, signed result)", f"{med['service']:,.0f} /s")
    table.add("ratio service / raw", f"{med['service'] / med['raw']:.3f}")
    table.add("ratio verify_chip / raw", f"{med['verify_chip'] / med['raw']:.3f}")
    return table


def _body(pid: str, bundle: ChipBundle) -> dict[str, Any]:
    def b64(value: bytes) -> str:
        return base64.b64encode(value).decode()

    return {
        "sod": b64(bundle.sod),
        "dg1": b64(bundle.data_groups[1]),
        "dg2": b64(bundle.data_groups[2]),
        "claimed": {"pid": pid},
        "attributes": ["full_name", "birth_date"],
    }


if __name__ == "__main__":
    print(main().render())
