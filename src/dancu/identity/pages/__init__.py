"""Identity pages: register, sign in, step-up, sign out (and RP-initiated logout), recovery,
my account, the level-2 desk. Vietnamese by default, English on request. (The development
message sink is a demo page: ``dancu.demo.message_pages``.)"""

from __future__ import annotations

from fastapi import APIRouter

from dancu.identity.pages import account, desk, logout, recovery, register, signin

router = APIRouter(include_in_schema=False)
for _module in (register, signin, logout, recovery, account, desk):
    router.include_router(_module.router)
