"""A hospital's check-in against the dancu exchange door, as an integrator would write it.

Standard pieces only: Authlib's OAuth 2 client (client credentials, authenticated with
``private_key_jwt``, RFC 7523) and DPoP proofs (RFC 9449) signed with joserfc, since
Authlib has no DPoP yet. The access token is bound to the DPoP key, so a stolen token is
useless without it, and every request carries a fresh proof (a replayed one is refused).

    python checkin_client.py --server https://dancu.example.vn --client-id bv-dak-lak-1a2b3c4d \
        --key hospital-key.json --pid 066190000123

``hospital-key.json`` is the hospital's private key as a JWK; its public half was
registered with ``dancu exchange partner credential bv-dak-lak --jwks public.json``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import sys
import time
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey


def dpop_proof(key: ECKey, method: str, url: str, access_token: str | None = None) -> str:
    """A DPoP proof for one request (and, at the resource, for one access token)."""
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method,
        "htu": url,
        "iat": int(time.time()),
    }
    if access_token is not None:
        digest = hashlib.sha256(access_token.encode()).digest()
        claims["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}
    return jwt.encode(header, claims, key)


def fetch_token(server: str, client_id: str, private_jwk: dict[str, Any], dpop: ECKey) -> str:
    """A client-credentials access token bound to ``dpop`` (scope ``exchange.use``)."""
    config = httpx.get(f"{server}/.well-known/openid-configuration", timeout=10).json()
    token_url = config["token_endpoint"]
    with OAuth2Client(
        client_id,
        ECKey.import_key(private_jwk),  # type: ignore[arg-type]
        token_endpoint_auth_method=PrivateKeyJWT(token_url, alg="ES256"),
        scope="exchange.use",
    ) as client:
        token = client.fetch_token(
            token_url,
            grant_type="client_credentials",
            headers={"DPoP": dpop_proof(dpop, "POST", token_url)},
        )
    return str(token["access_token"])


def check_in(server: str, client_id: str, private_jwk: dict[str, Any], pid: str) -> dict[str, Any]:
    """Who the patient with this ID number is, and whether their insurance card is valid
    at our facility (nothing more: the exchange releases our purpose's fields only)."""
    dpop = ECKey.generate_key("P-256")
    access_token = fetch_token(server, client_id, private_jwk, dpop)
    url = f"{server}/api/exchange/checkin"
    response = httpx.post(
        url,
        json={"pid": pid},
        headers={
            "Authorization": f"DPoP {access_token}",
            "DPoP": dpop_proof(dpop, "POST", url, access_token),
        },
        timeout=10,
    )
    if response.status_code != 200:
        error = response.json()
        code, message = error.get("code"), error.get("message")
        raise SystemExit(f"refused ({response.status_code} {code}): {message}")
    return dict(response.json())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--key", required=True, help="the private JWK (JSON file)")
    parser.add_argument("--pid", required=True, help="the patient's ID number")
    args = parser.parse_args(argv)
    with open(args.key, encoding="utf-8") as f:
        private_jwk = json.load(f)
    answer = check_in(args.server.rstrip("/"), args.client_id, private_jwk, args.pid)
    json.dump(answer, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
