"""The header's links, chosen from what the person may do: no link that would answer 403.

Each officer page is listed once with the permission (or role) its route checks, so the
navigation and the home page (``dancu.home``) offer the same pages the routes allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dancu.common.access import Actor, Permission, Role
from dancu.common.i18n import N_


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    label: str  # English, translated where shown
    testid: str
    allowed: Callable[[Actor], bool] = lambda _actor: True


def _may(permission: Permission) -> Callable[[Actor], bool]:
    return lambda actor: actor.can(permission)


OFFICER_LINKS: tuple[Link, ...] = (
    Link("/registry/search", N_("Search citizens"), "nav-search", _may(Permission.CITIZEN_SEARCH)),
    Link("/desk/level2", N_("Level-2 desk"), "nav-desk", lambda a: Role.POLICE in a.roles),
    Link("/linkage", N_("Sector data"), "nav-linkage", _may(Permission.LINKAGE_READ)),
    Link("/linkage/queue", N_("Cleaning queue"), "nav-queue", _may(Permission.LINKAGE_CLEAN)),
    Link(
        "/procedure-console",
        N_("Dossier queue"),
        "nav-procedure-console",
        _may(Permission.PROCEDURE_PROCESS),
    ),
    Link(
        "/procedure-figures",
        N_("Public-service figures"),
        "nav-procedure-figures",
        _may(Permission.PROCEDURE_FIGURES),
    ),
    Link(
        "/procedure-fees",
        N_("Fees by bank transfer"),
        "nav-procedure-fees",
        _may(Permission.PROCEDURE_FEES),
    ),
    Link("/payments", N_("Social payments"), "nav-payments", _may(Permission.BENEFICIARY_READ)),
    # the route needs STATISTICS_READ (the check-in figures; EXCHANGE_READ adds the rest)
    Link("/exchange", N_("Data exchange"), "nav-exchange", _may(Permission.STATISTICS_READ)),
    Link(
        "/exchange/area",
        N_("Partner access in my area"),
        "nav-exchange-area",
        _may(Permission.AUDIT_READ),
    ),
    Link(
        "/registry/events",
        N_("Registrations"),
        "nav-events",
        lambda a: a.can(Permission.CIVIL_STATUS_RECORD) or a.can(Permission.CARD_MANAGE),
    ),
)
CITIZEN_LINKS: tuple[Link, ...] = (
    Link("/account", N_("My account"), "my-account"),
    Link("/wallet", N_("My documents"), "nav-wallet"),
    Link("/my-dossiers", N_("My dossiers"), "nav-my-dossiers"),
    Link("/account/data-sharing", N_("Data sharing"), "nav-data-sharing"),
)


def officer_links(actor: Actor | None) -> list[Link]:
    """The officer pages this actor's permissions open."""
    return [link for link in OFFICER_LINKS if actor is not None and link.allowed(actor)]


def links(actor: Actor | None, *, citizen: bool) -> list[Link]:
    """The header's links: the officer's pages, then the e-ID account's (officers who
    signed in with their e-ID have one too)."""
    return [*officer_links(actor), *(CITIZEN_LINKS if citizen else ())]
