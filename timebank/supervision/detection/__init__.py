"""Fraud detection as pure, named rules over plain records (no database, no ORM here).

Two ways to run the same rules:

- at write time, after a visit, gift, donation or redemption commits:
  ``live.check_visit(visit, VisitContext(...))`` or
  ``live.check_transfer(event, TransferContext(...))``;
- as a full scan over columnar tables: ``scan.full_scan(VisitTable, TransferTable, AccountTable)``.

Both return ``facts.Alert``s whose ``dedup_key`` names the fact, so storing them is idempotent.
Thresholds live in ``params.DetectorParams``; ``timebank.demo.synth`` plants fraud for tests
and the bench.
"""
