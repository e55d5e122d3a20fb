"""The DancuError family: every expected failure has a stable code, a status and a message.

Messages are English templates with a Vietnamese translation looked up by code in
``dancu.web.i18n``; ``field`` names the input that broke the rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """The kernel's codes, shared by every domain: authentication, forms, paging, purposes."""

    AUTH_FORBIDDEN = "auth.forbidden"
    AUTH_INSUFFICIENT_SCOPE = "auth.insufficient_scope"
    AUTH_INVALID_TOKEN = "auth.invalid_token"
    AUTH_NO_ROLE = "auth.no_role"
    AUTH_PERMISSION = "auth.permission"
    AUTH_PURPOSE_NOT_ALLOWED = "auth.purpose_not_allowed"
    AUTH_REQUIRED = "auth.required"
    AUTH_UNKNOWN_OFFICER = "auth.unknown_officer"
    CONFLICT = "conflict"
    CSRF_INVALID = "csrf.invalid"
    DATE_INVALID = "date.invalid"
    ERROR = "error"
    FORM_INVALID = "form.invalid"
    FORM_REQUIRED = "form.required"
    IDEMPOTENCY_IN_PROGRESS = "idempotency.in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency.key_reused"
    METHOD_NOT_ALLOWED = "method.not_allowed"
    NOT_FOUND = "not_found"
    NUMBER_OUT_OF_RANGE = "number.out_of_range"
    PAGING_INVALID = "paging.invalid"
    PURPOSE_REQUIRED = "purpose.required"
    PURPOSE_UNKNOWN = "purpose.unknown"
    SERVER_ERROR = "server.error"
    STATE_INVALID = "state.invalid"
    TEXT_CONTROL_CHARACTER = "text.control_character"
    TEXT_TOO_LONG = "text.too_long"
    VALIDATION = "validation"


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
