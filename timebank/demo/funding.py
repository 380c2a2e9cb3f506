"""Coins that move outside visits: gifts to elderly kin, donations to the pool, the pool's
monthly allocations to priority elders, and the reversal of visits found recorded twice."""

from __future__ import annotations

import calendar as months
from collections import defaultdict
from datetime import date, timedelta

from timebank.demo.calendar import DOUBLE_NINTH, END, SPRING_FESTIVAL, START
from timebank.demo.draw import Draw
from timebank.demo.families import Population
from timebank.demo.plan import DemoPlan
from timebank.demo.planned import POOL, Movement, Visit, earned, received
from timebank.demo.residents import PRIORITY
from timebank.demo.shadow import Shadow
from timebank.policy import Policy

DUPLICATE = "重复录入：同一次服务登记了两次"  # the correction's stated reason


def _month_starts() -> list[date]:
    firsts, day = [], START.replace(day=1)
    while day <= END:
        firsts.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return firsts


class Funding:
    def __init__(self, plan: DemoPlan, pop: Population, policy: Policy, shadow: Shadow):
        self.plan, self.policy, self.shadow = plan, policy, shadow
        self.people = pop.people
        self.rng: Draw = plan.rng("funding")
        self.movements: list[Movement] = []
        self.by_day: dict[date, list[Movement]] = defaultdict(list)
        self.last_gift: dict[int, date] = {}  # recipient -> day of the last gift received
        self.last_paid: dict[int, date] = {}  # person -> last day their coins paid for care
        # Half of each donation waits for the street's monthly allocation; the other half
        # pays priority elders' needs directly.
        self.earmarked = 0
        self._reversals: dict[date, list[Visit]] = defaultdict(list)
        self._given: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        self._given_to: dict[tuple[int, int, int], int] = defaultdict(int)
        # Who gives to whom, from when: a volunteer to an elderly parent or grandparent, or to
        # the spouse they look after, once a station has verified the kinship.
        self.kin_of: dict[int, list[tuple[int, date]]] = defaultdict(list)
        for k in pop.kin:
            a, b = self.people[k.person], self.people[k.relative]
            if k.verified is None or (k.relation == "spouse" and a.role == b.role):
                continue
            giver, recipient = (
                (b, a) if k.relation == "spouse" and b.role == "volunteer" else (a, b)
            )
            if giver.role == "volunteer" and recipient.age_on(START) >= 60:
                self.kin_of[giver.index].append((recipient.index, k.verified))
        self.priority = [p.index for p in self.people if p.priority]
        self._gifts_on = self._plan_days(list(self.kin_of), plan.gift_month_chance, festive=True)
        donors = [p.index for p in self.people if p.role == "volunteer"]
        self._donations_on = self._plan_days(donors, plan.donation_month_chance, festive=False)

    def _plan_days(self, who: list[int], chance: float, *, festive: bool) -> dict[date, list[int]]:
        """The day of each month on which each person acts, if they do that month."""
        days: dict[date, list[int]] = defaultdict(list)
        rng = self.rng
        for first in _month_starts():
            length = months.monthrange(first.year, first.month)[1]
            for person in who:
                if rng.chance(chance):
                    days[first + timedelta(days=rng.below(length))].append(person)
        # Before the Spring Festival children top up their parents; at 重阳 people donate.
        peak, extra = (SPRING_FESTIVAL, 0.5) if festive else (DOUBLE_NINTH, 0.1)
        for person in who:
            if rng.chance(extra):
                days[peak - timedelta(days=rng.between(1, 7))].append(person)
        return days

    def _add(
        self,
        day: date,
        kind: str,
        *,
        amount: int,
        debit: int | None = None,
        credit: int | None = None,
        memo: str | None = None,
        reverses: str | None = None,
        recipient: int | None = None,
    ) -> None:
        number = len(self.movements) + 1
        move = Movement(number, day, kind, debit, credit, amount, memo, reverses, recipient)
        self.movements.append(move)
        self.by_day[day].append(move)

    def pool_free(self) -> int:
        """Pool coins a priority elder's need may hold today."""
        return self.shadow.available(POOL) - self.earmarked

    def recently_gifted(self, person: int, day: date) -> bool:
        """Gifted coins wait two days before paying for care (a gift spent at once is a
        supervision signal, and a family does not work that way)."""
        last = self.last_gift.get(person)
        return last is not None and (day - last).days < 2

    def schedule_reversal(self, visit: Visit, day: date) -> None:
        if day <= END:
            self._reversals[day].append(visit)

    def run(self, day: date) -> None:
        """Today's movements, in the order they are posted: reversals, gifts, donations,
        allocations (after the donations that feed them)."""
        for visit in self._reversals.pop(day, []):
            self._reverse(visit, day)
        for giver in self._gifts_on.pop(day, []):
            self._gift(giver, day)
        for donor in self._donations_on.pop(day, []):
            self._donate(donor, day)
        if day.day == 1:
            self._allocate(day)

    def _reverse(self, visit: Visit, day: date) -> None:
        account = earned(visit.volunteer)
        if self.shadow.available(account) < visit.credited:
            return  # already spent: the district would open a case instead
        self.shadow.burn(account, visit.credited)
        self._add(day, "reversal", debit=account, amount=visit.credited, memo=DUPLICATE,
                  reverses=f"visit:{visit.number}:credit")  # fmt: skip
        for k, ((slot, _), paid) in enumerate(zip(visit.holds, visit.paid, strict=True)):
            if paid:
                self.shadow.receive(slot, paid)
                self._add(day, "reversal", credit=slot, amount=paid, memo=DUPLICATE,
                          reverses=f"visit:{visit.number}:settle:{k}")  # fmt: skip
        visit.reversed_on = day

    def _gift(self, giver: int, day: date) -> None:
        rng, policy = self.rng, self.policy
        kin = [r for r, verified in self.kin_of[giver] if verified <= day]
        if not kin:
            return
        recipient = rng.pick(kin)
        share = 0.3 + rng.random() * (self.plan.gift_share - 0.3)
        amount = int(self.shadow.available(earned(giver)) * share)
        given = self._given[(giver, day.year)]
        to_recipient = self._given_to[(giver, recipient, day.year)]
        for limit, used in (
            (policy.gift_yearly_limit_minutes, given[0]),
            (policy.gift_per_recipient_yearly_limit_minutes, to_recipient),
        ):
            if limit:
                amount = min(amount, limit - used)
        amount = amount // 60 * 60  # families give whole coins
        count_limit = policy.gift_yearly_count_limit
        if amount < 60 or (count_limit and given[1] >= count_limit):
            return
        held = self.shadow.pending[received(recipient)] + self.shadow.pending[earned(recipient)]
        if held or self.last_paid.get(recipient) == day:
            # A payment posted today or held for tomorrow's visit would fall within hours of
            # the gift: families give between visits, not as the bill comes (a gift spent at
            # once is a supervision signal).
            return
        self.shadow.move(earned(giver), received(recipient), amount)
        given[0] += amount
        given[1] += 1
        self._given_to[(giver, recipient, day.year)] += amount
        self.last_gift[recipient] = day
        self._add(day, "gift", debit=earned(giver), credit=received(recipient), amount=amount,
                  recipient=recipient)  # fmt: skip

    def _donate(self, donor: int, day: date) -> None:
        available = self.shadow.available(earned(donor))
        amount = min(60 * self.rng.between(1, 4), available // 2 // 60 * 60)
        if amount >= 60:
            self.shadow.move(earned(donor), POOL, amount)
            self.earmarked += amount // 2
            self._add(day, "donation", debit=earned(donor), credit=POOL, amount=amount)

    def _allocate(self, day: date) -> None:
        """The street tops up priority elders running low, from the earmarked coins."""
        budget = min(self.earmarked, self.shadow.available(POOL))
        size, below = self.plan.allocation_minutes, self.plan.allocation_below
        if not self.priority:
            return
        turn = day.month % len(self.priority)
        for elder in self.priority[turn:] + self.priority[:turn]:
            if budget < size:
                break
            person = self.people[elder]
            if person.joined < day and self.shadow.available(received(elder)) < below:
                self.shadow.move(POOL, received(elder), size)
                budget -= size
                self.earmarked -= size
                self._add(day, "allocation", debit=POOL, credit=received(elder), amount=size,
                          memo=PRIORITY.get(person.priority or ""), recipient=elder)  # fmt: skip
