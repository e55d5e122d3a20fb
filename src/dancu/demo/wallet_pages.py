"""The wallet page's demo button: synthetic documents for the signed-in level-2 holder.

Mounted by the app factory only with the development sign-in (``DANCU_DEV_LOGIN``, which
the settings refuse in production): in production, documents come from the agencies that
issue them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from dancu.demo.wallet_documents import issue_demo_documents_to_holder
from dancu.identity.pages.common import signed_in
from dancu.web.csrf import CsrfChecked
from dancu.web.deps import DbSession

router = APIRouter(tags=["wallet"], include_in_schema=False)


@router.post("/wallet/demo-documents")
def wallet_demo_documents(request: Request, db: DbSession, _csrf: CsrfChecked) -> RedirectResponse:
    """Issue the demo documents the holder does not hold yet, back to the wallet."""
    login = signed_in(request, db)
    issue_demo_documents_to_holder(db, login.account_id, login.account_level)
    return RedirectResponse("/wallet", status_code=303)
