"""Domain errors that carry their HTTP meaning, rendered as RFC 9457 problem details in one place.

Services raise these; the API layer never builds error responses by hand.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://bridgefund.example/problems/"


class DomainError(Exception):
    """Base of every expected refusal. ``errors`` maps field paths to messages."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class NotAuthenticated(DomainError):
    status, code, title = 401, "unauthenticated", "Authentication required"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class InvalidTransition(Conflict):
    code, title = "invalid-transition", "Invalid state transition"


class MissingDocuments(Conflict):
    """An approval whose record lacks a required document; the problem names them in ``missing_documents``."""

    code, title = "missing-documents", "Required documents are missing"


class InsufficientFunds(Conflict):
    code, title = "insufficient-funds", "Insufficient funds"


class QuotaExceeded(Conflict):
    code, title = "quota-exceeded", "Quota exceeded"


class BankSuspended(Conflict):
    code, title = "bank-suspended", "Bank suspended"


class PeriodClosed(Conflict):
    code, title = "period-closed", "Period closed"


class Duplicate(Conflict):
    code, title = "duplicate", "Duplicate"


class ArchiveTampered(Conflict):
    """An archived report's file does not match its row's SHA-256 (or its path leaves the archive)."""

    code, title = "archive-tampered", "Archived report does not match its record"


class PayloadTooLarge(DomainError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(DomainError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class UriTooLong(DomainError):
    status, code, title = 414, "uri-too-long", "URI too long"


class HeadersTooLarge(DomainError):
    status, code, title = 431, "request-header-fields-too-large", "Request header fields too large"


class RuleViolation(DomainError):
    status, code, title = 422, "rule-violation", "Unprocessable request"

    @classmethod
    def on(cls, field: str, message: str) -> RuleViolation:
        """A violation of one field: the detail and the ``errors`` entry say the same."""
        return cls(f"{field}: {message}", {field: [message]})


class ArchiveMissing(DomainError):
    """An archived report's row exists but its file does not (the crash window after the commit)."""

    status, code, title = 410, "archive-missing", "Archived report file is missing"


class PreviewPurged(DomainError):
    """An import preview's file was deleted by the nightly retention (not confirmed in time): upload it again."""

    status, code, title = 410, "preview-purged", "Import preview expired"


class RenderFailed(DomainError):
    """The PDF could not be rendered (a template or resource error: a bug, logged with its cause)."""

    status, code, title = 500, "render-failed", "Report rendering failed"


class ReportUnavailable(DomainError):
    """Rendering cannot run on this server (e.g. the CJK font is not installed)."""

    status, code, title = 503, "report-unavailable", "Report rendering unavailable"


class TooManyRequests(DomainError):
    status, code, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def not_found(entity: str, ident: Any) -> NotFound:
    return NotFound(f"{entity} {ident} does not exist")


class ExportTooLarge(DomainError):
    """An export (``format=xlsx``) would hold more rows than it may; the problem names the limit."""

    status, code, title = 413, "export-too-large", "Too many rows to export"
