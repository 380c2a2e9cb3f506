"""A year of activity through the batched posting engine, one evening at a time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from timebank.demo.activity import Activity
from timebank.demo.calendar import posting_at
from timebank.demo.progress import Advance
from timebank.demo.specs import Ids, evening
from timebank.ledger.core import post_transfers

ACTOR = "system:demo"
BATCH = 5_000  # specs per post_transfers call


def post_year(session: Session, activity: Activity, ids: Ids, advance: Advance) -> int:
    """Post every evening's batch in order; returns how many transfers were written."""
    known: dict[str, int] = {}  # open holds and transfers a later reversal names
    reversed_keys = {ids.key(m.reverses) for m in activity.movements if m.reverses}
    written = 0
    for day in Activity.posting_days():
        specs = evening(ids, day, activity.visits_on, activity.movements_on, known)
        at = posting_at(day)
        for i in range(0, len(specs), BATCH):
            for posted in post_transfers(session, specs[i : i + BATCH], actor=ACTOR, at=at):
                if posted.phase == "pending" or posted.key in reversed_keys:
                    known[posted.key] = posted.id
                written += not posted.replayed
        advance(len(specs))
    return written


def count_specs(activity: Activity) -> int:
    """How many transfers the year will post (for the progress bar)."""
    per_visit = sum(bool(v.credited) + 2 * len(v.holds) for v in activity.visits)
    return per_visit + len(activity.movements)
