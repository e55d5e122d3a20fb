"""The home page at ``/``: what this person can do here, composed from each domain's services.

Signed out: sign in, register an e-ID account, verify a document, the sample portal (in
development). A citizen: their account, their documents, the services. An officer: the
pages their permissions open (``web.navigation``), the cleaning queue with the number of
items waiting, and for those who read statistics the e-ID accounts and the sector data's
sync rate of their area. It composes several domains, so it lives at the app layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dancu.common import adminunits
from dancu.common.access import Actor, Permission
from dancu.common.i18n import N_
from dancu.identity.accounts import statistics
from dancu.identity.auth.session import SESSION_KEY
from dancu.linkage import cleaning
from dancu.linkage import service as linkage
from dancu.web.auth import app_settings, optional_actor
from dancu.web.deps import DbSession
from dancu.web.navigation import officer_links
from dancu.web.templating import render

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Task:
    href: str
    title: str  # English, translated where shown
    hint: str
    testid: str
    waiting: int | None = None  # items waiting (the cleaning queue)


@dataclass(frozen=True, slots=True)
class Figures:
    """Statistics of the officer's area: e-ID accounts, sector records synchronized."""

    accounts: int = 0
    level1: int = 0
    level2: int = 0
    records: int = 0
    synced: int = 0
    accounts_area: str = ""  # what each figure covers, by name (a commune officer's
    records_area: str = ""  # accounts are counted per province, their records per commune)

    @property
    def sync_rate(self) -> float | None:
        return self.synced / self.records if self.records else None


@dataclass(frozen=True, slots=True)
class Home:
    tasks: list[Task] = field(default_factory=list)
    services: list[Task] = field(default_factory=list)
    figures: Figures | None = None


HINTS = {
    "/registry/search": N_("Find a citizen by name, birth date and commune, and open the record."),
    "/desk/level2": N_("Raise a citizen's e-ID account to level 2 with their chip card."),
    "/linkage": N_("Sector datasets and how well they are synchronized with the registry."),
    "/linkage/queue": N_("Records that need an officer's decision before they are synchronized."),
    "/procedure-console": N_(
        "Dossiers waiting in your agency and unit, the oldest deadline first."
    ),
    "/procedure-figures": N_("Dossiers online and at the counter, on time, fees, reused data."),
    "/procedure-fees": N_("Import the bank's statement: transfers matched to dossiers' fees."),
    "/payments": N_("Beneficiaries of social payments, their enrolment and the monthly cycles."),
    "/exchange": N_("Check-ins with the chip ID card and insurance cards synchronized."),
    "/exchange/area": N_("Which partners received data of your area's citizens, day by day."),
    "/registry/events": N_(
        "Births, deaths, marriages, divorces, changes of residence and ID-card applications."
    ),
}
SIGN_IN = Task("/login", N_("Sign in"), N_("With your personal ID number and password."), "t-login")
REGISTER = Task(
    "/register",
    N_("Register an e-ID account"),
    N_("For citizens of Vietnam aged 14 and over, with a face photo and a phone number."),
    "t-register",
)
VERIFY = Task(
    "/verify",
    N_("Verify a document"),
    N_("Check a document that a citizen shows from their e-ID wallet."),
    "t-verify",
)
ACCOUNT = Task(
    "/account",
    N_("My account"),
    N_("Sign-in methods, sessions, services you allowed, your history."),
    "t-account",
)
WALLET = Task("/wallet", N_("My documents"), N_("Your ID card and other documents."), "t-wallet")
SERVICES = Task(
    "/procedures",
    N_("Public services"),
    N_("Administrative procedures you can do online, with what they need and cost."),
    "t-procedures",
)
MY_DOSSIERS = Task(
    "/my-dossiers", N_("My dossiers"), N_("Your applications and where they stand."), "t-dossiers"
)
PORTAL = Task(
    "/demo-rp",
    N_("Public-service portal (sample)"),
    N_("A sample service that signs citizens in with their e-ID account (in development)."),
    "t-portal",
)


def home_for(session: Session, actor: Actor | None, *, citizen: bool, dev: bool) -> Home:
    """What the home page offers this person (``citizen``: signed in with an e-ID account)."""
    services = [SERVICES, *([PORTAL] if dev else [])]
    if actor is None and not citizen:
        return Home(tasks=[SIGN_IN, REGISTER, VERIFY], services=services)
    tasks = _officer_tasks(session, actor) if actor is not None else []
    if citizen:
        tasks += [ACCOUNT, WALLET, MY_DOSSIERS]
    figures = _figures(session, actor) if actor and actor.can(Permission.STATISTICS_READ) else None
    return Home(tasks=tasks, services=[*services, VERIFY], figures=figures)


def _officer_tasks(session: Session, actor: Actor) -> list[Task]:
    tasks = []
    for link in officer_links(actor):
        waiting = cleaning.waiting(session, actor=actor) if link.href == "/linkage/queue" else None
        tasks.append(Task(link.href, link.label, HINTS[link.href], f"t-{link.testid}", waiting))
    return tasks


def _figures(session: Session, actor: Actor) -> Figures:
    """e-ID accounts of the actor's area, and its sector records synchronized (if readable)."""
    accounts = [row for p in _provinces(actor) for row in _account_rows(session, actor, p)]
    rates = (
        [r for r in linkage.sync_rates(session, actor=actor) if r.level == "dataset"]
        if actor.can(Permission.LINKAGE_READ)
        else []
    )
    return Figures(
        accounts=sum(r.registered for r in accounts),
        level1=sum(r.level1 for r in accounts),
        level2=sum(r.level2 for r in accounts),
        records=sum(r.records for r in rates),
        synced=sum(r.synced for r in rates),
        accounts_area=_area_name(_provinces(actor)),
        records_area="" if actor.nationwide else _records_area(actor),
    )


def _area_name(provinces: list[str | None]) -> str:
    """Provinces by name; "" for the whole country (the page says so in words)."""
    return ", ".join(adminunits.province(p).name for p in provinces if p)


def _records_area(actor: Actor) -> str:
    if linkage.commune_scoped(actor):
        return linkage.scope_name(actor, "")
    return _area_name(list(actor.province_units))


def _provinces(actor: Actor) -> list[str | None]:
    if actor.nationwide:
        return [None]
    communes = {adminunits.commune(c).province_code for c in actor.commune_units}
    return sorted(set(actor.province_units) | communes)


def _account_rows(session: Session, actor: Actor, province: str | None) -> list:  # type: ignore[type-arg]
    if province is None or province in actor.province_units:
        return statistics.accounts_by_area(session, by="province", province_code=province)
    rows = statistics.accounts_by_area(session, by="commune", province_code=province)
    return [r for r in rows if r.commune_code in actor.commune_units]


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request, db: DbSession) -> HTMLResponse:
    citizen = bool(request.session.get(SESSION_KEY))
    dev = app_settings(request).dev_login
    home = home_for(db, optional_actor(request), citizen=citizen, dev=dev)
    return render(request, "home.html", {"home": home})
