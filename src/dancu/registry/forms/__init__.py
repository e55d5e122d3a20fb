"""Registry forms for officers: the events the API records (birth, death, marriage,
divorce, change of permanent residence, ID-card application), each on its own page that
calls the same service function as the API, so its refusals are the API's, in the reader's
language, on the form with what was typed kept. The registration page lists them."""

from __future__ import annotations

from fastapi import APIRouter

from dancu.registry.forms import birth, card, couple, death, hub, residence

router = APIRouter()
for module in (hub, birth, death, couple, residence, card):
    router.include_router(module.router)
