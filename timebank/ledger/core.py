"""The posting engine: the only code that writes transfers and balances (DESIGN §3).

``post_transfers`` applies a batch atomically inside the caller's transaction: idempotency by
key (I4), two-phase holds resolved exactly once (I6), reversals at most once (I5), tracked
accounts locked in ascending id order and never overdrawn (I3), balances updated with their
transfers (I2). Untracked system accounts (issuance, redemption) are never locked or updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from timebank.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidInput,
    NotFound,
)
from timebank.ledger.models import ISSUANCE_ID, REDEMPTION_ID, UNTRACKED_IDS, Account, Transfer
from timebank.ledger.shapes import PHASES, check_amount, check_key, check_shape

UNTRACKED_KINDS = {ISSUANCE_ID: "issuance", REDEMPTION_ID: "redemption"}
CONTENT = (
    "kind",
    "phase",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "pending_id",
    "reverses_id",
    "reference",
    "value_date",
)
T: Table = Transfer.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class TransferSpec:
    key: str
    kind: str
    debit_account_id: int | None = None
    credit_account_id: int | None = None
    amount: int | None = None
    phase: str = "single"
    pending_id: int | None = None  # for post / void
    reverses_id: int | None = None  # for kind="reversal"
    reference: str | None = None
    value_date: date | None = None
    memo: str | None = None


@dataclass(frozen=True)
class Posted:
    id: int
    key: str
    kind: str
    phase: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    pending_id: int | None
    reverses_id: int | None
    reference: str | None
    value_date: date | None
    created_at: datetime
    replayed: bool  # True when an earlier request with the same key already did this


def _row_to_posted(row: Any, *, replayed: bool) -> Posted:
    return Posted(
        id=row.id,
        key=row.key,
        kind=row.kind,
        phase=row.phase,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        pending_id=row.pending_id,
        reverses_id=row.reverses_id,
        reference=row.reference,
        value_date=row.value_date,
        created_at=row.created_at,
        replayed=replayed,
    )


def _fetch(session: Session, column: Any, values: set[Any]) -> dict[Any, Any]:
    if not values:
        return {}
    rows = session.execute(select(T).where(column.in_(sorted(values)))).all()
    return {getattr(r, column.key): r for r in rows}


def _resolve(spec: TransferSpec, refs: dict[int, Any]) -> dict[str, Any]:
    """The full content of a spec: post/void/reversal inherit accounts and amounts."""
    check_key(spec.key)
    if spec.phase not in PHASES:
        raise InvalidInput(f"unknown phase {spec.phase!r}", field="phase")
    out: dict[str, Any] = {
        "key": spec.key,
        "kind": spec.kind,
        "phase": spec.phase,
        "debit_account_id": spec.debit_account_id,
        "credit_account_id": spec.credit_account_id,
        "amount": spec.amount,
        "pending_id": spec.pending_id,
        "reverses_id": spec.reverses_id,
        "reference": spec.reference,
        "value_date": spec.value_date,
        "memo": spec.memo,
    }
    if spec.amount is not None:
        check_amount(spec.amount)
    if spec.phase in ("post", "void"):
        if spec.pending_id is None:
            raise InvalidInput(f"a {spec.phase} needs the pending transfer", field="pending_id")
        hold = refs.get(spec.pending_id)
        if hold is None or hold.phase != "pending":
            raise NotFound(f"no pending transfer {spec.pending_id}", field="pending_id")
        for name in ("debit_account_id", "credit_account_id"):
            if out[name] is None:
                out[name] = getattr(hold, name)
            elif out[name] != getattr(hold, name):
                raise InvalidInput(f"{name} differs from the pending transfer", field=name)
        out["kind"] = out["kind"] or hold.kind
        if out["kind"] != hold.kind:
            raise InvalidInput("kind differs from the pending transfer", field="kind")
        if out["amount"] is None or spec.phase == "void":
            if spec.phase == "void" and spec.amount not in (None, hold.amount):
                raise InvalidInput("a void releases the whole pending amount", field="amount")
            out["amount"] = hold.amount
        elif out["amount"] > hold.amount:
            raise InvalidInput(
                f"cannot post {out['amount']} minutes of a {hold.amount}-minute hold",
                field="amount",
            )
    elif spec.kind == "reversal":
        if spec.reverses_id is None:
            raise InvalidInput("a reversal names the transfer it reverses", field="reverses_id")
        original = refs.get(spec.reverses_id)
        if original is None:
            raise NotFound(f"no transfer {spec.reverses_id}", field="reverses_id")
        if original.phase not in ("single", "post") or original.kind == "reversal":
            raise InvalidInput(
                "only posted transfers (not holds, voids or reversals) can be reversed",
                field="reverses_id",
            )
        if spec.phase != "single":
            raise InvalidInput("a reversal is posted at once", field="phase")
        out["debit_account_id"] = original.credit_account_id
        out["credit_account_id"] = original.debit_account_id
        out["amount"] = original.amount
    else:
        for name in ("debit_account_id", "credit_account_id", "amount"):
            if out[name] is None:
                raise InvalidInput(f"{name} is required", field=name)
    return out


def post_transfers(
    session: Session, specs: list[TransferSpec], *, actor: str, at: datetime
) -> list[Posted]:
    """Apply ``specs`` in order inside the caller's transaction; never commits."""
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise InvalidInput("the same idempotency key appears twice in one batch", field="key")
    existing = _fetch(session, T.c.key, set(keys))
    ref_ids = {s.pending_id for s in specs if s.pending_id} | {
        s.reverses_id for s in specs if s.reverses_id
    }
    refs = _fetch(session, T.c.id, ref_ids)
    resolved = [_resolve(s, refs) for s in specs]

    results: list[Posted | None] = [None] * len(specs)
    fresh: list[tuple[int, dict[str, Any]]] = []
    for i, row in enumerate(resolved):
        old = existing.get(row["key"])
        if old is None:
            fresh.append((i, row))
            continue
        differs = [c for c in CONTENT if getattr(old, c) != row[c]]
        if differs:
            raise IdempotencyConflict(
                f"key {row['key']!r} was already used for a different transfer "
                f"({', '.join(differs)} differ)",
                field="key",
            )
        results[i] = _row_to_posted(old, replayed=True)
    if not fresh:
        return [r for r in results if r is not None]

    _refuse_second_resolution(session, [row for _, row in fresh])
    accounts = _lock_accounts(session, [row for _, row in fresh])
    changed: set[int] = set()
    for _, row in fresh:
        _apply(row, accounts, refs, changed)

    values = [{**row, "actor": actor, "created_at": at} for _, row in fresh]
    ids = (
        session.execute(insert(T).returning(T.c.id, sort_by_parameter_order=True), values)
        .scalars()
        .all()
    )
    if changed:
        session.execute(
            update(Account),
            [
                {
                    "id": a,
                    "balance": accounts[a]["balance"],
                    "pending": accounts[a]["pending"],
                    "service_minutes": accounts[a]["service_minutes"],
                }
                for a in sorted(changed)
            ],
        )
    for (i, row), new_id in zip(fresh, ids, strict=True):
        results[i] = Posted(
            id=new_id,
            **{k: row[k] for k in ("key", *CONTENT)},
            created_at=at,
            replayed=False,
        )
    return [r for r in results if r is not None]


def _refuse_second_resolution(session: Session, rows: list[dict[str, Any]]) -> None:
    pendings = [r["pending_id"] for r in rows if r["pending_id"]]
    reversed_ = [r["reverses_id"] for r in rows if r["reverses_id"]]
    if len(set(pendings)) != len(pendings):
        raise Conflict("a hold is posted or voided twice in one batch", rule="hold_once")
    if len(set(reversed_)) != len(reversed_):
        raise Conflict("a transfer is reversed twice in one batch", rule="reverse_once")
    done = _fetch(session, T.c.pending_id, set(pendings))
    if done:
        first = min(done)
        raise Conflict(
            f"hold {first} was already {done[first].phase}ed", rule="hold_once", field="pending_id"
        )
    done = _fetch(session, T.c.reverses_id, set(reversed_))
    if done:
        raise Conflict(
            f"transfer {min(done)} was already reversed", rule="reverse_once", field="reverses_id"
        )


def _lock_accounts(session: Session, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    ids = {r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows}
    tracked = sorted(ids - UNTRACKED_IDS)
    found: dict[int, dict[str, Any]] = {}
    if tracked:
        stmt = (
            select(
                Account.id,
                Account.kind,
                Account.balance,
                Account.pending,
                Account.service_minutes,
                Account.allow_negative,
                Account.tracked,
            )
            .where(Account.id.in_(tracked))
            .order_by(Account.id)
            .with_for_update()
        )
        found = {r.id: dict(r._mapping) for r in session.execute(stmt)}
    for account_id in ids:
        if account_id in UNTRACKED_KINDS:
            found[account_id] = {"kind": UNTRACKED_KINDS[account_id], "tracked": False}
        elif account_id not in found:
            raise NotFound(f"no account {account_id}", field="account")
    return found


def _apply(
    row: dict[str, Any],
    accounts: dict[int, dict[str, Any]],
    refs: dict[int, Any],
    changed: set[int],
) -> None:
    debit, credit = accounts[row["debit_account_id"]], accounts[row["credit_account_id"]]
    amount, phase = row["amount"], row["phase"]
    if row["kind"] == "reversal":
        original = refs[row["reverses_id"]]
        check_shape(original.kind, original.phase, credit["kind"], debit["kind"])
    else:
        check_shape(row["kind"], phase, debit["kind"], credit["kind"])
    held = refs[row["pending_id"]].amount if phase in ("post", "void") else 0
    if debit["tracked"]:
        if phase in ("single", "post"):
            debit["balance"] -= amount
        if phase == "pending":
            debit["pending"] += amount
        debit["pending"] -= held
        changed.add(row["debit_account_id"])
    if credit["tracked"] and phase in ("single", "post"):
        credit["balance"] += amount
        changed.add(row["credit_account_id"])
    if row["kind"] == "service_credit":
        credit["service_minutes"] += amount
    elif row["kind"] == "reversal" and refs[row["reverses_id"]].kind == "service_credit":
        debit["service_minutes"] -= amount
    if debit["tracked"] and phase in ("single", "pending", "post"):
        available = debit["balance"] - debit["pending"]
        if available < 0 and not debit["allow_negative"]:
            raise InsufficientBalance(
                f"account {row['debit_account_id']} has {available + amount} minutes available, "
                f"{amount} needed",
                rule="no_overdraft",
                details={"account": row["debit_account_id"], "needed": amount},
            )
