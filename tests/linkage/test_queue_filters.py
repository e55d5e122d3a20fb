"""The cleaning queue's outcome and probability-band filters (issue 10, "The queue as a
work tool"): in the query, so totals and pages follow; carried by the page's forms; an
unknown filter refused naming the field."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dancu.common.errors import ValidationFailed
from dancu.linkage import cleaning
from dancu.linkage.models import MatchResult, SectorRecord
from tests.conftest import bearer
from tests.linkage import world as wd


def propose(session: Session, source_id: int, line: int, pid: str, probability: float) -> None:
    """Make the line's result a probable match of ``pid`` at ``probability``."""
    record = session.scalars(
        select(SectorRecord).where(SectorRecord.source_id == source_id, SectorRecord.line == line)
    ).one()
    result = session.scalars(select(MatchResult).where(MatchResult.record_id == record.id)).one()
    result.outcome, result.citizen_pid, result.probability = "probable_match", pid, probability
    result.decided = False
    session.flush()


def lines(session: Session, **filters: str) -> list[tuple[int, str]]:
    page = cleaning.queue(session, actor=wd.clerk(), **filters)  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return [(i.line, i.outcome) for i in page.items]


def test_the_outcome_and_band_filters_narrow_the_queue(factory, linked) -> None:  # type: ignore[no-untyped-def]
    w, source_id = linked
    with factory() as session:
        propose(session, source_id, 7, w.pid(5), 0.72)
        everything = lines(session)
        assert (7, "probable_match") in everything and len(everything) == 3

        assert lines(session, outcome="probable_match") == [(7, "probable_match")]
        assert lines(session, outcome="synced_with_differences") == [
            i for i in everything if i[1] == "synced_with_differences"
        ]
        assert lines(session, band="medium") == [(7, "probable_match")]  # 65 % to under 80 %
        assert lines(session, band="low") == []
        # differing fields are certain matches: the high band
        assert lines(session, band="high") == [
            i for i in everything if i[1] == "synced_with_differences"
        ]
        assert lines(session, outcome="probable_match", band="high") == []
        session.rollback()


@pytest.mark.parametrize(("name", "value"), [("outcome", "synced"), ("band", "very-high")])
def test_an_unknown_filter_is_refused_naming_it(factory, linked, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    with factory() as session, pytest.raises(ValidationFailed) as refused:
        cleaning.queue(session, actor=wd.clerk(), **{name: value})  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.field) == ("linkage.filter_invalid", name)


def test_the_page_offers_the_filters_and_its_forms_carry_them(client, factory, linked) -> None:  # type: ignore[no-untyped-def]
    officer = bearer(wd.clerk())
    html = client.get(
        "/linkage/queue?outcome=synced_with_differences&band=high", headers=officer
    ).text
    assert '<option value="synced_with_differences" selected>' in html
    assert '<option value="high" selected>' in html
    assert 'name="outcome" value="synced_with_differences"' in html  # every decision's form
    assert 'name="band" value="high"' in html
    assert client.get("/linkage/queue?band=nope", headers=officer).status_code == 422


def test_all_datasets_in_the_filter_form_is_no_filter_not_a_bad_number(client, linked) -> None:  # type: ignore[no-untyped-def]
    officer = bearer(wd.clerk())
    everything = client.get("/linkage/queue", headers=officer)
    chosen_all = client.get("/linkage/queue?source_id=&commune=&outcome=&band=", headers=officer)
    assert chosen_all.status_code == 200
    [total] = re.findall(r'data-total="(\d+)"', everything.text)
    assert int(total) > 0 and f'data-total="{total}"' in chosen_all.text
    assert client.get("/linkage/queue?source_id=abc", headers=officer).status_code == 422
