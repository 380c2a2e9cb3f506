"""An in-memory mirror of the accounts the demo posts to, so every planned movement is known
to be affordable before it reaches the engine (which would refuse an overdraft anyway)."""

from __future__ import annotations

from timebank.demo.planned import POOL


class Shadow:
    """Balance and held minutes per slot, updated exactly as ``core.post_transfers`` does."""

    def __init__(self, people: int) -> None:
        self._pool = 2 * people
        self.balance = [0] * (2 * people + 1)
        self.pending = [0] * (2 * people + 1)

    def _i(self, slot: int) -> int:
        return self._pool if slot == POOL else slot

    def available(self, slot: int) -> int:
        i = self._i(slot)
        return self.balance[i] - self.pending[i]

    def _debit(self, slot: int, amount: int) -> None:
        if self.available(slot) < amount:
            raise AssertionError(f"demo plan overdraws slot {slot}")
        self.balance[self._i(slot)] -= amount

    def receive(self, slot: int, amount: int) -> None:
        """Coins arrive from an untracked account: a service credit, a refunded payment."""
        self.balance[self._i(slot)] += amount

    def move(self, debit: int, credit: int, amount: int) -> None:
        """A single posted transfer between two tracked accounts."""
        self._debit(debit, amount)
        self.balance[self._i(credit)] += amount

    def burn(self, slot: int, amount: int) -> None:
        """Coins leave for an untracked account (a reversed credit goes back to issuance)."""
        self._debit(slot, amount)

    def hold(self, slot: int, amount: int) -> None:
        if self.available(slot) < amount:
            raise AssertionError(f"demo plan over-holds slot {slot}")
        self.pending[self._i(slot)] += amount

    def settle(self, slot: int, held: int, posted: int) -> None:
        """Post ``posted`` of a ``held`` hold (0: void it); the rest is released."""
        i = self._i(slot)
        self.pending[i] -= held
        self.balance[i] -= posted
