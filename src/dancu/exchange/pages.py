"""Exchange pages: the self-service kiosk (``/kiosk``), the citizen's data-sharing page
(``/account/data-sharing``: consent requests and receipts), and the officers' pages
(``/exchange``: check-in figures, the insurance sync rate; ``/exchange/access``: who holds
access to citizen data, flags, suspension, the quarterly review; ``/exchange/area``: which
partners read data of the citizens of the officer's area, per day, unusual volumes flagged)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common import adminunits
from dancu.common.access import Actor, Permission, Role
from dancu.common.bounds import Code, Id
from dancu.common.errors import DancuError, NotFound
from dancu.exchange import door
from dancu.exchange.checkin import kiosks
from dancu.exchange.checkin import service as checkin
from dancu.exchange.checkin.schemas import CheckinIn
from dancu.exchange.consent import service as consent
from dancu.exchange.errors import ExchangeErrorCode
from dancu.exchange.hygiene import accesses
from dancu.exchange.hygiene import service as hygiene
from dancu.exchange.insurance import service as insurance
from dancu.exchange.partners import service as partners
from dancu.exchange.partners.purposes import FIELDS, KINDS
from dancu.identity.accounts import transparency
from dancu.identity.pages.common import signed_in
from dancu.web.auth import app_settings
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import CurrentActor, DbSession
from dancu.web.templating import render

router = APIRouter(include_in_schema=False)
kiosk_router = APIRouter(prefix="/kiosk", include_in_schema=False)
Scan = Annotated[str, Form(max_length=20_000)]
PARTNER_ACTORS = ("client:", "kiosk:")  # a partner's system or its kiosk
AREA_DAYS = 30  # the area review's window


# -- the kiosk ---------------------------------------------------------------------------


def _kiosk_page(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    idle = app_settings(request).exchange_kiosk_idle_seconds
    return render(request, f"exchange/{name}", {"idle": idle, **context}, status_code=status)


@kiosk_router.get("", response_class=HTMLResponse)
def kiosk_home(request: Request, db: DbSession) -> HTMLResponse:
    try:
        kiosk = kiosks.kiosk_of(db, request.cookies.get(kiosks.COOKIE))
    except DancuError:
        return _kiosk_page(request, "kiosk_enrol.html", {"error": None}, 401)
    partner = partners.partner_by_id(db, kiosk.partner_id)
    return _kiosk_page(request, "kiosk.html", {"facility": partner.name if partner else ""})


@kiosk_router.post("/enrol", response_model=None)
def kiosk_enrol(request: Request, db: DbSession, _csrf: CsrfChecked, secret: Scan) -> Response:
    try:
        kiosks.kiosk_of(db, secret.strip())
    except DancuError as exc:
        return _kiosk_page(request, "kiosk_enrol.html", {"error": exc}, 422)
    response = RedirectResponse("/kiosk", status_code=303)
    production = app_settings(request).env == "production"
    response.set_cookie(
        kiosks.COOKIE,
        secret.strip(),
        max_age=365 * 86400,
        httponly=True,
        samesite="strict",
        secure=production,
    )
    return response


@kiosk_router.post("/checkin", response_class=HTMLResponse)
def kiosk_checkin(request: Request, db: DbSession, _csrf: CsrfChecked, scan: Scan) -> HTMLResponse:
    try:
        kiosk = kiosks.kiosk_of(db, request.cookies.get(kiosks.COOKIE))
    except DancuError:
        return _kiosk_page(request, "kiosk_enrol.html", {"error": None}, 401)
    actor = Actor(id=f"kiosk:{kiosk.id}", name="kiosk")
    try:
        data = CheckinIn(scan=scan.strip() or "-")
    except ValueError:
        data = CheckinIn(scan="-")
    answer = door.serve(
        db,
        actor,
        door.Call("POST", "/kiosk/checkin", scan.encode()),
        purpose=checkin.PURPOSE,
        fields=kiosks.KIOSK_FIELDS,
        work=lambda ctx: checkin.check_in(db, ctx, data),
        context=lambda: kiosks.context(db, kiosk),
    )
    status = 200 if answer.status == 200 else 422
    if isinstance(answer.body.get("birth_date"), str):
        answer.body["birth_date"] = date.fromisoformat(answer.body["birth_date"])
    context = {
        "answer": answer.body,
        "ok": answer.status == 200,
        "typed": scan.strip().isdigit(),  # keyed in by the patient, not scanned
    }
    return _kiosk_page(request, "kiosk_result.html", context, status)


# -- the citizen's data sharing ----------------------------------------------------------


@router.get("/account/data-sharing", response_class=HTMLResponse)
def data_sharing(request: Request, db: DbSession) -> HTMLResponse:
    login = signed_in(request, db)
    pid = login.citizen_pid
    receipts = consent.of_citizen(db, pid) if pid else []
    shared = [  # check-ins, eKYC, registry reads, list cleaning, consent requests
        e
        for e in (transparency.my_access_log(db, pid, limit=200) if pid else [])
        if e.actor_id.startswith(PARTNER_ACTORS)
    ]
    context = {"receipts": receipts, "field_names": FIELDS, "accesses": shared}
    return render(request, "exchange/data_sharing.html", context)


@router.post("/account/data-sharing/{consent_id}/{answer}", response_model=None)
def answer_consent(
    request: Request, consent_id: Id, answer: Code, db: DbSession, _csrf: CsrfChecked
) -> Response:
    login = signed_in(request, db)
    actor = Actor(id=f"account:{login.account_id}", name=login.display_name)
    pid = login.citizen_pid or ""
    if answer not in ("approve", "refuse", "revoke"):
        raise NotFound("No such answer", code=ExchangeErrorCode.CONSENT_NOT_FOUND)
    if answer == "revoke":
        consent.revoke(db, pid, consent_id, actor=actor)
    else:
        consent.decide(db, pid, consent_id, approve=answer == "approve", actor=actor)
    return RedirectResponse("/account/data-sharing", status_code=303)


# -- officers ----------------------------------------------------------------------------


@router.get("/exchange", response_class=HTMLResponse)
def overview(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    actor.require(Permission.STATISTICS_READ)
    since = date.today() - timedelta(days=30)
    context = {
        "counts": checkin.day_counts(db, actor=actor, since=since),
        "rate": insurance.sync_rate(db, actor=actor)
        if actor.can(Permission.EXCHANGE_READ)
        else None,
        "can_manage": actor.can(Permission.EXCHANGE_MANAGE),
    }
    return render(request, "exchange/overview.html", context)


@router.get("/exchange/area", response_class=HTMLResponse)
def area(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    """Partner accesses to the citizens of the officer's area, per day (access hygiene)."""
    since = date.today() - timedelta(days=AREA_DAYS)
    days = accesses.area_review(db, actor=actor, since=since)
    context = {"days": days, "area_days": AREA_DAYS, "units": _unit_names(actor)}
    return render(request, "exchange/area.html", context)


def _unit_names(actor: Actor) -> list[str]:
    names = [p.name for p in adminunits.provinces() if p.code in actor.province_units]
    for code in actor.commune_units:
        if (commune := adminunits.find_commune(code)) is not None:
            names.append(commune.name)
    return names


@router.get("/exchange/access", response_class=HTMLResponse)
def access(request: Request, db: DbSession, actor: CurrentActor) -> HTMLResponse:
    context = {
        "holders": hygiene.holders(db, actor=actor),
        "kinds": KINDS,
        "review": hygiene.current_review(db, actor=actor),
        "actor_is_admin": Role.SYSTEM in actor.roles,
    }
    return render(request, "exchange/access.html", context)


@router.post("/exchange/access/suspend", response_model=None)
def suspend(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
    holder: Annotated[str, Form(max_length=80)],
) -> Response:
    hygiene.suspend(db, holder, actor=actor)
    return RedirectResponse("/exchange/access", status_code=303)


@router.post("/exchange/access/review", response_model=None)
def open_review(
    request: Request, db: DbSession, actor: CurrentActor, _csrf: CsrfChecked
) -> Response:
    hygiene.open_review(db, actor=actor)
    return RedirectResponse("/exchange/access", status_code=303)


@router.post("/exchange/access/review/{item_id}/{decision}", response_model=None)
def review_decision(
    request: Request,
    item_id: Id,
    decision: Code,
    db: DbSession,
    actor: CurrentActor,
    _csrf: CsrfChecked,
) -> Response:
    hygiene.decide(db, item_id, decision, actor=actor)
    return RedirectResponse("/exchange/access", status_code=303)
