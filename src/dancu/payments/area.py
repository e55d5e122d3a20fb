"""Area checks shared by the payments services: a commune's list, a province's cycle."""

from __future__ import annotations

from dancu.common import adminunits
from dancu.common.access import Actor
from dancu.common.errors import Forbidden, ValidationFailed
from dancu.payments.errors import PaymentsErrorCode

PURPOSE = "social_assistance"


def commune(actor: Actor, commune_code: str) -> adminunits.Commune:
    """The commune, inside the actor's area."""
    unit = adminunits.find_commune(commune_code)
    if unit is None:
        raise ValidationFailed(
            "Unknown commune", code=PaymentsErrorCode.COMMUNE_REQUIRED, field="commune_code"
        )
    if not actor.covers(unit.province_code, unit.code):
        raise Forbidden(
            "This commune is outside your area",
            code=PaymentsErrorCode.COMMUNE_REQUIRED,
            field="commune_code",
        )
    return unit


def province(actor: Actor, province_code: str) -> str:
    """A province the actor answers for as a whole (a commune officer does not)."""
    if not actor.nationwide and province_code not in actor.province_units:
        raise Forbidden(
            "This needs an officer of the province",
            code=PaymentsErrorCode.PROVINCE_REQUIRED,
            field="province_code",
        )
    try:
        adminunits.province(province_code)
    except adminunits.UnknownUnitError:
        raise ValidationFailed(
            "Unknown province", code=PaymentsErrorCode.PROVINCE_REQUIRED, field="province_code"
        ) from None
    return province_code
