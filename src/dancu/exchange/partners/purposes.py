"""The fields the exchange can release, and which of them each purpose may ever carry.

A partner's purpose (``PartnerPurpose``) picks its default fields and its consent-only
fields from the purpose's list here; nothing outside it can be granted, and
``service.minimise`` drops from every answer any field outside what the request was
authorized for.
"""

from __future__ import annotations

from dancu.common.i18n import N_

# field -> English label (translated where a page shows it: the consent request, receipts)
FIELDS: dict[str, str] = {
    "pid": N_("ID number"),
    "full_name": N_("Full name"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "nationality": N_("Nationality"),
    "ethnicity": N_("Ethnicity"),
    "permanent_address": N_("Permanent address"),
    "alive": N_("Whether the person is alive"),
    "card_valid": N_("Whether the ID card is valid"),
    "insurance_valid": N_("Whether the health-insurance card is valid here"),
    "insurance_card_number": N_("Health-insurance card number"),
    "insurance_benefit_level": N_("Health-insurance benefit level"),
    "insurance_valid_to": N_("Health-insurance card valid until"),
    "insurance_facility": N_("Registered medical facility"),
}

# purpose -> every field it may ever release (default or with consent)
PURPOSE_FIELDS: dict[str, tuple[str, ...]] = {
    "health_checkin": (
        "full_name",
        "birth_date",
        "sex",
        "insurance_valid",
        "insurance_benefit_level",
        "insurance_valid_to",
        "insurance_facility",
        "insurance_card_number",
        "permanent_address",
    ),
    "health_insurance": (
        "pid",
        "full_name",
        "birth_date",
        "sex",
        "alive",
        "permanent_address",
        "insurance_card_number",
    ),
    "bank_ekyc": (
        "pid",
        "full_name",
        "birth_date",
        "sex",
        "nationality",
        "ethnicity",
        "permanent_address",
        "alive",
        "card_valid",
    ),
    "bank_cleaning": ("pid", "full_name", "birth_date", "sex", "alive", "permanent_address"),
    "social_insurance": ("pid", "full_name", "birth_date", "sex", "alive", "permanent_address"),
}

# What each kind of partner gets when registered without naming its purposes' fields.
DEFAULTS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "hospital": {
        "health_checkin": (
            ("full_name", "birth_date", "sex", "insurance_valid", "insurance_benefit_level"),
            ("permanent_address",),
        ),
    },
    "bank": {
        "bank_ekyc": (("full_name", "birth_date", "sex", "card_valid", "alive"), ()),
        "bank_cleaning": (("pid", "full_name", "birth_date", "sex", "alive"), ()),
    },
    "insurer": {
        "health_insurance": (
            ("pid", "full_name", "birth_date", "sex", "alive", "insurance_card_number"),
            ("permanent_address",),
        ),
    },
    "agency": {
        "social_insurance": (("pid", "full_name", "birth_date", "sex", "alive"), ()),
    },
}

KINDS: dict[str, str] = {
    "hospital": N_("Hospital"),
    "bank": N_("Bank"),
    "insurer": N_("Social-insurance agency"),
    "agency": N_("Sector agency"),
}

# Keys of an answer that carry no personal data (the envelope): never stripped.
ENVELOPE = frozenset({"purpose", "request_id", "checked_at", "consent_id", "status"})
