"""Pure rules on the shape of a transfer: which kinds may move coins between which accounts.

Coins come into existence only from ``issuance`` (a service credit) and leave only into
``redemption`` (a spend); everything else moves coins that already exist.
"""

from __future__ import annotations

from timebank.errors import InvalidInput, RuleViolation

PHASES = ("single", "pending", "post", "void")

# kind -> (allowed debit account kinds, allowed credit account kinds, allowed phases)
SHAPES: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "service_credit": (frozenset({"issuance"}), frozenset({"earned"}), frozenset({"single"})),
    "service_payment": (
        frozenset({"earned", "received", "pool"}),
        frozenset({"redemption"}),
        frozenset(PHASES),
    ),
    "gift": (frozenset({"earned", "received"}), frozenset({"received"}), frozenset({"single"})),
    "donation": (frozenset({"earned", "received"}), frozenset({"pool"}), frozenset({"single"})),
    "allocation": (frozenset({"pool"}), frozenset({"received"}), frozenset({"single"})),
    "admission": (frozenset({"earned"}), frozenset({"redemption"}), frozenset(PHASES)),
    "bequest": (
        frozenset({"earned", "received"}),
        frozenset({"received", "pool"}),
        frozenset({"single"}),
    ),
}
KINDS = frozenset(SHAPES) | {"reversal"}
MAX_AMOUNT = 10**12  # minutes; far beyond any real balance, well inside BIGINT


def check_amount(amount: object, *, field: str = "amount") -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidInput("amount must be a whole number of minutes", field=field)
    if amount <= 0:
        raise InvalidInput("amount must be positive", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput("amount is too large", field=field)
    return amount


def check_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidInput("an idempotency key is required", field="key")
    if len(key) > 160:
        raise InvalidInput("the idempotency key is longer than 160 characters", field="key")
    return key


def check_shape(kind: str, phase: str, debit_kind: str, credit_kind: str) -> None:
    if kind not in SHAPES:
        raise InvalidInput(f"unknown transfer kind {kind!r}", field="kind")
    debits, credits, phases = SHAPES[kind]
    if phase not in phases:
        raise RuleViolation(f"a {kind} cannot be a {phase} transfer", rule="transfer_shape")
    if debit_kind not in debits or credit_kind not in credits:
        raise RuleViolation(
            f"a {kind} cannot move coins from a {debit_kind} account to a {credit_kind} account",
            rule="transfer_shape",
        )
