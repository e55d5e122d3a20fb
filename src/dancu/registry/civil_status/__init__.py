"""Civil-status events: each updates the citizen in the same transaction, is audited and
emits an outbox event (``citizen.born``, ``citizen.died``, ``citizen.married``,
``citizen.divorced``, ``citizen.moved``).

Writes that a client may retry take an idempotency key: the same key, from the same officer
for the same kind of event, returns the event already recorded instead of recording it twice;
a key reused for anything else is refused (409 ``idempotency.key_reused``).

One module an event (``births``, ``deaths``, ``marriages`` with divorces, ``residence``), and
the steps they share in ``recording``; callers use the names below.
"""

from __future__ import annotations

from dancu.registry.civil_status.births import register_birth
from dancu.registry.civil_status.deaths import register_death
from dancu.registry.civil_status.marriages import (
    MIN_MARRIAGE_AGE,
    register_divorce,
    register_marriage,
)
from dancu.registry.civil_status.recording import KEY_FIELD
from dancu.registry.civil_status.residence import register_residence_change

__all__ = [
    "KEY_FIELD",
    "MIN_MARRIAGE_AGE",
    "register_birth",
    "register_death",
    "register_divorce",
    "register_marriage",
    "register_residence_change",
]
