"""The exceptions the library raises when a file cannot be processed; each carries an exit code and a hint."""

from __future__ import annotations


class IntakeError(Exception):
    """Base class. `reason` is a short machine-readable code stored with failed documents."""

    exit_code = 1
    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self)


class InputFileError(IntakeError):
    """The file cannot be read as an invoice document."""

    exit_code = 2
    reason = "unreadable"


class EmptyFileError(InputFileError):
    reason = "empty_file"


class UnsupportedFileError(InputFileError):
    reason = "unsupported_type"


class CorruptFileError(InputFileError):
    reason = "corrupt"


class EncryptedFileError(InputFileError):
    reason = "encrypted"


class TooLargeError(InputFileError):
    reason = "too_large"


class ChangedWhileReadingError(InputFileError):
    """The file's bytes changed between its hashing and its copy into the store: a writer still at work on it."""

    reason = "changed_while_reading"


class NotAnInvoiceError(InputFileError):
    exit_code = 3
    reason = "not_an_invoice"


class ConfigError(IntakeError):
    exit_code = 4
    reason = "config"


class DatabaseError(IntakeError):
    exit_code = 5
    reason = "database"


class OcrEngineError(IntakeError):
    exit_code = 6
    reason = "ocr_engine"


class NotFoundError(IntakeError):
    exit_code = 7
    reason = "not_found"


class ReviewError(IntakeError):
    """A review action that cannot be done as asked; `status_code` is its HTTP answer."""

    exit_code = 8
    reason = "review"
    status_code = 400


class AuthenticationError(ReviewError):
    reason = "unauthenticated"
    status_code = 401


class PermissionDeniedError(ReviewError):
    reason = "forbidden"
    status_code = 403


class StaleVersionError(ReviewError):
    """The save was made against an older version of the invoice: reload, then redo the change."""

    reason = "stale_version"
    status_code = 409


class InvoiceStateError(ReviewError):
    """The invoice is not in a state that allows this (already approved, a duplicate, …)."""

    reason = "invalid_state"
    status_code = 409


class ClaimHeldError(ReviewError):
    """Another reviewer holds the claim on this invoice."""

    reason = "claim_held"
    status_code = 423


class InvalidValueError(ReviewError):
    """A reviewer's value is not in the field's normal form and cannot be made so."""

    reason = "invalid_value"
    status_code = 422


class UserError(ReviewError):
    """A user-management request that cannot be done (unknown user, bad role, name taken)."""

    reason = "user"
    status_code = 400
