"""The demo's simulated card reader: a chip bundle for a registry citizen's issued card.

The chip is signed by a document signer of the demo CSCA, created on first use: its
certificate goes into the trust list (``identity_csca_dir``), its private key beside it in
``<identity_csca_dir>-keys/`` (never into the trust list, never committed). Installed
(``app.state.card_reader``) only with the development sign-in, which production refuses:
there, chips come from real cards and real CSCAs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.common.errors import Forbidden, NotFound
from dancu.demo.chips import demo_chip
from dancu.demo.errors import DemoErrorCode
from dancu.identity.accounts import citizens
from dancu.identity.chip.reader import ChipBundle
from dancu.registry.schemas import CitizenOut
from dancu.settings import get_settings


def trust_dir() -> Path:
    return Path(get_settings().identity_csca_dir)


def key_dir() -> Path:
    directory = trust_dir()
    return directory.with_name(directory.name + "-keys")


def read_demo_card(
    session: Session, pid: str, *, actor: Actor, record: CitizenOut | None = None
) -> ChipBundle:
    """What the simulated reader gets from the citizen's card (the registry read is audited;
    a ``record`` the caller already read is used as it is, not read again)."""
    if not get_settings().dev_login:  # never installed without it
        raise Forbidden(
            "The simulated card reader is off in production", code=DemoErrorCode.CHIP_DEMO_OFF
        )
    if record is None or record.pid != pid:
        record = citizens.record(session, pid, actor=actor)
    if record is None or record.card is None or record.card.status != "issued":
        raise NotFound(
            "This citizen holds no issued chip card", code=DemoErrorCode.CHIP_NO_CARD, field="pid"
        )
    family, _, given = record.full_name.partition(" ")
    return demo_chip(
        trust_dir(),
        key_dir(),
        document_number=record.card.card_no,
        family_name=family,
        given_names=given,
        birth_date=record.birth_date,
        sex=str(record.sex),
        expiry_date=record.card.expires_on or date(2099, 12, 31),
    )
