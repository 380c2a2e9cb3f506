"""The domain's error hierarchy, and its single mapping to HTTP status and CLI exit codes.

Every error names what was wrong: ``field`` for bad input, ``rule`` for a policy refusal.
"""

from __future__ import annotations

from typing import Any


class TimebankError(Exception):
    status = 400
    exit_code = 1
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.rule:
            out["rule"] = self.rule
        if self.details:
            out["details"] = self.details
        return out


class InvalidInput(TimebankError):
    """Malformed or out-of-range input; ``field`` names it."""

    status = 422
    exit_code = 2
    code = "invalid_input"


class NotFound(TimebankError):
    status = 404
    exit_code = 3
    code = "not_found"


class PermissionDenied(TimebankError):
    status = 403
    exit_code = 4
    code = "permission_denied"


class RuleViolation(TimebankError):
    """A policy rule refused the act; ``rule`` names it."""

    status = 409
    exit_code = 5
    code = "rule_violation"


class InsufficientBalance(RuleViolation):
    code = "insufficient_balance"


class Conflict(TimebankError):
    """The act conflicts with the current state (already done, wrong state)."""

    status = 409
    exit_code = 6
    code = "conflict"


class IdempotencyConflict(Conflict):
    """The same idempotency key was used before with different content."""

    code = "idempotency_conflict"


def exit_code_for(exc: BaseException) -> int:
    return exc.exit_code if isinstance(exc, TimebankError) else 70
