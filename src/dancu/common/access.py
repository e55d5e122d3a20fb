"""Access-control primitives: who acts (the actor), with which roles, over which units, why.

Access is role x area x purpose. Roles grant permissions; an officer's units (province
codes of 2 digits, commune codes of 5) bound what they can see; every read of personal
data names a purpose from ``PURPOSES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dancu.common.errors import ErrorCode, Forbidden, ValidationFailed
from dancu.common.i18n import N_


class Role(StrEnum):
    REGISTRY_CLERK = "registry_clerk"
    POLICE = "police"
    PROCEDURE_OFFICER = "procedure_officer"
    COMMUNE_LEADER = "commune_leader"
    STEERING_VIEWER = "steering_viewer"
    PARTNER_ADMIN = "partner_admin"
    # A partner system using the exchange door (a hospital, a bank, the insurer, an agency):
    # it reads citizens only through exchange/, which releases its purpose's fields alone.
    EXCHANGE_PARTNER = "exchange_partner"
    SOCIAL_OFFICER = "social_officer"  # a commune's social-affairs officer (payments)
    SOCIAL_APPROVER = "social_approver"  # a province's social-affairs approver and treasury
    FINANCE_OFFICER = "finance_officer"  # a unit's accountant: the fees the account collects
    SYSTEM = "system"


class Permission(StrEnum):
    CITIZEN_READ = "citizen.read"
    CITIZEN_SEARCH = "citizen.search"
    CIVIL_STATUS_RECORD = "civil_status.record"
    CARD_MANAGE = "card.manage"
    AUDIT_READ = "audit.read"
    STATISTICS_READ = "statistics.read"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_BULK_READ = "registry.bulk_read"  # a province's citizens, for data maintenance
    LINKAGE_READ = "linkage.read"  # sector datasets' sync rates and reports
    LINKAGE_MANAGE = "linkage.manage"  # import sector datasets, run linkage, export
    LINKAGE_CLEAN = "linkage.clean"  # work the cleaning queue
    PROCEDURE_PROCESS = "procedure.process"  # work dossiers of one's agency and unit
    PROCEDURE_ASSIGN = "procedure.assign"  # hand a dossier to an officer of the unit
    PROCEDURE_FIGURES = "procedure.figures"  # the one-stop shop's figures of one's units
    PROCEDURE_FEES = "procedure.fees"  # import the bank's statements, review unmatched transfers
    EXCHANGE_MANAGE = "exchange.manage"  # partners, credentials, access hygiene, suspensions
    EXCHANGE_READ = "exchange.read"  # check-in figures, the insurance sync rate, the message log
    BENEFICIARY_READ = "beneficiary.read"  # social-payment beneficiaries of the area
    BENEFICIARY_MANAGE = "beneficiary.manage"  # propose enrolment, suspension, end (maker)
    BENEFICIARY_APPROVE = "beneficiary.approve"  # approve those proposals (checker)
    PAYMENT_PREPARE = "payment.prepare"  # build a month's payment cycle, import bank files
    PAYMENT_APPROVE = "payment.approve"  # approve a cycle someone else prepared


_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REGISTRY_CLERK: frozenset(
        {
            _P.CITIZEN_READ,
            _P.CITIZEN_SEARCH,
            _P.CIVIL_STATUS_RECORD,
            _P.AUDIT_READ,
            _P.STATISTICS_READ,
            _P.REGISTRY_BULK_READ,
            _P.LINKAGE_READ,
            _P.LINKAGE_MANAGE,
            _P.LINKAGE_CLEAN,
        }
    ),
    Role.POLICE: frozenset(
        {
            _P.CITIZEN_READ,
            _P.CITIZEN_SEARCH,
            _P.CARD_MANAGE,
            _P.AUDIT_READ,
            _P.STATISTICS_READ,
            _P.PROCEDURE_PROCESS,  # residence, ID-card and vehicle dossiers
        }
    ),
    Role.PROCEDURE_OFFICER: frozenset(
        {_P.CITIZEN_READ, _P.CITIZEN_SEARCH, _P.PROCEDURE_PROCESS, _P.PROCEDURE_FIGURES}
    ),
    Role.COMMUNE_LEADER: frozenset(
        {
            _P.CITIZEN_READ,
            _P.CITIZEN_SEARCH,
            _P.STATISTICS_READ,
            _P.LINKAGE_READ,
            _P.PROCEDURE_PROCESS,
            _P.PROCEDURE_ASSIGN,
            _P.PROCEDURE_FIGURES,
        }
    ),
    Role.STEERING_VIEWER: frozenset({_P.STATISTICS_READ, _P.LINKAGE_READ, _P.PROCEDURE_FIGURES}),
    Role.PARTNER_ADMIN: frozenset({_P.EXCHANGE_MANAGE, _P.EXCHANGE_READ, _P.STATISTICS_READ}),
    Role.EXCHANGE_PARTNER: frozenset({_P.CITIZEN_READ}),
    Role.FINANCE_OFFICER: frozenset({_P.PROCEDURE_FEES, _P.PROCEDURE_FIGURES}),
    Role.SOCIAL_OFFICER: frozenset(
        {_P.CITIZEN_READ, _P.BENEFICIARY_READ, _P.BENEFICIARY_MANAGE, _P.STATISTICS_READ}
    ),
    Role.SOCIAL_APPROVER: frozenset(
        {
            _P.CITIZEN_READ,
            _P.REGISTRY_BULK_READ,
            _P.BENEFICIARY_READ,
            _P.BENEFICIARY_MANAGE,
            _P.BENEFICIARY_APPROVE,
            _P.PAYMENT_PREPARE,
            _P.PAYMENT_APPROVE,
            _P.STATISTICS_READ,
        }
    ),
    Role.SYSTEM: frozenset(Permission),
}

# Purposes for which personal data may be read (code -> English label, translated where shown).
PURPOSES: dict[str, str] = {
    "administrative_procedure": N_("Settling an administrative procedure"),
    "civil_status": N_("Civil-status registration"),
    "residence": N_("Residence management"),
    "id_card": N_("ID-card issuance"),
    "verification": N_("Identity verification"),
    "citizen_request": N_("At the citizen's own request"),
    "inspection": N_("Inspection and audit"),
    "data_maintenance": N_("Registry data maintenance"),
    "identity_claims": N_("Released to a service the citizen signed in to, with consent"),
    # The exchange door's purposes (exchange/partners/purposes.py: the fields each releases).
    "health_checkin": N_("Hospital check-in for medical examination"),
    "health_insurance": N_("Health-insurance card management"),
    "bank_ekyc": N_("Bank customer identification (eKYC)"),
    "bank_cleaning": N_("Cleaning a bank's customer records"),
    "social_insurance": N_("Social-insurance entitlements"),
    "social_assistance": N_("Paying social assistance and allowances"),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting in the system: an officer, a system job, later a citizen or partner."""

    id: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    units: tuple[str, ...] = ()  # province (2-digit) or commune (5-digit) codes; () = nationwide
    organization: str = ""
    # None: any purpose (an officer answers for the purposes they name). A partner system
    # acting through the API reads and writes only for the purposes it was registered with.
    purposes: frozenset[str] | None = None

    def require_purpose_allowed(self, purpose: str) -> None:
        """Refuse an access for a purpose this actor was not granted (partners)."""
        if self.purposes is not None and purpose not in self.purposes:
            raise Forbidden(
                f"{self.name} may not access personal data for {purpose!r}",
                code=ErrorCode.AUTH_PURPOSE_NOT_ALLOWED,
                purpose=purpose,
            )

    @property
    def permissions(self) -> frozenset[Permission]:
        perms: set[Permission] = set()
        for role in self.roles:
            perms |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(perms)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                f"{self.name} lacks the permission {permission.value}",
                code=ErrorCode.AUTH_PERMISSION,
                permission=permission.value,
            )

    @property
    def province_units(self) -> tuple[str, ...]:
        return tuple(u for u in self.units if len(u) == 2)

    @property
    def commune_units(self) -> tuple[str, ...]:
        return tuple(u for u in self.units if len(u) == 5)

    @property
    def nationwide(self) -> bool:
        return not self.units

    def covers(self, province_code: str | None, commune_code: str | None) -> bool:
        """Whether a record in this province/commune lies in the actor's area."""
        if self.nationwide:
            return True
        return (province_code in self.province_units) or (commune_code in self.commune_units)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "roles": sorted(r.value for r in self.roles),
            "units": list(self.units),
            "organization": self.organization,
            **({"purposes": sorted(self.purposes)} if self.purposes is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Actor:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            roles=frozenset(Role(r) for r in data.get("roles", []) or []),  # type: ignore[union-attr]
            units=tuple(str(u) for u in data.get("units", []) or []),  # type: ignore[union-attr]
            organization=str(data.get("organization", "")),
            purposes=(
                frozenset(str(p) for p in data["purposes"])  # type: ignore[union-attr]
                if data.get("purposes") is not None
                else None
            ),
        )


SYSTEM_ACTOR = Actor(
    id="system:cli", name="dancu CLI", roles=frozenset({Role.SYSTEM}), organization="system"
)


def require_purpose(purpose: str | None) -> str:
    """A read of personal data must name one of the known purposes."""
    if not purpose:
        raise ValidationFailed(
            "A purpose is required to read personal data",
            code=ErrorCode.PURPOSE_REQUIRED,
            field="purpose",
        )
    if purpose not in PURPOSES:
        raise ValidationFailed(
            f"Unknown purpose {purpose!r}",
            code=ErrorCode.PURPOSE_UNKNOWN,
            field="purpose",
            value=purpose,
        )
    return purpose
