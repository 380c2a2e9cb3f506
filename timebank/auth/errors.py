"""Sign-in errors: they join the domain hierarchy, so the one error→status mapping covers them."""

from __future__ import annotations

from timebank.errors import TimebankError


class Unauthenticated(TimebankError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    status = 401
    exit_code = 4
    code = "unauthenticated"


class TooManyRequests(TimebankError):
    """A rate limit or a login lockout; ``retry_after`` says how many seconds to wait."""

    status = 429
    exit_code = 4
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, rule: str = "rate_limit") -> None:
        super().__init__(message, rule=rule, details={"retry_after": retry_after})
        self.retry_after = retry_after
