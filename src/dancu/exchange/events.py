"""The topics the exchange emits, and the ones it subscribes to from other domains."""

from __future__ import annotations

# Emitted: a health-insurance card was issued or renewed for a citizen:
# {"card_number": str, "pid": str, "valid_from": "yyyy-mm-dd", "valid_to": "yyyy-mm-dd",
#  "dossier": code (only when it answers a birth procedure's request)}. The procedures domain
# completes that dossier's insurer step with it.
INSURANCE_CARD_ISSUED = "exchange.insurance_card_issued"

# Emitted: a partner credential was revoked or a partner suspended: {"partner": str}.
PARTNER_SUSPENDED = "exchange.partner_suspended"

# Subscribed (the procedures domain emits it from the inter-connected birth procedure; the
# constant lives in procedures/events.py, and the two must stay equal): {"dossier": code,
# "child_pid": str, ...}. ``tasks.on_insurance_card_requested`` issues the newborn's card.
INSURANCE_CARD_REQUESTED = "procedures.insurance_card_requested"

# Emitted: the insurer's cards arrived and wait for linkage: {"provinces": [str, ...]}
# (the exchange's own handler links them, ``tasks.on_cards_received``).
INSURANCE_CARDS_RECEIVED = "exchange.insurance_cards_received"

# A bank's customer list waits for a worker: {"job_id": int}. The handler
# (cleaning.tasks.on_cleaning_queued) enqueues the job once the upload's transaction commits.
CLEANING_QUEUED = "exchange.cleaning_queued"
