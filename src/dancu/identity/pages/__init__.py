"""Identity pages: register, sign in, step-up, sign out (and RP-initiated logout), recovery,
my account, the level-2 desk, and the development message sink. Vietnamese by default,
English on request."""

from __future__ import annotations

from fastapi import APIRouter

from dancu.identity.pages import account, desk, dev, logout, recovery, register
from dancu.identity.pages import signin as login

router = APIRouter(include_in_schema=False)
for _module in (register, login, logout, recovery, account, desk, dev):
    router.include_router(_module.router)
