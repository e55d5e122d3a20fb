"""The security headers every answer of this site carries (one ASGI middleware).

- ``Content-Security-Policy``: scripts and stylesheets only from this site's files (no inline
  script, no inline style, no event-handler attribute), images from this site or ``data:``
  (the desk's face photo), no plugins, no ``<base>``, and no framing (``frame-ancestors``).
  ``form-action`` is left open on purpose: the consent and logout forms end in a redirect
  to a relying party's registered address, which Chromium would otherwise block. A route
  that needs another policy sets its own header and keeps it (``/docs``: Swagger UI's
  initializer, allowed by its hash in ``web/apidocs.py``).
- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` (older browsers).
- ``Referrer-Policy: same-origin``: a page's address (a ``next``, a wallet presentation in
  ``/verify?p=``) never goes to another site; OpenID Connect needs no referrer.
- ``Cache-Control: no-store`` unless the route chose its caching (the JWKS, the metadata):
  pages and API answers show personal data and must not stay in a shared or browser cache.
  This site's static files are left to cache.
- ``Strict-Transport-Security`` in production only (``env == "production"``, served over
  HTTPS); a development server on plain HTTP must not pin ``localhost`` to HTTPS.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
CACHED_PREFIXES = ("/static/", "/docs/assets/")  # this site's files, the same for everyone


class SecurityHeaders:
    """Adds the headers above to every HTTP answer (a route's own CSP and caching win)."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cached = str(scope.get("path", "")).startswith(CACHED_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(MutableHeaders(scope=message), cached=cached)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders, *, cached: bool) -> None:
        add_headers(headers, production=self.production, cached=cached)


def add_headers(headers: MutableHeaders, *, production: bool, cached: bool = False) -> None:
    """The headers above on one answer. The middleware calls it for every answer; the 500
    handler too, because Starlette sends a 500 from outside every middleware."""
    for name, value in ALWAYS.items():
        headers[name] = value
    headers.setdefault("Content-Security-Policy", CSP)
    if not cached:
        headers.setdefault("Cache-Control", "no-store")
    if production:
        headers["Strict-Transport-Security"] = HSTS
