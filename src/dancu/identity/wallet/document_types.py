"""The kinds of wallet document: their SD-JWT VC type (``vct``), claims and lifetime.

Every claim about the holder is selectively disclosable; only the credential machinery
(``iss``, ``iat``, ``exp``, ``vct``, ``status``, ``cnf``) and ``document_type`` stay
visible. ``procedure_result`` is the generic type that procedures use for their results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dancu.common.errors import ValidationFailed
from dancu.common.i18n import N_
from dancu.identity.errors import IdentityErrorCode

VCT_PREFIX = "urn:vn:dancu:vct:"
HOLDER_CLAIMS = ("full_name", "birth_date", "sex", "personal_id")


@dataclass(frozen=True, slots=True)
class DocumentType:
    key: str
    title: str  # English source, translated where shown
    claims: tuple[str, ...]  # the document's own claims, besides HOLDER_CLAIMS
    lifetime: timedelta

    @property
    def vct(self) -> str:
        return f"{VCT_PREFIX}{self.key.replace('_', '-')}:1"

    @property
    def disclosable(self) -> frozenset[str]:
        return frozenset((*HOLDER_CLAIMS, *self.claims))


_D = DocumentType
DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.key: t
    for t in (
        _D(
            "health_insurance_card",
            N_("Health-insurance card"),
            (
                "insurance_number",
                "registered_facility",
                "benefit_level",
                "valid_from",
                "valid_until",
            ),
            timedelta(days=365),
        ),
        _D(
            "driving_licence",
            N_("Driving licence"),
            ("licence_number", "categories", "issued_on", "valid_until", "issuing_authority"),
            timedelta(days=3650),
        ),
        _D(
            "vehicle_registration",
            N_("Vehicle registration"),
            ("plate_number", "vehicle_type", "brand", "colour", "chassis_number", "registered_on"),
            timedelta(days=3650),
        ),
        _D(
            "criminal_record_certificate",
            N_("Criminal-record certificate"),
            ("certificate_number", "has_criminal_record", "issued_on", "issuing_authority"),
            timedelta(days=180),
        ),
        _D(
            "ehealth_book_summary",
            N_("E-health-book summary"),
            ("blood_type", "allergies", "chronic_conditions", "vaccinations", "updated_on"),
            timedelta(days=90),
        ),
        _D(
            "procedure_result",
            N_("Procedure result"),
            (
                "procedure_code",
                "procedure_name",
                "dossier_number",
                "decision_number",
                "decided_on",
                "issuing_authority",
                "result",
            ),
            timedelta(days=3650),
        ),
    )
}


def document_type(key: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[key]
    except KeyError:
        raise ValidationFailed(
            "Unknown document type", code=IdentityErrorCode.WALLET_DOCUMENT_TYPE, field="doc_type"
        ) from None


def title_of(vct: str | None) -> str | None:
    """The English title of the document type a ``vct`` names (None when unknown)."""
    found = [t.title for t in DOCUMENT_TYPES.values() if t.vct == vct]
    return found[0] if found else None


# Claim name -> English label (translated where shown).
CLAIM_LABELS: dict[str, str] = {
    "full_name": N_("Full name"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "personal_id": N_("Personal ID number"),
    "insurance_number": N_("Insurance number"),
    "registered_facility": N_("Registered health facility"),
    "benefit_level": N_("Benefit level"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "licence_number": N_("Licence number"),
    "categories": N_("Categories"),
    "issued_on": N_("Issued on"),
    "issuing_authority": N_("Issuing authority"),
    "plate_number": N_("Plate number"),
    "vehicle_type": N_("Vehicle type"),
    "brand": N_("Brand"),
    "colour": N_("Colour"),
    "chassis_number": N_("Chassis number"),
    "registered_on": N_("Registered on"),
    "certificate_number": N_("Certificate number"),
    "has_criminal_record": N_("Has a criminal record"),
    "blood_type": N_("Blood type"),
    "allergies": N_("Allergies"),
    "chronic_conditions": N_("Chronic conditions"),
    "vaccinations": N_("Vaccinations"),
    "updated_on": N_("Updated on"),
    "procedure_code": N_("Procedure code"),
    "procedure_name": N_("Procedure"),
    "dossier_number": N_("Dossier number"),
    "decision_number": N_("Decision number"),
    "decided_on": N_("Decided on"),
    "result": N_("Result"),
}
