"""What happens in the demo year, before any of it is posted: visits and coin movements.

``Visit`` is the source of truth for each service: the ledger specs are derived from it (and
the care module will persist it). Accounts are named by *slot*: a person's ``earned`` account
is slot ``2 * index``, ``received`` is ``2 * index + 1``, and the city pool is ``POOL``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from timebank.demo.calendar import local_at

POOL = -1


def earned(person: int) -> int:
    return 2 * person


def received(person: int) -> int:
    return 2 * person + 1


def owner(slot: int) -> int | None:
    return None if slot == POOL else slot // 2


@dataclass(slots=True)
class Visit:
    number: int
    day: date  # local service day
    volunteer: int  # person index
    elder: int  # person index of the elder served (an attendee, for a group activity)
    station: int  # index of the organisation that reviews and confirms it
    category: str
    start_minute: int  # local minutes after midnight
    minutes: int  # confirmed duration
    booked: int  # minutes held when the need was reviewed; 0 when nobody pays
    holds: list[tuple[int, int]] = field(default_factory=list)  # (slot, minutes), in order
    with_guardian: bool = False  # a student serving beside their guardian
    cancelled: bool = False  # the elder called it off: nothing credited, the hold voided
    credited: int = 0  # minted to the volunteer: rounded to the unit, within the daily cap
    paid: list[int] = field(default_factory=list)  # posted from each hold (0: voided)
    reversed_on: date | None = None  # found recorded twice; credit and payment reversed

    @property
    def start(self) -> datetime:
        return local_at(self.day, self.start_minute)

    @property
    def payer(self) -> str:
        """``pool``, ``elder``, ``spouse`` (the elder's spouse pays) or ``nobody``."""
        if not self.holds:
            return "nobody"
        slot = self.holds[0][0]
        if slot == POOL:
            return "pool"
        return "elder" if owner(slot) == self.elder else "spouse"


@dataclass(frozen=True, slots=True)
class Movement:
    """A coin movement that is not part of a visit: gift, donation, allocation, reversal."""

    number: int
    day: date
    kind: str
    debit: int | None = None  # slot
    credit: int | None = None  # slot
    amount: int | None = None
    memo: str | None = None
    reverses: str | None = None  # key suffix of the transfer a reversal undoes
    recipient: int | None = None  # person index, for the reference of gifts and allocations
