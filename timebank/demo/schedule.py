"""Who serves on a given day, when, in which category and for how long."""

from __future__ import annotations

import math
from datetime import date

from timebank.demo.calendar import LAST_END_MINUTE, START_HOURS, START_WEIGHTS, day_factor
from timebank.demo.draw import Draw, Weighted
from timebank.demo.residents import PersonPlan

# The city's eight categories (DESIGN §2). Group activities are organised by a station for the
# elders of its street; the others answer one elder's published need.
GROUP = Weighted(["culture_sports", "health_science", "training"], [45, 35, 20])
INDIVIDUAL = Weighted(["emotional_comfort", "assistance", "travel_companion"], [35, 35, 30])
PROFESSIONAL = {"lawyer": "legal_aid", "financial": "financial_guidance"}  # licence -> item
BOOKED = {  # minutes a need books: (shortest, longest), in half hours
    "emotional_comfort": (60, 120),
    "assistance": (60, 120),
    "travel_companion": (90, 180),
    "legal_aid": (60, 90),
    "financial_guidance": (60, 90),
    "culture_sports": (90, 150),
    "health_science": (60, 120),
    "training": (60, 120),
}
# A confirmed visit rarely lasts exactly what was booked.
OVERRUN = (-20, -15, -10, -5, 0, 0, 0, 5, 10, 15, 25)
MAX_VISITS_A_DAY = 3
STARTS = Weighted(list(START_HOURS), list(START_WEIGHTS))


class Schedule:
    def __init__(self, rng: Draw, people: list[PersonPlan], slots_per_volunteer_day: float):
        self.rng = rng
        self.volunteers = [p for p in people if p.role == "volunteer" and not p.is_student]
        weights = []
        for person in self.volunteers:
            # A few volunteers do most of the work; the recently retired have the most time.
            age = person.age_on(person.joined)
            boost = 1.8 if 55 <= age <= 69 else 0.7 if age < 25 else 1.0
            weights.append(min(rng.lognormal(0.0, 1.0), 12.0) * boost)
        self.pick_volunteer = Weighted(self.volunteers, weights)
        self.base = slots_per_volunteer_day * len(self.volunteers)

    def serving(self, day: date) -> dict[int, int]:
        """volunteer index -> service slots today, for volunteers already active."""
        mean = self.base * day_factor(day)
        count = max(0, round(self.rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
        slots: dict[int, int] = {}
        for _ in range(count):
            person = self.pick_volunteer.draw(self.rng)
            if person.activated is None or person.activated > day:
                continue
            slots[person.index] = min(slots.get(person.index, 0) + 1, MAX_VISITS_A_DAY)
        return slots

    def first_start(self) -> int:
        return STARTS.draw(self.rng) * 60 + 15 * self.rng.below(4)

    def travel(self) -> int:
        return 5 * self.rng.between(4, 12)  # 20–60 minutes to the next elder

    def booked(self, category: str, start: int) -> int:
        low, high = BOOKED[category]
        minutes = 30 * self.rng.between(low // 30, high // 30)
        # Evening visits are kept short enough to end before the night.
        return min(minutes, (LAST_END_MINUTE - start) // 30 * 30)

    def confirmed(self, booked: int, start: int) -> int:
        minutes = min(max(booked + self.rng.pick(OVERRUN), 30), 180)
        return min(minutes, LAST_END_MINUTE - start)

    def individual_category(self, licences: list[str]) -> str:
        professional = [PROFESSIONAL[t] for t in licences if t in PROFESSIONAL]
        if professional and self.rng.chance(0.5):
            return self.rng.pick(professional)
        return INDIVIDUAL.draw(self.rng)

    def group_category(self) -> str:
        return GROUP.draw(self.rng)
