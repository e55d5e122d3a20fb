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


def test_the_reader_is_off_without_the_development_sign_in(session, monkeypatch):
    c = citizen(session, "Hoàng Văn Nam")
    issue_card(session, c)
    monkeypatch.setattr(chip_demo, "get_settings", lambda: type("S", (), {"dev_login": False}))
    with pytest.raises(Forbidden) as err:
        chip_demo.read_demo_card(session, c.pid, actor=police(c.commune_code))
    assert err.value.code == "chip.demo_off"


def test_without_the_development_sign_in_no_demo_part_is_mounted():
    from fastapi.testclient import TestClient

    from dancu.app import create_app
    from dancu.settings import get_settings

    app = create_app(get_settings().model_copy(update={"dev_login": False}))
    assert getattr(app.state, "card_reader", None) is None
    with TestClient(app) as plain:
        assert plain.get("/desk/demo-chip/066090001234").status_code == 404
        assert plain.post("/wallet/demo-documents").status_code == 405  # only GET /wallet/{id}
        assert plain.get("/dev/login").status_code == 404
        assert plain.get("/dev/messages").status_code == 404
    with_demo = create_app(get_settings().model_copy(update={"dev_login": True}))
    assert with_demo.state.card_reader is chip_demo.read_demo_card
    with TestClient(with_demo) as demo:
        answer = demo.get("/desk/demo-chip/066090001234", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (
            303,
            "/login?next=%2Fdesk%2Fdemo-chip%2F066090001234",
        )


def test_the_sample_portal_refuses_a_level_other_than_1_or_2():
    """Levels 1 and 2 go on to the provider (tests/e2e/test_relying_party.py: a query
    string's "1" once failed a ``Literal[1, 2]``); anything else is a 422."""
    from fastapi.testclient import TestClient

    from dancu.app import create_app

    with TestClient(create_app()) as client:
        for level in ("0", "3", "x"):
            answer = client.get(f"/demo-rp/login?level={level}", follow_redirects=False)
            assert answer.status_code == 422, level
