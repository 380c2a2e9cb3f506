"""Ledger tables: accounts, immutable transfers, signed seals.

Balances follow one sign convention everywhere: ``balance = credits - debits`` (posted only).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base, BigId, UTCDateTime

# System accounts have fixed ids, inserted by the first migration.
ISSUANCE_ID = 1  # debited by every service credit
REDEMPTION_ID = 2  # credited by every spend
POOL_ID = 3  # the city donation pool
UNTRACKED_IDS = frozenset({ISSUANCE_ID, REDEMPTION_ID})

PERSONAL_KINDS = ("earned", "received")
SYSTEM_KINDS = ("issuance", "redemption", "pool")


class Account(Base):
    """A coin account. Tracked accounts (personal and the pool) keep a locked running balance;
    untracked ones (issuance, redemption) are hot and keep none: their balances are derived."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("person_id", "kind"),
        CheckConstraint(
            "kind IN ('earned','received','issuance','redemption','pool')", name="kind"
        ),
        CheckConstraint("pending >= 0", name="pending_nonneg"),
        # I3 in the database itself: available balance never below zero unless debt is allowed.
        CheckConstraint("allow_negative OR balance - pending >= 0", name="no_overdraft"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)  # posted credits - debits
    pending: Mapped[int] = mapped_column(BigInteger, default=0)  # held by open pending debits
    service_minutes: Mapped[int] = mapped_column(BigInteger, default=0)  # own lifetime service
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Transfer(Base):
    """An immutable movement of ``amount`` minutes from ``debit`` to ``credit``.

    phase: ``single`` (posted at once), ``pending`` (a hold), ``post`` / ``void`` (resolve the
    pending transfer ``pending_id``, exactly once). A reversal names ``reverses_id``, at most once.
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        CheckConstraint("phase IN ('single','pending','post','void')", name="phase"),
        CheckConstraint(
            "(phase IN ('post','void')) = (pending_id IS NOT NULL)", name="pending_link"
        ),
        Index("ix_ledger_transfers_debit", "debit_account_id", "id"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "id"),
        Index("ix_ledger_transfers_credit_day", "credit_account_id", "value_date"),
        Index("ix_ledger_transfers_reference", "reference"),
        Index("ix_ledger_transfers_txid", "txid"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)  # client-chosen idempotency key
    kind: Mapped[str] = mapped_column(String(24))
    phase: Mapped[str] = mapped_column(String(8), default="single")
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transfers.id"), unique=True)
    reference: Mapped[str | None] = mapped_column(String(64))
    value_date: Mapped[date | None] = mapped_column(Date)  # local service day, for daily caps
    memo: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(80))  # who initiated, e.g. "proxy:12 for person:7"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # PostgreSQL: the inserting transaction id (default set in the migration); seals partition
    # transfers by it so sealing never waits for, or blocks, writers. SQLite: NULL.
    txid: Mapped[int | None] = mapped_column(BigInteger)


class Seal(Base):
    """A signed checkpoint: Merkle root over the transfers since the previous seal, chained."""

    __tablename__ = "ledger_seals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # no forks
    seal_hash: Mapped[str] = mapped_column(String(64), unique=True)
    merkle_root: Mapped[str] = mapped_column(String(64))
    transfer_count: Mapped[int] = mapped_column(BigInteger)
    horizon: Mapped[int] = mapped_column(BigInteger)  # PG: txid bound; SQLite: last id sealed
    leaves: Mapped[bytes] = mapped_column(LargeBinary)  # (id:8 bytes, leaf hash:32 bytes)*
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
