"""The JSON APIs take the provider's access tokens: partners (client credentials) and
officers (code flow), and the attacks they must refuse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import ECKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dancu.app import create_app
from dancu.common.access import SYSTEM_ACTOR, Role
from dancu.common.audit import AuditEntry
from dancu.common.errors import NotFound, ValidationFailed
from dancu.db import utcnow
from dancu.db.uow import unit_of_work
from dancu.identity.accounts import officers
from dancu.identity.oidc import bearer as api_tokens
from dancu.identity.oidc import partners
from dancu.identity.oidc.models import OidcClient, OidcToken
from dancu.registry.models import Citizen
from dancu.settings import Settings, get_settings
from dancu.web import deps
from dancu.web.auth import issue_token
from tests.conftest import COMMUNE, OTHER_PROVINCE_COMMUNE, make_actor
from tests.identity import helpers
from tests.identity.oidc_helpers import (
    ISSUER,
    RP,
    authorize,
    consent,
    dpop_proof,
    exchange,
    query,
    register,
)

READ = {"X-Purpose": "verification"}
STRONG = "a-production-secret-of-more-than-32-characters"


@pytest.fixture
def subject(session: Session) -> Citizen:
    return helpers.citizen(session, "Lê Thị Cúc", sex="F")


def partner_client(
    session: Session,
    client_id: str = "hospital",
    *,
    roles: tuple[str, ...] | None = ("procedure_officer",),
    units: tuple[str, ...] = ("66",),
    purposes: tuple[str, ...] = ("verification",),
    scopes: tuple[str, ...] = ("registry.read",),
) -> RP:
    """A client_credentials client registered as the CLI does, bound to a partner."""
    rp = register(
        session,
        client_id,
        "client_secret_basic",
        redirect_uris=[],
        grant_types=["client_credentials"],
        scopes=list(scopes),
    )
    if roles is not None:
        partners.bind_partner(
            session,
            client_id,
            roles=roles,
            units=units,
            organization="Bệnh viện Đa khoa Tỉnh",
            purposes=purposes,
        )
    session.flush()
    return rp


def client_token(web: TestClient, rp: RP, scope: str = "registry.read", **headers: str) -> Any:
    response = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(rp.client_id, rp.secret),
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def audit_rows(session: Session) -> int:
    session.flush()
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def lookup(web: TestClient, pid: str, token: str, scheme: str = "Bearer", **headers: str) -> Any:
    auth = {"Authorization": f"{scheme} {token}"}
    return web.get(f"/api/registry/citizens/{pid}", headers={**READ, **auth, **headers})


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.json()


# --- the happy paths -----------------------------------------------------------------------


def test_partner_reads_the_registry_with_a_client_credentials_token(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)
    assert token["token_type"] == "Bearer" and token["scope"] == "registry.read"
    response = lookup(web, subject.pid, token["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["pid"] == subject.pid
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == subject.pid).order_by(AuditEntry.id)
    ).all()[-1]
    assert (entry.actor_id, entry.actor_name, entry.organization, entry.purpose) == (
        "client:hospital",
        "RP hospital",
        "Bệnh viện Đa khoa Tỉnh",
        "verification",
    )


def test_partner_units_bound_its_reads(web, session, subject):
    rp = partner_client(session, units=(OTHER_PROVINCE_COMMUNE,))
    response = lookup(web, subject.pid, client_token(web, rp)["access_token"])
    refused(response, 404, "citizen.not_found")  # outside its area: as if unknown (audited)


def test_officer_token_from_the_code_flow_acts_as_the_officer(web, session, subject):
    officer = helpers.active_account(session, helpers.citizen(session, "Phan Văn Cán"))
    officers.grant_role(session, officer, Role.REGISTRY_CLERK, COMMUNE, actor=SYSTEM_ACTOR)
    token = _officer_app_token(web, session, officer.id)
    response = lookup(web, subject.pid, token)
    assert response.status_code == 200, response.text
    actors = session.scalars(
        select(AuditEntry.actor_id).where(AuditEntry.subject_id == subject.pid)
    ).all()
    assert f"account:{officer.id}" in actors
    # the role is read on every request: revoking it ends the token's power at once
    grant = officers.live_roles(session, officer.id)[0]
    officers.revoke_role(session, grant.id, actor=SYSTEM_ACTOR)
    session.flush()
    refused(lookup(web, subject.pid, token), 403, "auth.no_role")


def test_dpop_bound_partner_token_works_with_its_key(web, session, subject):
    rp = partner_client(session)
    key = ECKey.generate_key("P-256", private=True)
    token = client_token(web, rp, DPoP=dpop_proof(key, "POST", f"{ISSUER}/oidc/token"))
    assert token["token_type"] == "DPoP"
    at = token["access_token"]
    url = f"{ISSUER}/api/registry/citizens/{subject.pid}"
    response = lookup(
        web, subject.pid, at, "DPoP", DPoP=dpop_proof(key, "GET", url, access_token=at)
    )
    assert response.status_code == 200, response.text


# --- attacks -------------------------------------------------------------------------------


def test_a_forged_token_is_refused_with_a_challenge(web, session, subject):
    before = audit_rows(session)
    response = lookup(web, subject.pid, "forged-token-that-was-never-issued-by-us-at-all")
    refused(response, 401, "auth.invalid_token")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert audit_rows(session) == before


def test_an_expired_token_is_refused(web, session, subject):
    token = client_token(web, partner_client(session))["access_token"]
    session.execute(update(OidcToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.flush()
    response = lookup(web, subject.pid, token)
    refused(response, 401, "auth.invalid_token")
    assert "invalid_token" in response.headers["www-authenticate"]


def test_a_revoked_token_is_refused(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)["access_token"]
    assert lookup(web, subject.pid, token).status_code == 200
    revoked = web.post("/oidc/revoke", data={"token": token}, auth=(rp.client_id, rp.secret))
    assert revoked.status_code == 200
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_a_deactivated_client_s_tokens_are_refused(web, session, subject):
    token = client_token(web, partner_client(session))["access_token"]
    session.execute(update(OidcClient).values(active=False))
    session.flush()
    refused(lookup(web, subject.pid, token), 401, "auth.invalid_token")


def test_another_client_s_dpop_token_with_the_wrong_key_is_refused(web, session, subject):
    bank = partner_client(session, "bank")
    key = ECKey.generate_key("P-256", private=True)
    at = client_token(web, bank, DPoP=dpop_proof(key, "POST", f"{ISSUER}/oidc/token"))[
        "access_token"
    ]
    url = f"{ISSUER}/api/registry/citizens/{subject.pid}"
    thief = ECKey.generate_key("P-256", private=True)
    before = audit_rows(session)
    stolen = lookup(
        web, subject.pid, at, "DPoP", DPoP=dpop_proof(thief, "GET", url, access_token=at)
    )
    refused(stolen, 401, "auth.invalid_token")
    assert stolen.headers["www-authenticate"].startswith("DPoP ")
    refused(lookup(web, subject.pid, at), 401, "auth.invalid_token")  # as a plain bearer
    # a proof made for another request (the token endpoint) does not do either
    other = dpop_proof(key, "GET", f"{ISSUER}/oidc/userinfo", access_token=at)
    refused(lookup(web, subject.pid, at, "DPoP", DPoP=other), 401, "auth.invalid_token")
    assert audit_rows(session) == before


def test_two_dpop_headers_are_refused(web, session, subject):
    bank = partner_client(session, "bank")
    key = ECKey.generate_key("P-256", private=True)
    at = client_token(web, bank, DPoP=dpop_proof(key, "POST", f"{ISSUER}/oidc/token"))[
        "access_token"
    ]
    url = f"{ISSUER}/api/registry/citizens/{subject.pid}"
    headers = [(k, v) for k, v in READ.items()] + [("Authorization", f"DPoP {at}")]
    proofs = [("DPoP", dpop_proof(key, "GET", url, access_token=at)) for _ in range(2)]
    before = audit_rows(session)
    response = web.get(f"/api/registry/citizens/{subject.pid}", headers=headers + proofs)
    refused(response, 401, "auth.invalid_token")  # RFC 9449 4.3: not the first one's
    assert 'error="invalid_dpop_proof"' in response.headers["www-authenticate"]
    assert audit_rows(session) == before
    one = [("DPoP", dpop_proof(key, "GET", url, access_token=at))]
    assert web.get(f"/api/registry/citizens/{subject.pid}", headers=headers + one).is_success
    # the token endpoint refuses two proofs as well
    token_proofs = [("DPoP", dpop_proof(key, "POST", f"{ISSUER}/oidc/token")) for _ in range(2)]
    response = web.post(
        "/oidc/token",
        data={"grant_type": "client_credentials", "scope": "registry.read"},
        auth=(bank.client_id, bank.secret),
        headers=token_proofs,
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"


def test_a_level1_citizen_s_token_cannot_call_an_officer_api(web, session, subject):
    citizen = helpers.active_account(session, helpers.citizen(session, "Hồ Văn Dân"))
    assert citizen.level == 1
    token = _officer_app_token(web, session, citizen.id)
    before = audit_rows(session)
    response = lookup(web, subject.pid, token)
    refused(response, 403, "auth.no_role")
    assert audit_rows(session) == before


def test_a_client_credentials_token_without_a_partner_role_is_forbidden(web, session, subject):
    rp = partner_client(session, roles=None)
    response = lookup(web, subject.pid, client_token(web, rp)["access_token"])
    refused(response, 403, "auth.no_role")
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


def test_a_stored_role_that_no_longer_exists_is_skipped(web, session, subject):
    rp = partner_client(session)
    token = client_token(web, rp)["access_token"]
    partner = partners.partner_of(session, "hospital")
    partner.roles = ["retired_role", "procedure_officer"]
    session.flush()
    assert lookup(web, subject.pid, token).status_code == 200  # the known role still acts
    partner.roles = ["retired_role"]
    session.flush()
    refused(lookup(web, subject.pid, token), 403, "auth.no_role")  # not a 500


def test_a_token_without_the_api_s_scope_is_forbidden(web, session, subject):
    rp = partner_client(session, scopes=("registry.read", "linkage.read"))
    linkage_only = client_token(web, rp, scope="linkage.read")["access_token"]
    response = lookup(web, subject.pid, linkage_only)
    refused(response, 403, "auth.insufficient_scope")
    assert 'scope="registry.read"' in response.headers["www-authenticate"]
    # registry.read does not allow writes
    reader = client_token(web, rp, scope="registry.read")["access_token"]
    before = audit_rows(session)
    death = web.post(
        "/api/registry/events/death",
        headers={"Authorization": f"Bearer {reader}"},
        json={"pid": subject.pid, "death_date": "2026-01-01"},
    )
    refused(death, 403, "auth.insufficient_scope")
    assert session.get(Citizen, subject.id).status == "alive"  # type: ignore[union-attr]
    assert audit_rows(session) == before


def test_a_partner_reads_only_for_its_bound_purposes(web, session, subject):
    token = client_token(web, partner_client(session))["access_token"]
    before = audit_rows(session)
    response = lookup(web, subject.pid, token, **{"X-Purpose": "inspection"})
    refused(response, 403, "auth.purpose_not_allowed")
    sneaky = web.get(
        f"/api/registry/citizens/{subject.pid}?purpose=inspection",
        headers={"Authorization": f"Bearer {token}"},
    )
    refused(sneaky, 403, "auth.purpose_not_allowed")
    assert audit_rows(session) == before


def test_an_access_token_is_refused_on_a_route_without_a_declared_scope(web, session):
    token = client_token(web, partner_client(session))["access_token"]
    page = web.get(
        "/registry/search",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    refused(page, 403, "auth.insufficient_scope")


# --- development tokens --------------------------------------------------------------------


def _app_with(factory, settings: Settings) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(settings)

    def test_session() -> Iterator[Session]:
        with unit_of_work(factory) as s:
            yield s

    app.dependency_overrides[deps.db_session] = test_session
    return TestClient(app)


def test_dev_tokens_work_only_with_dev_login(factory, session, subject):
    clerk = make_actor(Role.REGISTRY_CLERK)
    dev_token = issue_token(clerk)
    on = _app_with(factory, get_settings().model_copy(update={"dev_login": True}))
    assert lookup(on, subject.pid, dev_token).status_code == 200
    off = _app_with(factory, get_settings().model_copy(update={"dev_login": False}))
    refused(lookup(off, subject.pid, dev_token), 401, "auth.invalid_token")


def test_production_refuses_a_dev_token_signed_with_its_own_secret(factory, session, subject):
    production = Settings(
        env="production", secret_key=STRONG, dev_login=False, public_url="http://testserver"
    )
    token = issue_token(make_actor(Role.SYSTEM, units=()), secret_key=STRONG)
    before = audit_rows(session)
    refused(lookup(_app_with(factory, production), subject.pid, token), 401, "auth.invalid_token")
    assert audit_rows(session) == before


def test_a_dev_token_signed_with_another_secret_is_refused_even_in_development(
    factory, session, subject
):
    token = issue_token(make_actor(Role.SYSTEM, units=()), secret_key="x" * 40)
    dev = _app_with(factory, get_settings().model_copy(update={"dev_login": True}))
    refused(lookup(dev, subject.pid, token), 401, "auth.invalid_token")


def test_no_credentials_get_a_bearer_challenge(web, subject):
    response = web.get(f"/api/registry/citizens/{subject.pid}", headers=READ)
    refused(response, 401, "auth.required")
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- binding a partner ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"roles": []}, "api.partner_role"),
        ({"roles": ["system"]}, "api.partner_role"),
        ({"roles": ["wizard"]}, "api.partner_role"),
        ({"units": ["99999"]}, "api.partner_unit"),
        ({"units": []}, "api.partner_unit"),  # a forgotten unit is not nationwide
        ({"nationwide": True}, "api.partner_unit"),  # nationwide and units: ambiguous
        ({"organization": " "}, "api.partner_organization"),
        ({"purposes": []}, "api.partner_purpose"),
        ({"purposes": ["curiosity"]}, "api.partner_purpose"),
    ],
)
def test_binding_rules_name_the_field(session, options, code):
    partner_client(session, roles=None)
    values: dict[str, Any] = {
        "roles": ["procedure_officer"],
        "units": ["66"],
        "organization": "Bệnh viện",
        "purposes": ["verification"],
    }
    with pytest.raises(ValidationFailed) as caught:
        partners.bind_partner(session, "hospital", **{**values, **options})
    assert caught.value.code == code
    assert partners.partner_of(session, "hospital") is None


def test_a_missing_unit_is_refused_and_nationwide_is_explicit(session):
    partner_client(session, roles=None)
    values: dict[str, Any] = {
        "roles": ["procedure_officer"],
        "organization": "Bệnh viện",
        "purposes": ["verification"],
    }
    with pytest.raises(ValidationFailed) as caught:
        partners.bind_partner(session, "hospital", **values)
    assert caught.value.field == "units" and "--partner-unit" in caught.value.message
    assert "nationwide" in caught.value.message
    assert partners.partner_of(session, "hospital") is None
    row = partners.bind_partner(session, "hospital", nationwide=True, **values)
    assert row.units == [] and partners.describe(row)["units"] == ["*"]


def test_only_client_credentials_clients_act_as_partners(session):
    register(session, "portal", "client_secret_basic")
    with pytest.raises(ValidationFailed) as caught:
        partners.bind_partner(
            session,
            "portal",
            roles=["procedure_officer"],
            units=["66"],
            organization="X",
            purposes=["verification"],
        )
    assert caught.value.code == "api.partner_grant"
    with pytest.raises(NotFound):
        partners.bind_partner(
            session,
            "nobody",
            roles=["procedure_officer"],
            units=["66"],
            organization="X",
            purposes=["verification"],
        )


# --- helpers -------------------------------------------------------------------------------


def _officer_app_token(web: TestClient, session: Session, account_id: int) -> str:
    """An officer app (code flow, registry.read) and a token for the signed-in account."""
    app_rp = register(
        session, "officer-app", "client_secret_basic", scopes=["openid", "registry.read"]
    )
    assert web.post(f"/_test/login/{account_id}").status_code == 200
    response, verifier = authorize(web, app_rp, scope="openid registry.read")
    if response.status_code == 200:
        response = consent(web, response)
    code = query(response.headers["location"])["code"]
    tokens = exchange(web, app_rp, code, verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "openid registry.read"
    return tokens.json()["access_token"]


def test_clients_may_be_given_exactly_the_api_scopes():
    from dancu.identity.oidc import clients as oidc_clients

    assert set(oidc_clients.PARTNER_SCOPES) == set(api_tokens.API_SCOPES)
