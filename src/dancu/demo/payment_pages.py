"""The simulated payment gateway of development: a page that "pays" a dossier's fee.

Mounted by the app factory only with the development sign-in (``DANCU_DEV_LOGIN``, which
production refuses). "Pay" signs a confirmation with the simulated gateway's secret, exactly
as a real gateway would, and hands it to the same service the gateways' call-back uses
(``procedures.payment.service.confirm_for_dossier``), which checks the signature, the
amount and the dossier; then the browser goes back to the dossier.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dancu.common.bounds import Code, Id
from dancu.common.errors import DancuError
from dancu.db import utcnow
from dancu.procedures.payment import gateway, service
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession
from dancu.web.redirects import local_path
from dancu.web.templating import render

router = APIRouter(tags=["payment"], include_in_schema=False)
PAGE = "payment_gateway.html"


@router.get(gateway.SIMULATED_CHECKOUT, response_class=HTMLResponse)
def checkout(
    request: Request, dossier: Code = "", amount: Id = 1, return_to: Code = "/"
) -> HTMLResponse:
    """The gateway's checkout: what is paid, for which dossier, and a button."""
    back = local_path(return_to, "/")
    return render(request, PAGE, {"dossier": dossier, "amount": amount, "return_to": back})


@router.post(gateway.SIMULATED_CHECKOUT, response_model=None)
def pay(
    request: Request,
    db: DbSession,
    _csrf: CsrfChecked,
    dossier: Annotated[Code, Form()],
    amount: Annotated[Id, Form()],
    return_to: Annotated[Code, Form()] = "/",
) -> Response:
    """Sign the confirmation as the gateway and post it to the dossier's payment service."""
    return_to = local_path(return_to, f"/my-dossiers/{dossier}")
    sim = gateway.simulated()
    confirmation = gateway.Confirmation(
        sim.name, f"SIM-{secrets.token_hex(8)}", dossier, amount, utcnow()
    )
    body, signature = sim.sign(confirmation)
    try:
        service.confirm_for_dossier(db, sim, dossier, body, signature)
    except DancuError as exc:
        db.rollback()
        context = {"dossier": dossier, "amount": amount, "return_to": return_to, "error": exc}
        return render(request, PAGE, context, status_code=exc.status_code)
    return RedirectResponse(return_to, status_code=303)
