"""The provider's public address: the issuer and the base of every URL it publishes.

With ``DANCU_PUBLIC_URL`` set, the issuer is pinned: neither the Host header nor the
proxy's forwarded headers can change the ``iss`` of discovery, tokens and authorization
responses. Unset, it is the URL the request came to, as before, except in production,
where the provider refuses to answer (``PublicUrlMissing``) rather than trust ``Host``.
"""

from __future__ import annotations

from typing import Any

from dancu.settings import Settings, get_settings


def _settings(request: Any) -> Settings:
    app = getattr(request, "app", None)
    return getattr(getattr(app, "state", None), "settings", None) or get_settings()


class PublicUrlMissing(RuntimeError):
    """Production without ``DANCU_PUBLIC_URL``: the issuer would follow the Host header."""


def public_base(request: Any) -> str:
    """The issuer: ``DANCU_PUBLIC_URL``, else (not in production) the request's base URL."""
    settings = _settings(request)
    if settings.public_url:
        return settings.public_url
    if settings.env == "production":  # fail closed rather than trust the Host header
        raise PublicUrlMissing("DANCU_PUBLIC_URL must be set in production")
    return str(request.base_url).rstrip("/")


def public_url(request: Any) -> str:
    """This request's URL as its client addressed it (the ``htu`` of a DPoP proof)."""
    configured = _settings(request).public_url
    if not configured:
        public_base(request)  # refuses in production
        return str(request.url)
    query = request.url.query
    return f"{configured}{request.url.path}" + (f"?{query}" if query else "")
