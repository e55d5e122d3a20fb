"""The provider's public address: the issuer and the base of every URL it publishes.

With ``DANCU_PUBLIC_URL`` set, the issuer is pinned: neither the Host header nor the
proxy's forwarded headers can change the ``iss`` of discovery, tokens and authorization
responses. Unset (development), it is the URL the request came to, as before.
"""

from __future__ import annotations

from typing import Any

from dancu.settings import Settings, get_settings


def _settings(request: Any) -> Settings:
    app = getattr(request, "app", None)
    return getattr(getattr(app, "state", None), "settings", None) or get_settings()


def public_base(request: Any) -> str:
    """The issuer: ``DANCU_PUBLIC_URL``, else the request's base URL (no trailing slash)."""
    return _settings(request).public_url or str(request.base_url).rstrip("/")


def public_url(request: Any) -> str:
    """This request's URL as its client addressed it (the ``htu`` of a DPoP proof)."""
    configured = _settings(request).public_url
    if not configured:
        return str(request.url)
    query = request.url.query
    return f"{configured}{request.url.path}" + (f"?{query}" if query else "")
