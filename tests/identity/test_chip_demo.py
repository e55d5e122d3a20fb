"""The demo card reader: a police officer downloads a demo citizen's chip bundle, and the
level-2 desk's check (helper A2's ``desk.check_chip``) accepts it against the demo CSCA."""

from __future__ import annotations

import pytest

from dancu.common.access import Role
from dancu.common.errors import Forbidden
from dancu.demo import chip_reader as chip_demo
from dancu.identity.chip.pki import TrustList
from dancu.identity.chip.reader import ChipBundle
from dancu.identity.chip.verify import verify_chip
from tests.conftest import bearer, make_actor
from tests.identity.helpers import citizen, issue_card, mrz, police


@pytest.fixture(autouse=True)
def demo_dirs(tmp_path, monkeypatch):
    monkeypatch.setattr(chip_demo, "trust_dir", lambda: tmp_path / "csca")
    return tmp_path


def test_the_police_reads_a_demo_card_that_verifies(session, client, demo_dirs):
    c = citizen(session, "Hoàng Thị Mai")
    card = issue_card(session, c)
    session.commit()
    answer = client.get(f"/desk/demo-chip/{c.pid}", headers=bearer(police(c.commune_code)))
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    bundle = ChipBundle.from_json(answer.text)
    assert bundle.mrz == mrz(c, card)  # what the officer reads off the printed card
    trust = TrustList.from_dir(demo_dirs / "csca")
    assert len(trust.cscas) == 1
    assert not list((demo_dirs / "csca").glob("*key*"))
    result = verify_chip(bundle.sod, bundle.data_groups, trust, printed_mrz=mrz(c, card))
    assert result.valid, result


def test_only_the_police_reads_cards_and_only_issued_ones(session, client):
    c = citizen(session, "Hoàng Văn Bắc")
    session.commit()
    url = f"/desk/demo-chip/{c.pid}"
    anonymous = client.get(url, headers={"accept": "application/json"})
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "auth.required")
    clerk = make_actor(Role.REGISTRY_CLERK)
    as_json = {"accept": "application/json"}
    denied = client.get(url, headers={**bearer(clerk), **as_json})
    assert (denied.status_code, denied.json()["code"]) == (403, "chip.forbidden")
    no_card = client.get(url, headers={**bearer(police(c.commune_code)), **as_json})
    assert (no_card.status_code, no_card.json()["code"]) == (404, "chip.no_card")


def test_the_reader_is_off_in_production(session, monkeypatch):
    c = citizen(session, "Hoàng Văn Nam")
    issue_card(session, c)
    monkeypatch.setattr(chip_demo, "get_settings", lambda: type("S", (), {"env": "production"}))
    with pytest.raises(Forbidden) as err:
        chip_demo.read_demo_card(session, c.pid, actor=police(c.commune_code))
    assert err.value.code == "chip.demo_off"
