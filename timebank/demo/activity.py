"""A year of the demo city's time bank, simulated day by day in memory.

Each evening (``calendar.POSTING_TIME``) the day's visits are confirmed — credits minted,
holds posted or voided —, reversals, gifts, donations and allocations follow, and the needs
of the next day are reviewed: each is held against the elder's own coins, their spouse's, or
the pool's for a priority elder, and is not published when nobody can pay. Group activities
organised by a station are credited to their volunteers and paid by nobody: they are how
coins first come into a city that starts with none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from timebank.demo import calendar
from timebank.demo.families import Population
from timebank.demo.funding import Funding
from timebank.demo.plan import DemoPlan
from timebank.demo.planned import POOL, Movement, Visit, earned
from timebank.demo.residents import PersonPlan
from timebank.demo.schedule import Schedule
from timebank.demo.shadow import Shadow
from timebank.ledger.rules import credit_minutes
from timebank.policy import Policy


@dataclass
class Activity:
    visits: list[Visit]
    movements: list[Movement]
    visits_on: dict[date, list[Visit]]
    movements_on: dict[date, list[Movement]]
    shadow: Shadow

    @staticmethod
    def posting_days() -> list[date]:
        """Each evening's batch, from the eve of the demo year (tomorrow's needs only)."""
        return [calendar.START - timedelta(days=1), *calendar.days()]


class _Year:
    def __init__(self, plan: DemoPlan, pop: Population, policy: Policy):
        self.plan, self.policy = plan, policy
        self.people = pop.people
        self.rng = plan.rng("activity")
        self.shadow = Shadow(len(self.people))
        self.schedule = Schedule(plan.rng("schedule"), self.people, plan.slots_per_volunteer_day)
        self.funding = Funding(plan, pop, policy, self.shadow)
        self.visits: list[Visit] = []
        self.visits_on: dict[date, list[Visit]] = defaultdict(list)
        self.busy: dict[int, date] = {}  # elder -> last day with a visit of their own
        self.elders_of_street: dict[str, list[int]] = defaultdict(list)
        self.elders_of_district: dict[str, list[int]] = defaultdict(list)
        # Elders who can ever pay for a need: a relative gives them coins, a volunteering
        # spouse pays, or the pool funds them. The others take part in group activities.
        paid_for = {r for kin in self.funding.kin_of.values() for r, _ in kin}
        self.payers_of_street: dict[str, list[int]] = defaultdict(list)
        self.payers_of_district: dict[str, list[int]] = defaultdict(list)
        for p in self.people:
            if p.role == "elder":
                self.elders_of_street[p.street].append(p.index)
                self.elders_of_district[p.district].append(p.index)
                spouse = self.people[p.spouse] if p.spouse is not None else None
                if p.priority or p.index in paid_for or (spouse and spouse.role == "volunteer"):
                    self.payers_of_street[p.street].append(p.index)
                    self.payers_of_district[p.district].append(p.index)
        self.students: dict[int, list[int]] = defaultdict(list)
        for p in self.people:
            if p.is_student and p.guardian is not None:
                self.students[p.guardian].append(p.index)
        self.spouse_from: dict[int, date] = {}  # person -> day their marriage was verified
        for k in pop.kin:
            if k.relation == "spouse" and k.verified is not None:
                self.spouse_from[k.person] = self.spouse_from[k.relative] = k.verified
        self.licences: dict[int, list[tuple[str, date]]] = defaultdict(list)
        for lic in pop.licences:
            if lic.verified is not None:
                self.licences[lic.person].append((lic.type, lic.verified))
        self._rosters: dict[int, list[int]] = {}

    def run(self, on_day: Callable[[int], None]) -> Activity:
        for day in Activity.posting_days():
            self._confirm(day)
            self.funding.run(day)
            if day < calendar.END:
                self._review(day + timedelta(days=1))
            on_day(day >= calendar.START)
        return Activity(
            self.visits, self.funding.movements, self.visits_on, self.funding.by_day, self.shadow
        )

    def _confirm(self, day: date) -> None:
        visits = self.visits_on.get(day, [])
        today: dict[int, int] = defaultdict(int)  # minutes credited per volunteer
        for v in visits:  # a volunteer's visits are in start order
            v.credited = credit_minutes(v.minutes, today[v.volunteer], self.policy)
            today[v.volunteer] += v.credited
            if v.credited:
                self.shadow.receive(earned(v.volunteer), v.credited)
        for v in visits:
            left = min(v.credited, v.booked)
            for slot, held in v.holds:
                take = min(left, held)
                left -= take
                self.shadow.settle(slot, held, take)
                v.paid.append(take)
                if take and slot != POOL:
                    self.funding.last_paid[slot // 2] = day
            if v.credited and self.rng.chance(self.plan.reversal_chance):
                self.funding.schedule_reversal(v, day + timedelta(days=self.rng.between(3, 10)))

    def _review(self, day: date) -> None:
        """Plan tomorrow's visits and hold what each costs."""
        plan, rng = self.plan, self.rng
        for volunteer, slots in self.schedule.serving(day).items():
            person = self.people[volunteer]
            start = self.schedule.first_start()
            for _ in range(slots):
                if rng.chance(plan.community_share):
                    visit = self._group(person, day, start)
                else:
                    visit = self._need(person, day, start)
                    if visit is None and rng.chance(plan.unfunded_to_community):
                        visit = self._group(person, day, start)
                if visit is None:
                    continue
                start = visit.start_minute + visit.minutes + self.schedule.travel()
                if start > calendar.LAST_END_MINUTE - 30:
                    break

    def _add(self, visit: Visit) -> Visit:
        self.visits.append(visit)
        self.visits_on[visit.day].append(visit)
        return visit

    def _need(self, person: PersonPlan, day: date, start: int) -> Visit | None:
        """One of the volunteer's regular elders, if their need can be paid for."""
        roster = self._roster(person)
        if not roster:
            return None
        licences = self.licences.get(person.index)
        category = self.schedule.individual_category(
            [t for t, since in licences if since < day] if licences else []
        )
        booked = self.schedule.booked(category, start)
        if booked < 30:
            return None
        first = self.rng.below(len(roster))
        for i in range(len(roster)):  # the regulars in turn, from a random one
            elder = self.people[roster[(first + i) % len(roster)]]
            if elder.joined >= day or self.busy.get(elder.index) == day:
                continue
            holds = self._fund(elder, booked, day - timedelta(days=1))
            if holds is None:
                continue
            for slot, minutes in holds:
                self.shadow.hold(slot, minutes)
            self.busy[elder.index] = day
            # Now and then the elder calls it off (a cold, a hospital stay): the hold is voided.
            cancelled = self.rng.chance(self.plan.cancel_chance)
            minutes = 0 if cancelled else self.schedule.confirmed(booked, start)
            number = len(self.visits) + 1
            return self._add(
                Visit(
                    number,
                    day,
                    person.index,
                    elder.index,
                    elder.reviewer,
                    category,
                    start,
                    minutes,
                    booked,
                    holds,
                    cancelled=cancelled,
                )
            )
        return None

    def _fund(self, elder: PersonPlan, need: int, today: date) -> list[tuple[int, int]] | None:
        """Holds covering ``need``: received coins first, then earned (as ``hold_for_care``),
        of the elder, else of their verified spouse, else the pool's for a priority elder."""
        balance, pending = self.shadow.balance, self.shadow.pending
        holders = [elder.index]
        if elder.spouse is not None and self.spouse_from.get(elder.index, today) < today:
            holders.append(elder.spouse)
        for holder in holders:
            own, spare = 2 * holder + 1, 2 * holder  # received, earned
            from_received = min(need, max(balance[own] - pending[own], 0))
            if from_received + balance[spare] - pending[spare] < need:
                continue
            if self.funding.recently_gifted(holder, today):
                continue
            holds = [(own, from_received), (spare, need - from_received)]
            return [(slot, minutes) for slot, minutes in holds if minutes > 0]
        if elder.priority and self.funding.pool_free() >= need:
            return [(POOL, need)]
        return None

    def _group(self, person: PersonPlan, day: date, start: int) -> Visit | None:
        """A station's group activity led by the volunteer (and their student, if any)."""
        elders = self.elders_of_street.get(person.street) or self.elders_of_district.get(
            person.district, []
        )
        if not elders:
            return None
        elder = self.people[self.rng.pick(elders)]
        category = self.schedule.group_category()
        minutes = self.schedule.booked(category, start)
        if elder.joined >= day or minutes < 30:
            return None
        visit = self._add(
            Visit(
                len(self.visits) + 1,
                day,
                person.index,
                elder.index,
                person.station,
                category,
                start,
                minutes,
                0,
            )
        )
        for student in self.students.get(person.index, ()):
            activated = self.people[student].activated
            if activated is not None and activated <= day and self.rng.chance(0.6):
                self._add(
                    Visit(
                        len(self.visits) + 1,
                        day,
                        student,
                        elder.index,
                        person.station,
                        category,
                        start,
                        minutes,
                        0,
                        with_guardian=True,
                    )
                )
        return visit

    def _roster(self, person: PersonPlan) -> list[int]:
        """The two to six elders near the volunteer they visit regularly (never their kin)."""
        roster = self._rosters.get(person.index)
        if roster is None:
            kin = {*person.kin_elders, person.spouse}
            near = self.payers_of_street.get(person.street, [])
            if len(near) < 6:
                near = near + self.payers_of_district.get(person.district, [])
            roster = []
            wanted = self.rng.between(2, 6)
            for _ in range(3 * wanted):
                if not near or len(roster) == wanted:
                    break
                elder = self.rng.pick(near)
                if elder not in kin and elder not in roster:
                    roster.append(elder)
            self._rosters[person.index] = roster
        return roster


def simulate(
    plan: DemoPlan,
    pop: Population,
    policy: Policy,
    *,
    on_day: Callable[[int], None] = lambda n: None,
) -> Activity:
    """The demo year's visits and movements; ``on_day`` is told of each day simulated."""
    return _Year(plan, pop, policy).run(on_day)
