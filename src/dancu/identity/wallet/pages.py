"""Wallet pages: the citizen's documents with QR codes, and the public verify page.

The holder ticks the fields to disclose; the presentation carrying only those is kept a
few minutes behind a short link (``links``), and the QR code (segno, inline SVG) holds that
link, ``/v/<token>``, small enough to scan from a phone. The verify page takes the link,
a pasted presentation, or the long ``/verify?p=<presentation>`` link.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import segno
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from dancu.common.access import Actor
from dancu.common.bounds import Code
from dancu.common.errors import NotFound
from dancu.db import utcnow
from dancu.identity.auth.session import Login
from dancu.identity.pages.common import page, signed_in
from dancu.identity.wallet import links
from dancu.identity.wallet import sd_jwt as credentials
from dancu.identity.wallet import service as wallet
from dancu.identity.wallet.document_types import (
    CLAIM_LABELS,
    DOCUMENT_TYPES,
    HOLDER_CLAIMS,
    document_type,
    title_of,
)
from dancu.identity.wallet.models import WalletCredential
from dancu.web.auth import app_settings
from dancu.web.deps import DbSession
from dancu.web.i18n import VN_TZ

router = APIRouter(tags=["wallet"], include_in_schema=False)
QR_MODULE_PX = 4  # screen pixels a module: smaller ones phones' cameras fail to read
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _holder(login: Login) -> Actor:
    return Actor(id=f"account:{login.account_id}", name=login.display_name, organization="")


def _state(row: WalletCredential) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= utcnow() else "valid"


def _rank(order: list[str]):  # type: ignore[no-untyped-def]
    """Sort key: the document type's order of claims, unknown ones last."""
    return lambda name: (order.index(name) if name in order else len(order), name)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/wallet", response_class=HTMLResponse)
def wallet_home(request: Request, db: DbSession) -> HTMLResponse:
    login = signed_in(request, db)
    rows = wallet.list_documents(db, login.account_id, actor=_holder(login))
    documents = [
        {
            "row": r,
            "state": _state(r),
            "state_label": f"wallet.state.{_state(r)}",
            # the same days as the document's own page (not the credential's timestamps)
            "issued_on": _local_day(r.issued_at),
            "valid_until": _valid_until(r, credentials.disclosure_claims(r.sd_jwt)),
        }
        for r in rows
    ]
    # the demo's button (its route is mounted only with the development sign-in)
    demo = app_settings(request).dev_login and login.account_level == 2
    context = {"login": login, "documents": documents, "demo_documents": demo}
    return page(request, "wallet.html", context)


@router.get("/wallet/{credential_id}", response_class=HTMLResponse)
def wallet_document(
    request: Request,
    credential_id: Code,
    db: DbSession,
    fields: Annotated[list[str] | None, Query()] = None,
    chosen: str | None = None,
) -> HTMLResponse:
    login = signed_in(request, db)
    row = wallet.get_document(db, login.account_id, credential_id, actor=_holder(login))
    disclosed = credentials.disclosure_claims(row.sd_jwt)
    order = [*HOLDER_CLAIMS, *document_type(row.doc_type).claims]
    claims = {n: disclosed[n] for n in sorted(disclosed, key=_rank(order))}
    if chosen is None:  # first visit: the document's own fields, not the holder's details
        picked = [n for n in claims if n not in HOLDER_CLAIMS] or list(claims)
    else:
        picked = [n for n in claims if n in set(fields or [])]
    presentation = credentials.present(row.sd_jwt, picked)
    url = f"{_base(request)}/verify?{urlencode({'p': presentation})}"
    link = links.make(db, row, presentation)  # the QR holds this short link, not the SD-JWT
    qr_url = f"{_base(request)}{links.PATH}{link.token}"
    qr, modules = _qr(qr_url)
    context: dict[str, Any] = {
        "login": login,
        "row": row,
        "state": _state(row),
        "claims": claims,
        "state_label": f"wallet.state.{_state(row)}",
        "labels": CLAIM_LABELS,
        "picked": picked,
        "presentation": presentation,
        "verify_url": url,
        "qr": qr,
        "qr_modules": modules,
        "qr_url": qr_url,
        "link_expires_at": link.expires_at,
        "issued_on": _local_day(row.issued_at),
        "valid_until": _valid_until(row, disclosed),
        "date_claims": _date_claims(claims),
    }
    return page(request, "wallet_document.html", context)


def _qr(url: str) -> tuple[str, int]:
    """The QR code of a short link (error correction M: a worn phone screen still reads)
    as an inline SVG with the standard four-module quiet zone, and its modules a side.
    The page draws it up to 22rem wide, about 9 px a module on a phone."""
    code = segno.make(url, error="m")
    width, height = code.symbol_size(scale=QR_MODULE_PX, border=4)
    svg = code.svg_inline(scale=QR_MODULE_PX, border=4)
    svg = svg.replace("<svg ", f'<svg viewBox="0 0 {width} {height}" ', 1)  # scales
    return svg, code.symbol_size(scale=1, border=0)[0]


def _local_day(moment: datetime) -> date:
    return moment.astimezone(VN_TZ).date()


def _as_date(value: object) -> date | None:
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _date_claims(claims: dict[str, Any]) -> dict[str, date]:
    """The claims that hold a date ("2026-12-31"), as dates: pages write them dd/mm/yyyy."""
    return {n: d for n, v in claims.items() if (d := _as_date(v)) is not None}


def _valid_until(row: WalletCredential, claims: dict[str, Any]) -> date:
    """The one "valid until" a holder sees: the document's own end of validity, or the
    credential's expiry when that comes first (the QR stops verifying then)."""
    expiry = _local_day(row.expires_at)
    own = _as_date(claims.get("valid_until"))
    return min(expiry, own) if own is not None else expiry


def _in_order(result: wallet.Verification | None) -> dict[str, Any]:
    """The disclosed fields in the document's fixed order (the holder's name, birth date,
    sex and ID number, then the document's own), not the presentation's shuffled one."""
    if result is None or not result.claims:
        return {}
    known = [t for t in DOCUMENT_TYPES.values() if t.vct == result.vct]
    order = [*HOLDER_CLAIMS, *(known[0].claims if known else ())]
    return {n: result.claims[n] for n in sorted(result.claims, key=_rank(order))}


def _verify_page(  # type: ignore[no-untyped-def]
    request: Request,
    presentation: str,
    result: wallet.Verification | None,
    *,
    expired: NotFound | None = None,
    via_link: bool = False,
    status_code: int = 200,
):
    context = {
        "presentation": presentation,
        "expired": expired,
        "via_link": via_link,
        "result": result,
        "claims": _in_order(result),
        "date_claims": _date_claims(_in_order(result)),
        "labels": CLAIM_LABELS,
        # People see the document's title and whether this system issued it, not URNs.
        "document_title": title_of(result.vct) if result else None,
        "issued_here": bool(result and result.issuer == wallet.issuer()),
    }
    return page(request, "verify.html", context, status_code=status_code)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(request: Request, db: DbSession, p: str | None = None) -> HTMLResponse:
    result = None
    if p:
        result = await run_in_threadpool(wallet.verify_presentation, db, p.strip())
    return _verify_page(request, p or "", result)


@router.get("/v/{token}", response_class=HTMLResponse)
def verify_link(request: Request, token: Code, db: DbSession) -> HTMLResponse:
    """A wallet QR code's short link: the presentation it stands for, verified (the fetch
    is in the holder's access log); an expired or unknown link says so."""
    try:
        presentation = links.fetch(db, token)
    except NotFound as exc:
        return _verify_page(request, "", None, expired=exc, status_code=404)
    return _verify_page(request, "", wallet.verify_presentation(db, presentation), via_link=True)


@router.post("/verify", response_class=HTMLResponse)
async def verify_submit(
    request: Request, db: DbSession, presentation: Annotated[str, Form(max_length=65536)] = ""
) -> HTMLResponse:
    """Verifying changes nothing, so this form needs no CSRF token."""
    text = presentation.strip()
    token = links.token_of(text, _base(request))
    if token is not None:  # a pasted short link from a QR code
        try:
            text = await run_in_threadpool(links.fetch, db, token)
        except NotFound as exc:
            return _verify_page(request, presentation, None, expired=exc, status_code=404)
    elif text.startswith(("http://", "https://")) and "p=" in text:  # a pasted long link
        text = (parse_qs(urlsplit(text).query).get("p") or [""])[0]
    result = await run_in_threadpool(wallet.verify_presentation, db, text) if text else None
    return _verify_page(request, "" if token else text, result, via_link=token is not None)
