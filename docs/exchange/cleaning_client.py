"""A bank's customer-list cleaning against the dancu exchange, as an integrator would write it.

Standard pieces only: Authlib's OAuth 2 client (client credentials, ``private_key_jwt``,
RFC 7523) and DPoP proofs (RFC 9449) signed with joserfc. The list (CSV or XLSX, columns
``ho_ten``, ``so_giay_to``, ``ngay_sinh``, ``gioi_tinh``, ``dia_chi``... as the bank keeps
them) is uploaded; the job is followed until it ends; the result (the bank's rows plus
``dancu_status``, ``dancu_mismatched_fields``, ``dancu_method``) is saved.

    python cleaning_client.py --server https://dancu.example.vn --client-id nh-abc-1a2b3c4d \
        --key bank-key.json --file khach_hang.csv --out khach_hang-dancu.csv
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import sys
import time
from pathlib import Path
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


class Door:
    """A DPoP-bound session with the exchange (a fresh proof on every request)."""

    def __init__(self, server: str, client_id: str, private_jwk: dict[str, Any]) -> None:
        self.server, self.dpop = server, ECKey.generate_key("P-256")
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
                headers={"DPoP": dpop_proof(self.dpop, "POST", token_url)},
            )
        self.token = str(token["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.server}{path}"
        headers = {
            "Authorization": f"DPoP {self.token}",
            "DPoP": dpop_proof(self.dpop, method, url, self.token),
        }
        response = httpx.request(method, url, headers=headers, timeout=60, **kwargs)
        if response.status_code >= 400:
            error = response.json()
            print(
                f"refused ({response.status_code} {error.get('code')}): {error.get('message')}",
                file=sys.stderr,
            )
            raise SystemExit(1)
        return response


def clean(door: Door, file: Path, out: Path, *, wait: float = 300) -> dict[str, Any]:
    """Upload, follow the job, save the result; the job's final status."""
    with file.open("rb") as f:
        job = door.request(
            "POST", "/api/exchange/cleaning/jobs", files={"file": (file.name, f)}
        ).json()
    deadline = time.monotonic() + wait
    while job["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise SystemExit(f"job {job['id']} still {job['status']} after {wait:.0f} s")
        time.sleep(0.5)
        job = door.request("GET", f"/api/exchange/cleaning/jobs/{job['id']}").json()
    if job["status"] != "done":
        print(f"the job failed ({job.get('error_code')}): {job.get('error')}", file=sys.stderr)
        raise SystemExit(1)
    out.write_bytes(door.request("GET", f"/api/exchange/cleaning/jobs/{job['id']}/result").content)
    return dict(job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--key", required=True, help="the bank's private JWK (JSON file)")
    parser.add_argument("--file", required=True, type=Path, help="the customer list")
    parser.add_argument("--out", required=True, type=Path, help="where to save the result")
    args = parser.parse_args(argv)
    with open(args.key, encoding="utf-8") as f:
        private_jwk = json.load(f)
    job = clean(Door(args.server.rstrip("/"), args.client_id, private_jwk), args.file, args.out)
    json.dump({"job": job["id"], "lines": job["lines"], "counts": job["counts"]}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
