"""What the server itself can do: the same service credits as one SQL statement each, driven
by pgbench's C client on the bench database. Not the product's code path: an upper bound for a
rewrite of ``credit_service`` / ``post_transfers`` with the current schema and indexes."""

from __future__ import annotations

import os
import tempfile

_INSERT = """INSERT INTO ledger_transfers (key, kind, phase, debit_account_id, credit_account_id,
      amount, reference, value_date, actor, created_at)"""

# One credit: the volunteer must be active, their earned account is locked, the day's total
# is read under that lock and the daily cap (480 minutes) respected, then transfer + balance.
SINGLE = f"""\\set v random(1, :volunteers)
\\set d random(0, 3649)
BEGIN;
WITH acc AS (
  SELECT a.id FROM persons p JOIN ledger_accounts a ON a.person_id = p.id AND a.kind = 'earned'
  WHERE p.id = :v AND p.status = 'active' FOR UPDATE OF a
), room AS (
  SELECT acc.id, 480 - coalesce((SELECT sum(t.amount) FROM ledger_transfers t
    WHERE t.credit_account_id = acc.id AND t.kind = 'service_credit'
    AND t.value_date = DATE '2020-01-01' + :d::int), 0) AS room FROM acc
), ins AS (
  {_INSERT}
  SELECT 'sql:' || gen_random_uuid(), 'service_credit', 'single', 1, id, 60, 'visit',
    DATE '2020-01-01' + :d::int, 'station:1', now() FROM room WHERE room >= 60
  RETURNING credit_account_id, amount
)
UPDATE ledger_accounts a SET balance = a.balance + ins.amount,
  service_minutes = a.service_minutes + ins.amount FROM ins WHERE a.id = ins.credit_account_id;
END;
"""

# A batch of :batch credits to this client's own slice of volunteers (as bench/ledger.py's
# batched phase): accounts locked in id order, one INSERT, one UPDATE per account.
BATCH = f"""BEGIN;
WITH picks AS (
  SELECT 1 + :client_id::int
    + :clients::int * floor(random() * (:volunteers::int / :clients::int))::int AS v,
    DATE '2020-01-01' + floor(random() * 3650)::int AS day
  FROM generate_series(1, :batch::int)
), acc AS (
  SELECT a.id, a.person_id FROM ledger_accounts a
  WHERE a.kind = 'earned' AND a.person_id IN (SELECT v FROM picks) ORDER BY a.id FOR UPDATE
), ins AS (
  {_INSERT}
  SELECT 'sqlb:' || gen_random_uuid(), 'service_credit', 'single', 1, acc.id, 60, 'visit',
    picks.day, 'station:1', now() FROM picks JOIN acc ON acc.person_id = picks.v
  RETURNING credit_account_id, amount
)
UPDATE ledger_accounts a SET balance = a.balance + s.total,
  service_minutes = a.service_minutes + s.total
FROM (SELECT credit_account_id, sum(amount) AS total FROM ins GROUP BY 1) s
WHERE a.id = s.credit_account_id;
END;
"""


def pgbench_args(name: str, workers: int, volunteers: int, batch: int) -> tuple[list[str], int]:
    """pgbench options running the ``single`` or ``batched`` script, and credits per
    transaction. The script is written to a file in the temp directory."""
    script, per = (SINGLE, 1) if name == "single" else (BATCH, batch)
    path = os.path.join(tempfile.gettempdir(), f"bench-ledger-sql-{name}.sql")
    with open(path, "w") as f:
        f.write(script)
    defs = [f"volunteers={volunteers}", f"clients={workers}", f"batch={per}"]
    return ["-n", "-f", path, *(x for d in defs for x in ("-D", d))], per
