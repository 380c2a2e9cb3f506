"""A person's statement: every movement on their accounts, with running balances."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.clock import LOCAL_TZ
from timebank.ledger.models import Account, Transfer

KIND_ZH = {
    "service_credit": "服务存入",
    "service_payment": "兑换服务",
    "gift": "赠予",
    "donation": "捐赠",
    "allocation": "公益池划拨",
    "admission": "入住申请",
    "bequest": "遗赠",
    "reversal": "冲正",
}


@dataclass(frozen=True)
class Line:
    transfer_id: int
    at: datetime
    account: str  # earned | received
    kind: str
    phase: str
    amount: int  # signed minutes on this account (0 for a hold, which only reserves)
    held: int  # signed change in held minutes
    balance: int  # running posted balance of this account
    reference: str | None


def statement(session: Session, *, person_id: int) -> list[Line]:
    accounts = {
        a.id: a.kind
        for a in session.execute(select(Account).where(Account.person_id == person_id)).scalars()
    }
    if not accounts:
        return []
    rows = session.execute(
        select(Transfer)
        .where(
            or_(
                Transfer.debit_account_id.in_(accounts),
                Transfer.credit_account_id.in_(accounts),
            )
        )
        .order_by(Transfer.id)
    ).scalars()
    running = dict.fromkeys(accounts, 0)
    holds: dict[int, int] = {}
    lines = []
    for t in rows:
        for account_id, sign in ((t.debit_account_id, -1), (t.credit_account_id, 1)):
            if account_id not in accounts:
                continue
            amount = held = 0
            if t.phase == "pending":
                held = t.amount if sign < 0 else 0
                holds[t.id] = held
            else:
                if t.phase in ("post", "void") and t.pending_id is not None and sign < 0:
                    held = -holds.pop(t.pending_id, 0)
                if t.phase != "void":
                    amount = sign * t.amount
            running[account_id] += amount
            lines.append(
                Line(
                    transfer_id=t.id,
                    at=t.created_at,
                    account=accounts[account_id],
                    kind=t.kind,
                    phase=t.phase,
                    amount=amount,
                    held=held,
                    balance=running[account_id],
                    reference=t.reference,
                )
            )
    return lines


def statement_csv(lines: list[Line]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "transfer",
            "time (Asia/Shanghai)",
            "account",
            "kind",
            "类型",
            "phase",
            "minutes",
            "hours",
            "held minutes",
            "balance minutes",
            "reference",
        ]
    )
    for line in lines:
        writer.writerow(
            [
                line.transfer_id,
                line.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                line.account,
                line.kind,
                KIND_ZH.get(line.kind, line.kind),
                line.phase,
                line.amount,
                f"{line.amount / 60:.2f}",
                line.held,
                line.balance,
                line.reference or "",
            ]
        )
    return out.getvalue()
