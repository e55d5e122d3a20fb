"""The topics the registry emits through the outbox, declared once.

Emitters (``civil_status.py``, ``cards.py``) and subscribers in other domains
(``identity/tasks.py``, later ``payments``) import these constants; a topic literal given to
``outbox.emit`` or ``subscribe`` fails ``tests/architecture/test_error_codes.py``.
Payloads: a civil-status event carries ``event_id``, ``pid`` and the event's details; a card
event ``pid``, ``card_id`` and ``status``.
"""

from __future__ import annotations

CITIZEN_BORN = "citizen.born"
CITIZEN_DIED = "citizen.died"
CITIZEN_MARRIED = "citizen.married"
CITIZEN_DIVORCED = "citizen.divorced"
CITIZEN_MOVED = "citizen.moved"
CARD_APPLIED = "card.applied"
CARD_PRODUCED = "card.produced"
CARD_ISSUED = "card.issued"
CARD_LOST = "card.lost"
CARD_REVOKED = "card.revoked"

# The civil-status event kind -> its topic.
CIVIL_STATUS_TOPICS = {
    "birth": CITIZEN_BORN,
    "death": CITIZEN_DIED,
    "marriage": CITIZEN_MARRIED,
    "divorce": CITIZEN_DIVORCED,
    "residence_change": CITIZEN_MOVED,
}
# A card's new status -> its topic.
CARD_TOPICS = {
    "applied": CARD_APPLIED,
    "produced": CARD_PRODUCED,
    "issued": CARD_ISSUED,
    "lost": CARD_LOST,
    "revoked": CARD_REVOKED,
}
