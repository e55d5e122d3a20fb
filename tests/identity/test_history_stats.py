"""Usage history retention and the per-area statistics."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dancu.identity.accounts import history, statistics
from dancu.identity.accounts import service as accounts
from tests.identity.helpers import active_account, citizen, level2_account, registration

OTHER_COMMUNE = "22015"  # Phường Tuy Hòa, Đắk Lắk


def test_history_older_than_five_years_is_purged(session: Session) -> None:
    account = active_account(session, citizen(session))
    now = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    history.add(session, account.id, "login", at=datetime(2026, 5, 31, 23, 0, tzinfo=UTC))
    history.add(session, account.id, "consent", at=datetime(2026, 6, 1, 13, 0, tzinfo=UTC))
    before = [e.kind for e in history.list_for(session, account.id)]
    assert before[-2:] == ["consent", "login"]  # the oldest two
    assert history.purge_history(session, now=now) == 1  # only the 2026-05-31 login
    after = [e.kind for e in history.list_for(session, account.id)]
    assert after == before[:-1]


def test_retention_cutoff_is_five_calendar_years() -> None:
    now = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    assert history.retention_cutoff(now) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert history.retention_cutoff(leap) == datetime(2023, 2, 28, tzinfo=UTC)


def test_statistics_per_commune_and_province(session: Session) -> None:
    a = citizen(session, "Nguyễn Văn An")
    b = citizen(session, "Lê Thị Bích", sex="F")
    c = citizen(session, "Hồ Văn Cường", commune_code=OTHER_COMMUNE)
    d = citizen(session, "Mai Thị Dung", sex="F", commune_code=OTHER_COMMUNE)
    active_account(session, a)
    level2_account(session, b)
    active_account(session, c)
    accounts.register(session, registration(d))  # pending: registered, not activated
    accounts.close_for_death(session, a.pid)
    rows = {
        r.commune_code: (r.registered, r.level1, r.level2, r.closed)
        for r in statistics.accounts_by_area(session, province_code="66")
    }
    assert rows == {"24121": (2, 0, 1, 1), OTHER_COMMUNE: (2, 1, 0, 0)}
    (province,) = statistics.accounts_by_area(session, by="province", province_code="66")
    assert (province.commune_code, province.registered, province.level1, province.level2) == (
        None,
        4,
        1,
        1,
    )
    assert statistics.accounts_by_area(session, province_code="01") == []
