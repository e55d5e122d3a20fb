"""Every rate says the area it covers, and counts its numerator and denominator over that
area: two communes of one province, an officer of each commune and one of the province."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dancu.common import adminunits
from dancu.linkage import service
from dancu.linkage.models import MatchResult
from tests.conftest import bearer
from tests.linkage import world as wd

SYNCED = ("synced", "synced_with_differences")


def counted(factory: sessionmaker[Session], source_id: int, commune: str | None) -> tuple[int, int]:
    """(synced, records) of a dataset, in one commune or in all, straight from the results."""
    where = [MatchResult.source_id == source_id]
    if commune is not None:
        where.append(MatchResult.commune_code == commune)
    with factory() as session:
        total = session.scalar(select(func.count()).where(*where)) or 0
        synced = session.scalar(select(func.count()).where(*where, MatchResult.outcome.in_(SYNCED)))
    return synced or 0, total


def row_of(html: str) -> tuple[str, str, str]:
    """(area, records in the area, rate text) of the one dataset on the datasets page."""
    found = [
        re.search(rf'data-testid="{t}">(.*?)</td>', html, re.S)
        for t in ("source-scope", "source-records", "source-rate")
    ]
    assert all(found), html
    return tuple(re.sub(r"<[^>]+>", "", f.group(1)).strip() for f in found)  # type: ignore[return-value, union-attr]


def test_each_officer_sees_the_rate_of_their_own_area(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    _, source_id = linked
    for actor, commune in (
        (wd.commune_clerk(wd.COMMUNE_A), wd.COMMUNE_A),
        (wd.commune_clerk(wd.COMMUNE_B), wd.COMMUNE_B),
        (wd.clerk(), None),
    ):
        synced, records = counted(factory, source_id, commune)
        area, shown_records, rate = row_of(client.get("/linkage", headers=bearer(actor)).text)
        name = adminunits.commune(commune).name if commune else adminunits.province("66").name
        assert area == name
        assert shown_records == str(records) and rate.endswith(f"({synced}/{records})")
        report = client.get(f"/linkage/sources/{source_id}", headers=bearer(actor)).text
        assert f'data-scope="{name}"' in report and f"({synced}/{records})" in report
    assert service.scope_name(wd.commune_clerk(wd.COMMUNE_A), "66") == "Phường Tân Lập"
