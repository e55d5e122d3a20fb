"""The DancuError family: every expected failure has a stable code, a status and a message.

Messages are English templates with a Vietnamese translation looked up by code in
``dancu.web.i18n``; ``field`` names the input that broke the rule.
"""

from __future__ import annotations

from typing import Any


class DancuError(Exception):
    """Base of every expected failure. Routes turn it into a 4xx with ``code``."""

    status_code = 400
    code = "error"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.params = params

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.params:
            body["params"] = {k: str(v) for k, v in self.params.items()}
        return body


class ValidationFailed(DancuError):
    """Input broke a rule (HTTP 422)."""

    status_code = 422
    code = "validation"


class NotFound(DancuError):
    status_code = 404
    code = "not_found"


class Conflict(DancuError):
    status_code = 409
    code = "conflict"


class NotAuthenticated(DancuError):
    status_code = 401
    code = "auth.required"


class Forbidden(DancuError):
    status_code = 403
    code = "auth.forbidden"


class InvalidState(DancuError):
    """A transition that the current state does not allow (HTTP 409)."""

    status_code = 409
    code = "state.invalid"
