"""What a card reader hands to the level-2 desk, and the hook a reader plugs into.

A reader (the officer's USB/NFC device and its middleware) reads EF.SOD and the data groups
off the chip and delivers them as a ``ChipBundle`` (JSON: base64 SOD, data groups by number,
the printed MRZ). The desk accepts that JSON as an upload from any reader. A reader that the
server itself can drive (the demo's simulated one, ``dancu.demo.chip_reader``) is a
``CardReader`` installed on the application (``app.state.card_reader``) by the app factory,
only with the development sign-in; production installs none.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from dancu.common.access import Actor
from dancu.registry.schemas import CitizenOut


@dataclass(frozen=True, slots=True)
class ChipBundle:
    """What a reader got from a chip: EF.SOD and the data groups, plus the printed MRZ."""

    sod: bytes
    data_groups: dict[int, bytes]
    mrz: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "sod": base64.b64encode(self.sod).decode(),
                "dg": {str(n): base64.b64encode(v).decode() for n, v in self.data_groups.items()},
                "mrz": self.mrz,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ChipBundle:
        """Raises ``ValueError`` on anything that is not a bundle."""
        try:
            body = json.loads(text)
            return cls(
                sod=base64.b64decode(body["sod"], validate=True),
                data_groups={
                    int(n): base64.b64decode(v, validate=True) for n, v in body["dg"].items()
                },
                mrz=str(body.get("mrz", "")),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a chip bundle: {exc}") from exc


class CardReader(Protocol):
    """A reader the desk can ask for the chip of a citizen's card (audited registry read)."""

    def __call__(
        self, session: Session, pid: str, *, actor: Actor, record: CitizenOut | None = None
    ) -> ChipBundle:
        """``record``: the citizen's registry record when the caller has already read it."""
        ...
