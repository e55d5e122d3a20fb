"""Registry pages for officers, under /registry: search and the citizen's record
(``records``), and the forms for the events the API records (birth, death, marriage,
divorce, change of permanent residence, ID-card application), each on its own page that
calls the same service function as the API, so its refusals are the API's, in the reader's
language, on the form with what was typed kept; ``hub`` is the page that lists them."""

from __future__ import annotations

from fastapi import APIRouter

from dancu.registry.pages import birth, card, couple, death, hub, records, residence

router = APIRouter(prefix="/registry", include_in_schema=False)
for module in (records, hub, birth, death, couple, residence, card):
    router.include_router(module.router)
