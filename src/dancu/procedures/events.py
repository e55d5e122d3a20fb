"""The topics the procedures domain emits (payloads in the comments)."""

from __future__ import annotations

# A dossier changed state: {"dossier": code, "procedure": code, "status": new, "previous":
# old, "pid": applicant, "account_id": int | None, "step": agency | None}. The domain's own
# handler (tasks.on_status_changed) notifies the citizen by SMS and e-mail; the National
# Public Service Portal's outbound adapter publishes it back.
DOSSIER_STATUS_CHANGED = "procedures.dossier_status_changed"

# The birth step of an inter-connected dossier approved; the insurer must issue a card:
# {"dossier": code, "child_pid": str, "birth_date": iso, "commune_code": str,
#  "parent_pid": str}. The exchange domain's insurer adapter answers it.
INSURANCE_CARD_REQUESTED = "procedures.insurance_card_requested"

# Subscribed: the insurer issued the newborn's card (the exchange domain emits it; the
# constant lives in exchange/events.py and the two must stay equal): {"card_number": str,
# "pid": str, "dossier": code, ...}. ``tasks.on_insurance_card_issued`` completes the
# insurer's step of that dossier.
INSURANCE_CARD_ISSUED = "exchange.insurance_card_issued"

# A death registered through the inter-connected procedure: the funeral allowance opens for
# the payments domain: {"dossier": code, "deceased_pid": str, "death_date": iso,
# "claimant_pid": str, "commune_code": str}.
FUNERAL_ALLOWANCE_OPENED = "procedures.funeral_allowance_opened"

# A dossier's result is digitized and may land in the citizen's wallet (documents/ signs it):
# {"dossier": code, "procedure": code, "pid": str, "account_id": int | None,
#  "credential": bool}.
RESULT_READY = "procedures.result_ready"

# A step passed its deadline unfinished: {"dossier": code, "step": int, "agency": str,
# "unit": str, "due_on": iso}.
STEP_ESCALATED = "procedures.step_escalated"

# Subscribed: a citizen's e-ID account became usable (the accounts emit it; the constant
# lives in identity/accounts/events.py and the two must stay equal): {"account_id": int,
# "pid": str}. ``documents.service.join_account`` joins the citizen's dossiers filed
# without an account (at a desk, through the national portal) to it.
ACCOUNT_ACTIVATED = "identity.account_activated"
