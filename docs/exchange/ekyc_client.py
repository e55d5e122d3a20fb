"""A bank's eKYC with the chip ID card against the dancu exchange, as an integrator would
write it.

Standard pieces only: Authlib's OAuth 2 client (client credentials, authenticated with
``private_key_jwt``, RFC 7523), DPoP proofs (RFC 9449) signed with joserfc (Authlib has no
DPoP yet), and the platform's signed result checked with joserfc against the published
JWK Set. The bank's app reads the chip (NFC) and hands over EF.SOD and DG1/DG2; here they
come from a JSON file in the card reader's format: ``{"sod": b64, "dg": {"1": b64, "2": b64}}``.

    python ekyc_client.py --server https://dancu.example.vn --client-id nh-abc-1a2b3c4d \
        --key bank-key.json --chip chip.json --pid 066190000123 \
        --attribute full_name --attribute birth_date

``bank-key.json`` is the bank's private key as a JWK; its public half was registered with
``dancu exchange partner credential <code> --jwks public.json``. Prints the verified
result's payload; exits 1 with the stable error code when the chip is refused.
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
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet


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


def verify_signed_result(server: str, token: str) -> dict[str, Any]:
    """The result's payload, once its signature checks with the platform's published keys."""
    keys = KeySet.import_key_set(httpx.get(f"{server}/exchange/ekyc/jwks", timeout=10).json())
    obj = jws.deserialize_compact(token, keys, algorithms=["ES256", "RS256"])
    return dict(json.loads(obj.payload))


def ekyc(
    server: str,
    client_id: str,
    private_jwk: dict[str, Any],
    chip: dict[str, Any],
    pid: str,
    attributes: list[str],
) -> dict[str, Any]:
    """Verify the customer's chip; the signed, verified result."""
    dpop = ECKey.generate_key("P-256")
    access_token = fetch_token(server, client_id, private_jwk, dpop)
    url = f"{server}/api/exchange/ekyc/verify"
    body = {
        "sod": chip["sod"],
        "dg1": chip["dg"]["1"],
        "dg2": chip["dg"]["2"],
        "claimed": {"pid": pid},
        "attributes": attributes,
    }
    response = httpx.post(
        url,
        json=body,
        headers={
            "Authorization": f"DPoP {access_token}",
            "DPoP": dpop_proof(dpop, "POST", url, access_token),
        },
        timeout=20,
    )
    if response.status_code != 200:
        error = response.json()
        print(
            f"refused ({response.status_code} {error.get('code')}): {error.get('message')}",
            file=sys.stderr,
        )
        raise SystemExit(1)
    return verify_signed_result(server, response.json()["jws"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--key", required=True, help="the bank's private JWK (JSON file)")
    parser.add_argument("--chip", required=True, help="EF.SOD and data groups (JSON file)")
    parser.add_argument("--pid", required=True, help="the ID number the customer claims")
    parser.add_argument(
        "--attribute",
        action="append",
        default=[],
        help="an attribute the customer agreed to share (repeatable)",
    )
    args = parser.parse_args(argv)
    with open(args.key, encoding="utf-8") as f:
        private_jwk = json.load(f)
    with open(args.chip, encoding="utf-8") as f:
        chip = json.load(f)
    result = ekyc(
        args.server.rstrip("/"), args.client_id, private_jwk, chip, args.pid, args.attribute
    )
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
