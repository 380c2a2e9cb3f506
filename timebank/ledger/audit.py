"""Seal transfers into signed checkpoints (I7) and verify the whole ledger (I1–I7).

Sealing never blocks writers. On PostgreSQL every transfer records its inserting transaction
id; a seal covers the transfers whose txid lies below the oldest transaction still running
*in this database* (``_pg_horizon``), so a slow writer's transfers simply fall into the next
seal, and transactions of other databases on the server never hold sealing back. On SQLite
writers are serialised, so ids commit in order and a seal covers an id range.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from timebank.config import Settings
from timebank.ledger import merkle
from timebank.ledger.keys import public_hex, signature_ok, signing_key, trusted_keys
from timebank.ledger.models import Account, Seal, Transfer

T: Table = Transfer.__table__  # type: ignore[assignment]
SEAL_LOCK = 0x7E5EA1  # advisory lock: sealers queue behind each other, writers never do


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _pg_horizon(session: Session) -> int:
    """The oldest transaction id that may still be running in this database (64-bit).

    Order matters: first the next unassigned xid ``x``; then the running transactions of this
    database. A transaction with an xid below ``x`` that is not listed had finished before the
    list was read, so the later SELECT of transfers sees its rows if it committed.
    """
    x = int(
        session.execute(
            text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        ).scalar_one()
    )
    session.execute(text("SELECT pg_stat_clear_snapshot()"))  # no cached activity list
    running = session.execute(
        text(
            "SELECT backend_xid::text::bigint FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL "
            "AND pid <> pg_backend_pid() "
            "UNION ALL SELECT transaction::text::bigint FROM pg_prepared_xacts "
            "WHERE database = current_database()"
        )
    ).scalars()
    horizon = x
    for low32 in running:  # 32-bit xids: put each in x's epoch, or the one before
        full = (x >> 32 << 32) | int(low32)
        if full >= x:
            full -= 1 << 32
        horizon = min(horizon, full)
    return horizon


def seal_transfers(session: Session, *, settings: Settings, at: datetime) -> Seal | None:
    """Seal every transfer committed since the last seal; None when there is nothing new."""
    pg = _is_pg(session)
    if pg:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
    prev = session.execute(select(Seal).order_by(Seal.id.desc()).limit(1)).scalar_one_or_none()
    low = prev.horizon if prev else 0
    if pg:
        high = _pg_horizon(session)
        window = (T.c.txid >= low) & (T.c.txid < high)
    else:
        high = session.execute(select(func.coalesce(func.max(T.c.id), 0))).scalar_one()
        window = (T.c.id > low) & (T.c.id <= high)
    pairs = [
        (row.id, merkle.leaf_hash(row))
        for row in session.execute(select(T).where(window).order_by(T.c.id)).yield_per(5000)
    ]
    if not pairs:
        return None
    root = merkle.merkle_root([h for _, h in pairs])
    prev_hash = prev.seal_hash if prev else merkle.GENESIS
    message = merkle.seal_message(
        prev_hash=prev_hash, merkle_root=root, count=len(pairs), horizon=high
    )
    key = signing_key(settings)
    signature = key.sign(message).hex()
    seal = Seal(
        prev_hash=prev_hash,
        seal_hash=merkle.seal_hash(message, signature),
        merkle_root=root,
        transfer_count=len(pairs),
        horizon=high,
        leaves=merkle.pack_leaves(pairs),
        public_key=public_hex(key),
        signature=signature,
        created_at=at,
    )
    session.add(seal)
    session.flush()
    return seal


@dataclass
class Problem:
    rule: str
    message: str
    transfer_id: int | None = None
    account_id: int | None = None
    seal_id: int | None = None


@dataclass
class VerifyReport:
    transfers: int = 0
    accounts: int = 0
    seals: int = 0
    sealed_transfers: int = 0
    outstanding: int = 0  # personal + pool balances: the city's liability, in minutes
    issued: int = 0
    redeemed: int = 0
    debts: dict[int, int] = field(default_factory=dict)  # allowed negative balances
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_transfer(self) -> int | None:
        ids = [p.transfer_id for p in self.problems if p.transfer_id is not None]
        return min(ids) if ids else None


def _check_seals(
    session: Session, settings: Settings, report: VerifyReport
) -> tuple[dict[int, tuple[bytes, int]], int]:
    sealed: dict[int, tuple[bytes, int]] = {}
    trusted = trusted_keys(settings)
    prev_hash, horizon = merkle.GENESIS, 0
    for seal in session.execute(select(Seal).order_by(Seal.id)).scalars():
        report.seals += 1
        message = merkle.seal_message(
            prev_hash=seal.prev_hash,
            merkle_root=seal.merkle_root,
            count=seal.transfer_count,
            horizon=seal.horizon,
        )
        pairs = list(merkle.unpack_leaves(seal.leaves))
        checks = [
            (seal.prev_hash == prev_hash, "seal_chain", "does not follow the previous seal"),
            (seal.public_key in trusted, "seal_key", "is signed by an untrusted key"),
            (
                signature_ok(seal.public_key, seal.signature, message),
                "seal_signature",
                "has a bad signature",
            ),
            (
                merkle.seal_hash(message, seal.signature) == seal.seal_hash,
                "seal_hash",
                "hash does not match its content",
            ),
            (
                len(pairs) == seal.transfer_count
                and merkle.merkle_root([h for _, h in pairs]) == seal.merkle_root,
                "seal_root",
                "leaves do not match its signed Merkle root",
            ),
        ]
        for ok, rule, what in checks:
            if not ok:
                report.problems.append(Problem(rule, f"seal {seal.id} {what}", seal_id=seal.id))
        for transfer_id, leaf in pairs:
            sealed[transfer_id] = (leaf, seal.id)
        prev_hash, horizon = seal.seal_hash, seal.horizon
    report.sealed_transfers = len(sealed)
    return sealed, horizon


def verify_ledger(session: Session, *, settings: Settings) -> VerifyReport:
    """Recompute every balance from the transfers and every seal from the rows it covers."""
    report = VerifyReport()
    sealed, horizon = _check_seals(session, settings, report)
    pg = _is_pg(session)
    balance: dict[int, int] = defaultdict(int)
    service: dict[int, int] = defaultdict(int)
    holds: dict[int, tuple[int, int]] = {}
    kinds: dict[int, str] = {}
    for row in session.execute(select(T).order_by(T.c.id)).yield_per(10000):
        report.transfers += 1
        kinds[row.id] = row.kind
        entry = sealed.pop(row.id, None)
        if entry is not None and merkle.leaf_hash(row) != entry[0]:
            report.problems.append(
                Problem(
                    "sealed_transfer_changed",
                    f"transfer {row.id} differs from what seal {entry[1]} signed",
                    transfer_id=row.id,
                    seal_id=entry[1],
                )
            )
        elif (
            entry is None
            and report.seals
            and ((row.txid is None or row.txid < horizon) if pg else row.id <= horizon)
        ):
            report.problems.append(
                Problem(
                    "unsealed_in_sealed_range",
                    f"transfer {row.id} lies in a sealed range but no seal covers it",
                    transfer_id=row.id,
                )
            )
        if row.phase == "pending":
            holds[row.id] = (row.debit_account_id, row.amount)
            continue
        if row.phase in ("post", "void"):
            holds.pop(row.pending_id, None)
        if row.phase == "void":
            continue
        balance[row.debit_account_id] -= row.amount
        balance[row.credit_account_id] += row.amount
        if row.kind == "service_credit":
            service[row.credit_account_id] += row.amount
        elif row.kind == "reversal" and kinds.get(row.reverses_id) == "service_credit":
            service[row.debit_account_id] -= row.amount
    for transfer_id, (_, seal_id) in sorted(sealed.items()):
        report.problems.append(
            Problem(
                "sealed_transfer_missing",
                f"transfer {transfer_id} sealed in seal {seal_id} is missing",
                transfer_id=transfer_id,
                seal_id=seal_id,
            )
        )
    pending: dict[int, int] = defaultdict(int)
    for debit, amount in holds.values():
        pending[debit] += amount
    _check_accounts(session, report, balance, pending, service)
    if sum(balance.values()) != 0:
        report.problems.append(Problem("I1", "the balances of all accounts do not sum to zero"))
    report.problems.sort(key=lambda p: (p.transfer_id is None, p.transfer_id or 0))
    return report


def _check_accounts(
    session: Session,
    report: VerifyReport,
    balance: dict[int, int],
    pending: dict[int, int],
    service: dict[int, int],
) -> None:
    for acc in session.execute(select(Account).order_by(Account.id)).scalars():
        report.accounts += 1
        derived = balance.get(acc.id, 0)
        if acc.kind == "issuance":
            report.issued = -derived
        elif acc.kind == "redemption":
            report.redeemed = derived
        else:
            report.outstanding += derived
        if not acc.tracked:
            continue
        stored = (acc.balance, acc.pending, acc.service_minutes)
        wanted = (derived, pending.get(acc.id, 0), service.get(acc.id, 0))
        if stored != wanted:
            report.problems.append(
                Problem(
                    "I2",
                    f"account {acc.id} stores balance/held/service {stored} "
                    f"but its transfers give {wanted}",
                    account_id=acc.id,
                )
            )
        if derived - pending.get(acc.id, 0) < 0:
            if acc.allow_negative:
                report.debts[acc.id] = derived
            else:
                report.problems.append(
                    Problem("I3", f"account {acc.id} is overdrawn", account_id=acc.id)
                )
