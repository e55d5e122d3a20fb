"""The kinds of wallet document: their SD-JWT VC type (``vct``), claims and lifetime.

Every claim about the holder is selectively disclosable; only the credential machinery
(``iss``, ``iat``, ``exp``, ``vct``, ``status``, ``cnf``) and ``document_type`` stay
visible. ``procedure_result`` is the generic type that procedures use for their results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from dancu.common.errors import ValidationFailed
from dancu.identity.errors import IdentityErrorCode

VCT_PREFIX = "urn:vn:dancu:vct:"
HOLDER_CLAIMS = ("full_name", "birth_date", "sex", "personal_id")


@dataclass(frozen=True, slots=True)
class DocumentType:
    key: str
    title: str  # English source; Vietnamese in web/messages/wallet.py
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
            "Health-insurance card",
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
            "Driving licence",
            ("licence_number", "categories", "issued_on", "valid_until", "issuing_authority"),
            timedelta(days=3650),
        ),
        _D(
            "vehicle_registration",
            "Vehicle registration",
            ("plate_number", "vehicle_type", "brand", "colour", "chassis_number", "registered_on"),
            timedelta(days=3650),
        ),
        _D(
            "criminal_record_certificate",
            "Criminal-record certificate",
            ("certificate_number", "has_criminal_record", "issued_on", "issuing_authority"),
            timedelta(days=180),
        ),
        _D(
            "ehealth_book_summary",
            "E-health-book summary",
            ("blood_type", "allergies", "chronic_conditions", "vaccinations", "updated_on"),
            timedelta(days=90),
        ),
        _D(
            "procedure_result",
            "Procedure result",
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


# Claim name -> English label (Vietnamese in web/messages/wallet.py).
CLAIM_LABELS: dict[str, str] = {
    "full_name": "Full name",
    "birth_date": "Date of birth",
    "sex": "Sex",
    "personal_id": "Personal ID number",
    "insurance_number": "Insurance number",
    "registered_facility": "Registered health facility",
    "benefit_level": "Benefit level",
    "valid_from": "Valid from",
    "valid_until": "Valid until",
    "licence_number": "Licence number",
    "categories": "Categories",
    "issued_on": "Issued on",
    "issuing_authority": "Issuing authority",
    "plate_number": "Plate number",
    "vehicle_type": "Vehicle type",
    "brand": "Brand",
    "colour": "Colour",
    "chassis_number": "Chassis number",
    "registered_on": "Registered on",
    "certificate_number": "Certificate number",
    "has_criminal_record": "Has a criminal record",
    "blood_type": "Blood type",
    "allergies": "Allergies",
    "chronic_conditions": "Chronic conditions",
    "vaccinations": "Vaccinations",
    "updated_on": "Updated on",
    "procedure_code": "Procedure code",
    "procedure_name": "Procedure",
    "dossier_number": "Dossier number",
    "decision_number": "Decision number",
    "decided_on": "Decided on",
    "result": "Result",
}
