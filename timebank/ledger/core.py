"""The posting engine: the only code that writes transfers and balances (DESIGN §3).

``post_transfers`` applies a batch atomically inside the caller's transaction: idempotency by
key (I4), two-phase holds resolved exactly once (I6), reversals at most once (I5), tracked
accounts locked in ascending id order and never overdrawn (I3), balances updated with their
transfers (I2). Untracked system accounts (issuance, redemption) are never locked or updated.

``_write`` is the one place that applies transfers (shape and overdraft checks, insert, balance
update). Statements are built once at module level; on PostgreSQL a call's transfers and
balances go in one statement of constant text (large batches as JSON and arrays), on SQLite
through executemany.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    String,
    Table,
    Text,
    any_,
    bindparam,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
A: Table = Account.__table__  # type: ignore[assignment]
ACCOUNT_STATE = ("balance", "pending", "service_minutes")  # what posting changes on an account
# On PostgreSQL, key / id sets at least this large travel as one array parameter, so the
# statement text stays the same whatever the batch size (psycopg parses it once, the server
# prepares it once). Smaller sets keep a plain IN list.
ARRAY_MIN = 64

# Statements built once: SQLAlchemy caches their compiled form, so a call only binds values.
_FETCH_IN = {
    c.key: select(T).where(c.in_(bindparam("values", expanding=True)))
    for c in (T.c.key, T.c.id, T.c.pending_id, T.c.reverses_id)
}
_FETCH_ANY = {
    c.key: select(T).where(c == any_(bindparam("values", type_=ARRAY(type_))))
    for c, type_ in (
        (T.c.key, String()),
        (T.c.id, BigInteger()),
        (T.c.pending_id, BigInteger()),
        (T.c.reverses_id, BigInteger()),
    )
}
_LOCK_COLUMNS = (
    A.c.id,
    A.c.kind,
    *(A.c[c] for c in ACCOUNT_STATE),
    A.c.allow_negative,
    A.c.tracked,
)
_LOCK_IN = (
    select(*_LOCK_COLUMNS)
    .where(A.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(A.c.id)
    .with_for_update()
)
_LOCK_ANY = (
    select(*_LOCK_COLUMNS)
    .where(A.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger()))))
    .order_by(A.c.id)
    .with_for_update()
)
_INSERT_MANY = insert(T).returning(T.c.id, sort_by_parameter_order=True)
_UPDATE_ACCOUNT = sql_update(A).where(A.c.id == bindparam("account_id"))
# PostgreSQL: the transfers of a call and the balances they changed, in one statement whose
# text does not depend on the batch size (so psycopg parses it once and the server prepares it
# once): the transfers inserted in spec order (ids ascend with it), then one row per changed
# account. Many transfers travel as one JSON document (the quickest way through psycopg and
# SQLAlchemy: a 1,000-row multi-VALUES INSERT or eleven 1,000-element arrays cost many times
# more client CPU), a single transfer as plain values.
_FIELDS = (
    ("key", String()),
    ("kind", String()),
    ("phase", String()),
    ("debit_account_id", BigInteger()),
    ("credit_account_id", BigInteger()),
    ("amount", BigInteger()),
    ("pending_id", BigInteger()),
    ("reverses_id", BigInteger()),
    ("reference", String()),
    ("value_date", Date()),
    ("memo", Text()),
)
_COLUMNS = ", ".join(name for name, _ in _FIELDS)


def _write_statement(source: str, accounts: str, scalars: bool) -> Any:
    return text(
        f"""WITH ins AS (
  INSERT INTO ledger_transfers ({_COLUMNS}, actor, created_at)
  {source}
  RETURNING id, key
), upd AS (
  UPDATE ledger_accounts AS a
  SET balance = v.balance, pending = v.pending, service_minutes = v.service_minutes
  FROM {accounts} AS v(id, balance, pending, service_minutes)
  WHERE a.id = v.id
)
SELECT id, key FROM ins"""
    ).bindparams(
        *(bindparam(name, type_=t) for name, t in _FIELDS if scalars),
        *(bindparam(f"{n}{i}", type_=BigInteger()) for n in _STATE for i in (1, 2) if scalars),
        *(bindparam(n, type_=ARRAY(BigInteger())) for n in _STATE if not scalars),
        *(() if scalars else (bindparam("rows", type_=Text()),)),
        bindparam("actor", type_=String()),
        bindparam("created_at", type_=T.c.created_at.type),
    )


# Many transfers: the balances as arrays (unnest of an array parameter is planned as a few
# rows: an index probe per account; json_populate_recordset would be planned as 100 rows and
# read every account). One transfer changes at most two accounts: two rows of plain values
# (an absent one all NULL), so the server can reuse one generic plan.
_STATE = ("account_id", "balance", "pending", "service_minutes")
_WRITE_PG_MANY = _write_statement(
    f"SELECT {_COLUMNS}, :actor, :created_at "
    "FROM json_populate_recordset(NULL::ledger_transfers, CAST(:rows AS json)) "
    "WITH ORDINALITY AS u ORDER BY u.ordinality",
    f"unnest({', '.join(f':{n}' for n in _STATE)})",
    scalars=False,
)
_WRITE_PG_ONE = _write_statement(
    f"VALUES ({', '.join(f':{name}' for name, _ in _FIELDS)}, :actor, :created_at)",
    "(VALUES {})".format(", ".join(f"({', '.join(f':{n}{i}' for n in _STATE)})" for i in (1, 2))),
    scalars=True,
)


def _json(value: Any) -> str:
    def default(o: Any) -> str:
        if type(o) is date:
            return o.isoformat()
        raise TypeError(f"cannot send {type(o).__name__} {o!r} as transfer content")

    return json.dumps(value, default=default, separators=(",", ":"))


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


def _fetch(conn: Connection, column: Any, values: set[Any], *, pg: bool) -> dict[Any, Any]:
    if not values:
        return {}
    stmt = (_FETCH_ANY if pg and len(values) >= ARRAY_MIN else _FETCH_IN)[column.key]
    rows = conn.execute(stmt, {"values": sorted(values)}).all()
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
    session: Session,
    specs: list[TransferSpec],
    *,
    actor: str,
    at: datetime,
    locked: dict[int, dict[str, Any]] | None = None,
    keys_checked: bool = False,
) -> list[Posted]:
    """Apply ``specs`` in order inside the caller's transaction; never commits.

    For callers that already did part of the work in this transaction (``credit_service``):
    ``locked`` holds tracked account rows the caller has locked ``FOR UPDATE`` (as
    ``_lock_accounts`` returns them: kind, balance, pending, service_minutes, allow_negative,
    tracked), which are not locked or read again; ``keys_checked=True`` says the caller looked
    every key up after locking the accounts it debits or credits and found none, so the keys
    are not looked up again (a key taken meanwhile by a concurrent writer still fails on the
    unique index, and ``run_in_transaction`` retries). Every other check runs as usual.
    """
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise InvalidInput("the same idempotency key appears twice in one batch", field="key")
    conn = session.connection()  # Core statements below: no ORM work per execution
    pg = conn.dialect.name == "postgresql"
    ref_ids = {s.pending_id for s in specs if s.pending_id} | {
        s.reverses_id for s in specs if s.reverses_id
    }
    refs = _fetch(conn, T.c.id, ref_ids, pg=pg)  # transfers never change: no lock needed
    resolved = [_resolve(s, refs) for s in specs]
    # Lock first, then look at keys and resolutions: every transfer touches a tracked account,
    # so an identical request in flight has committed (and is seen below) or waits behind us.
    accounts = _lock_accounts(session, conn, resolved, locked or {}, pg=pg)
    existing = {} if keys_checked else _fetch(conn, T.c.key, set(keys), pg=pg)

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

    rows = [row for _, row in fresh]
    _refuse_second_resolution(conn, rows, pg=pg)
    ids = _write(session, conn, rows, accounts, refs, actor=actor, at=at, pg=pg)
    for (i, row), new_id in zip(fresh, ids, strict=True):
        results[i] = Posted(
            id=new_id,
            **{k: row[k] for k in ("key", *CONTENT)},
            created_at=at,
            replayed=False,
        )
    return [r for r in results if r is not None]


def _refuse_second_resolution(conn: Connection, rows: list[dict[str, Any]], *, pg: bool) -> None:
    pendings = [r["pending_id"] for r in rows if r["pending_id"]]
    reversed_ = [r["reverses_id"] for r in rows if r["reverses_id"]]
    if len(set(pendings)) != len(pendings):
        raise Conflict("a hold is posted or voided twice in one batch", rule="hold_once")
    if len(set(reversed_)) != len(reversed_):
        raise Conflict("a transfer is reversed twice in one batch", rule="reverse_once")
    done = _fetch(conn, T.c.pending_id, set(pendings), pg=pg)
    if done:
        first = min(done)
        raise Conflict(
            f"hold {first} was already {done[first].phase}ed", rule="hold_once", field="pending_id"
        )
    done = _fetch(conn, T.c.reverses_id, set(reversed_), pg=pg)
    if done:
        raise Conflict(
            f"transfer {min(done)} was already reversed", rule="reverse_once", field="reverses_id"
        )


def _lock_accounts(
    session: Session,
    conn: Connection,
    rows: list[dict[str, Any]],
    locked: dict[int, dict[str, Any]],
    *,
    pg: bool,
) -> dict[int, dict[str, Any]]:
    """Every account the rows touch: tracked ones locked in ascending id order (unless the
    caller already holds them in ``locked``), untracked ones as their kind only."""
    ids = {r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows}
    found: dict[int, dict[str, Any]] = {a: locked[a] for a in ids if a in locked}
    tracked = sorted(ids - UNTRACKED_IDS - found.keys())
    if tracked:
        if session.autoflush:  # as an ORM query would: pending Account changes reach the rows
            session.flush()
        stmt = _LOCK_ANY if pg and len(tracked) >= ARRAY_MIN else _LOCK_IN
        for r in conn.execute(stmt, {"ids": tracked}).mappings().all():
            found[r["id"]] = dict(r)
    for account_id in ids:
        if account_id in UNTRACKED_KINDS:
            found[account_id] = {"kind": UNTRACKED_KINDS[account_id], "tracked": False}
        elif account_id not in found:
            raise NotFound(f"no account {account_id}", field="account")
    return found


def _write(
    session: Session,
    conn: Connection,
    rows: list[dict[str, Any]],
    accounts: dict[int, dict[str, Any]],
    refs: dict[int, Any],
    *,
    actor: str,
    at: datetime,
    pg: bool,
) -> list[int]:
    """The one place that applies transfers: shape and overdraft checks (``_apply``), then the
    transfers inserted and the changed balances written. Returns the new ids in row order."""
    changed: set[int] = set()
    for row in rows:
        _apply(row, accounts, refs, changed)
    updates = [{"id": a, **{c: accounts[a][c] for c in ACCOUNT_STATE}} for a in sorted(changed)]
    if pg:
        params: dict[str, Any] = {"actor": actor, "created_at": at}
        state = [[u[c] for c in ("id", *ACCOUNT_STATE)] for u in updates]
        if len(rows) == 1:
            stmt = _WRITE_PG_ONE
            params.update({name: rows[0][name] for name, _ in _FIELDS})
            assert len(state) <= 2  # its debit and its credit account
            for i, values in enumerate([*state, *[[None] * 4] * (2 - len(state))], start=1):
                params.update({f"{n}{i}": v for n, v in zip(_STATE, values, strict=True)})
        else:
            stmt = _WRITE_PG_MANY
            params["rows"] = _json([{name: r[name] for name, _ in _FIELDS} for r in rows])
            params.update({n: [v[j] for v in state] for j, n in enumerate(_STATE)})
        by_key = {key: id_ for id_, key in conn.execute(stmt, params).tuples().all()}
        ids = [by_key[r["key"]] for r in rows]
    else:
        values = [{**row, "actor": actor, "created_at": at} for row in rows]
        ids = list(conn.execute(_INSERT_MANY, values).scalars().all())
        if updates:
            by_id = [{"account_id": u["id"], **{c: u[c] for c in ACCOUNT_STATE}} for u in updates]
            conn.execute(_UPDATE_ACCOUNT, by_id)
    _sync_loaded_accounts(session, updates)
    return ids


def _sync_loaded_accounts(session: Session, updates: list[dict[str, Any]]) -> None:
    """Accounts this session has loaded as objects get the new values, as an ORM bulk UPDATE
    by primary key would give them (attributes changed in memory are expired instead)."""
    if not session.identity_map:
        return
    for u in updates:
        obj = session.identity_map.get(identity_key(Account, u["id"]))
        if obj is None:
            continue
        unmodified = inspect(obj).unmodified
        for c in ACCOUNT_STATE:
            if c in unmodified:
                set_committed_value(obj, c, u[c])
            else:
                session.expire(obj, [c])


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
        # Debt is allowed only where a sanction reverses credits already spent (I3).
        if available < 0 and not (debit["allow_negative"] and row["kind"] == "reversal"):
            raise InsufficientBalance(
                f"account {row['debit_account_id']} has {available + amount} minutes available, "
                f"{amount} needed",
                rule="no_overdraft",
                details={"account": row["debit_account_id"], "needed": amount},
            )
