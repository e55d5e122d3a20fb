"""The topics the payments domain emits, and the ones it subscribes to from elsewhere.

``PAYMENT_SETTLED``: an instruction was booked (``instruction_id``, ``pid``, ``amount``,
``month``); ``OVERPAYMENT_FLAGGED``: a payment for a month after a death (``instruction_id``,
``pid``). ``FUNERAL_ALLOWANCE_OPENED`` is emitted by the procedures domain (its
inter-connected death-registration procedure) with the deceased's ``pid`` (and, if known,
``death_date``); payments subscribes to it as well as to the registry's death event and
opens one allowance whichever comes first (``tasks.py``).
"""

from __future__ import annotations

PAYMENT_SETTLED = "payments.payment_settled"
OVERPAYMENT_FLAGGED = "payments.overpayment_flagged"
FUNERAL_ALLOWANCE_OPENED = "procedures.funeral_allowance_opened"
