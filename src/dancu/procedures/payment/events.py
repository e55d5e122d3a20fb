"""The payment topics this package emits (emitters and subscribers import the constant)."""

from __future__ import annotations

FEE_PAID = "procedures.fee_paid"  # {"dossier_code", "amount_vnd", "gateway", "transaction_id"}
