"""The errors the API answers with, as exceptions the domain can raise.

Each maps to one row of the contract's error table: an HTTP status, a code and,
where it helps, a message per field.
"""
from __future__ import annotations


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    """The contract's JSON error body: the one place its shape is written."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class ApiError(Exception):
    """Base for every error that becomes a JSON answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_json(self) -> dict:
        return error_body(self.code, self.message, self.fields)


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthenticated(ApiError):
    status, code = 401, "unauthenticated"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class ValidationFailed(ApiError):
    status, code = 422, "validation_failed"


class NeedsConfirmation(ApiError):
    status, code = 422, "needs_confirmation"


class LockedOut(ApiError):
    """Too many wrong passwords for this user name (or from this address): no password is checked until
    the oldest failure leaves the window, `retry_after` seconds from now."""

    status, code = 429, "locked_out"

    def __init__(self, message: str, fields: dict[str, str] | None = None, retry_after: int = 1):
        super().__init__(message, fields)
        self.retry_after = retry_after


class Unavailable(ApiError):
    """The database cannot take the change (disk full, read-only, I/O error): nothing was saved. The code
    says which (`disk_full`, `database_read_only`, `database_unavailable`)."""

    status, code = 503, "database_unavailable"

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message, fields)
        self.code = code or type(self).code


def as_plain(error: ApiError) -> tuple[str, str, dict]:
    """An error as plain values (its class name, message and fields), to send to another process."""
    return type(error).__name__, error.message, error.fields


def from_plain(plain: tuple[str, str, dict]) -> ApiError:
    """The error `as_plain` described."""
    name, message, fields = plain
    return globals()[name](message, fields)
