"""Supervision: fraud detection as pure, named rules over plain records (no database here).

Two ways to run the same rules:

- at write time, after a visit, gift, donation or redemption commits:
  ``check_visit(visit, VisitContext(...))`` / ``check_transfer(event, TransferContext(...))``;
- as a full scan over columnar tables: ``full_scan(VisitTable, TransferTable, AccountTable)``.

Both return ``Alert``s whose ``dedup_key`` names the fact, so storing them is idempotent.
Thresholds live in ``DetectorParams``; ``synth.make_city`` plants fraud for tests and the bench.
"""

from timebank.supervision.events import (
    Account,
    Alert,
    Donation,
    Gift,
    Redemption,
    Rule,
    Visit,
    dedupe,
)
from timebank.supervision.live import (
    TransferContext,
    VisitContext,
    check_donation,
    check_gift,
    check_redemption,
    check_transfer,
    check_visit,
)
from timebank.supervision.params import DEFAULT_PARAMS, DetectorParams
from timebank.supervision.scan import ScanResult, full_scan
from timebank.supervision.tables import AccountTable, TransferTable, VisitTable

__all__ = [
    "DEFAULT_PARAMS",
    "Account",
    "AccountTable",
    "Alert",
    "DetectorParams",
    "Donation",
    "Gift",
    "Redemption",
    "Rule",
    "ScanResult",
    "TransferContext",
    "TransferTable",
    "Visit",
    "VisitContext",
    "VisitTable",
    "check_donation",
    "check_gift",
    "check_redemption",
    "check_transfer",
    "check_visit",
    "dedupe",
    "full_scan",
]
