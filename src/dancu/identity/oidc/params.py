"""What a protocol parameter may hold before any of it reaches Authlib or the database.

RFC 6749 (Appendix A) writes every parameter of the authorization, token, revocation and
introspection endpoints in printable ASCII (``%x20-7E``); the ones with a grammar of their
own (a response type, a grant type, a scope, a URI, a PKCE value) never hold a quote or a
backslash. Authlib echoes some values (the response type, the redirect URI) into an
``error_description``, which must not hold those characters either, and raised a
``ValueError`` (a 500) on them; PostgreSQL refuses a NUL in a text value (another 500).
So a value outside those sets is refused first, as ``invalid_request`` naming the
parameter, and nothing is looked up or stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_GRAMMAR = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # printable, no '"', no '\'
# Parameters with a grammar of their own (RFC 6749 A, RFC 7636, RFC 7009, RFC 7662, OIDC).
_STRICT = frozenset(
    {
        "response_type",
        "response_mode",
        "grant_type",
        "scope",
        "redirect_uri",
        "post_logout_redirect_uri",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "token_type_hint",
        "client_assertion_type",
        "request_uri",
        "prompt",
        "acr_values",
        "max_age",
        "display",
        "ui_locales",
    }
)
MAX_LENGTH = 16384  # above any value a client sends (an assertion with an x5c chain, a hint)


def refusal(params: Mapping[str, object]) -> str | None:
    """The description of the first parameter a client could not have meant, or None."""
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        pattern = _GRAMMAR if name in _STRICT else _PRINTABLE
        shown = name if _GRAMMAR.fullmatch(name) and len(name) <= 64 else "(unreadable name)"
        if shown != name or not pattern.fullmatch(value):
            return f"The parameter {shown} holds a character it may not hold"
        if len(value) > MAX_LENGTH:
            return f"The parameter {name} is longer than {MAX_LENGTH} characters"
    return None
