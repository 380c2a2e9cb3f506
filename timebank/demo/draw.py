"""A thin, fast wrapper over ``random.Random``: the demo draws millions of numbers.

``randint`` and ``choices`` cost several times ``random()``; these helpers build on
``random()`` alone. String seeds are hashed with SHA-512 by ``random``, so streams are stable
across runs and machines (no ``PYTHONHASHSEED`` involved).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Draw:
    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)
        self.random = self._rng.random

    def between(self, low: int, high: int) -> int:
        """A whole number in ``low..high``, both included."""
        return low + int(self.random() * (high - low + 1))

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def gauss(self, mu: float, sigma: float) -> float:
        return self._rng.gauss(mu, sigma)

    def lognormal(self, mu: float, sigma: float) -> float:
        return self._rng.lognormvariate(mu, sigma)

    def shuffle(self, items: list[T]) -> None:
        self._rng.shuffle(items)


class Weighted(Generic[T]):
    """Items drawn by weight through a precomputed cumulative table."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, d: Draw) -> T:
        return self.items[bisect_right(self.cum, d.random() * self.total)]
