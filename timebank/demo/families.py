"""Households of the demo city: elders (often couples), their volunteering children and
grandchildren, independent volunteers; kinship verified by a station; licences.

Pure: ``build_population`` returns plans; ``persist`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from timebank.demo.calendar import END, START
from timebank.demo.draw import Weighted
from timebank.demo.places import Places
from timebank.demo.plan import DemoPlan
from timebank.demo.residents import (
    ELDER_AGES,
    VOLUNTEER_AGES,
    Home,
    PersonPlan,
    Registry,
    years_after,
)

# type -> (certificate, issuer, expires?) for the professional items' licences.
LICENCES = {
    "medical": ("医师执业证书", "北京市卫生健康委员会", False),
    "nurse": ("护士执业证书", "北京市卫生健康委员会", True),
    "lawyer": ("律师执业证", "北京市司法局", False),
    "counsellor": ("心理咨询师证书", "中国心理卫生协会", True),
    "social_worker": ("社会工作者职业资格证书", "北京市民政局", True),
    "financial": ("基金从业资格证书", "中国证券投资基金业协会", True),
}
CHILDREN = Weighted((0, 1, 2), (45, 40, 15))  # registered children of an elderly household
LICENCE_WEIGHTS = {"medical": 25, "nurse": 20, "lawyer": 15, "counsellor": 15,
                   "social_worker": 15, "financial": 10}  # fmt: skip


@dataclass(frozen=True, slots=True)
class KinPlan:
    """``relative`` is the ``relation`` of ``person`` (as in the kinships table)."""

    person: int
    relative: int
    relation: str
    declared: date
    verified: date | None  # None: the station has not seen the papers yet
    station: int


@dataclass(frozen=True, slots=True)
class LicencePlan:
    person: int
    type: str
    number: str
    issuer: str
    valid_from: date
    valid_until: date | None
    declared: date
    verified: date | None
    station: int


@dataclass
class Population:
    people: list[PersonPlan]
    kin: list[KinPlan]
    licences: list[LicencePlan]

    def count(self, role: str) -> int:
        return sum(1 for p in self.people if p.role == role)


class _Families:
    def __init__(self, plan: DemoPlan, places: Places, licence_types: tuple[str, ...]):
        self.plan = plan
        self.rng = plan.rng("people")
        self.reg = Registry(self.rng, places, plan.registered_before_start)
        self.kin: list[KinPlan] = []
        self.licences: list[LicencePlan] = []
        self.licence_types = [t for t in LICENCE_WEIGHTS if t in licence_types]

    def link(self, person: PersonPlan, relative: PersonPlan, relation: str) -> None:
        rng = self.rng
        declared = min(max(person.joined, relative.joined) + timedelta(rng.between(1, 60)), END)
        verified = declared + timedelta(days=rng.between(1, 10))
        self.kin.append(
            KinPlan(
                person.index,
                relative.index,
                relation,
                declared,
                verified if verified <= END else None,
                person.station,
            )
        )
        if relation in ("parent", "grandparent") and relative.role == "elder":
            person.kin_elders.append(relative.index)

    def household(self) -> None:
        rng, reg = self.rng, self.reg
        home = reg.home(reg.district())
        age = reg.age(ELDER_AGES)
        sex = "F" if rng.chance(0.5 + 0.004 * (age - 60)) else "M"
        elder = reg.add("elder", sex=sex, birth=reg.birth(age), home=home, phone=age < 80)
        couple = 0.62 if age < 75 else 0.45 if age < 85 else 0.25
        spouse = None
        if rng.chance(couple):
            other_age = max(60, age + (rng.between(-2, 6) if sex == "F" else rng.between(-6, 2)))
            role = "volunteer" if other_age <= 72 and rng.chance(0.3) else "elder"
            other = "M" if sex == "F" else "F"
            spouse = reg.add(role, sex=other, birth=reg.birth(other_age), home=home)
            elder.spouse, spouse.spouse = spouse.index, elder.index
            self.link(elder, spouse, "spouse")
        if spouse is None and age >= 80:
            elder.priority = "alone_80"
        elif rng.chance(0.03):
            elder.priority = "dibao_disabled"
        parents = [p for p in (elder, spouse) if p is not None]
        father = next((p for p in parents if p.sex == "M"), None)
        youngest = min(p.age_on(START) for p in parents)
        children = 0
        for _ in range(CHILDREN.draw(rng)):
            child_age = youngest - rng.between(22, 36)
            if not 18 <= child_age <= 70:
                continue
            where = home.district if rng.chance(0.65) else reg.district()
            birth = reg.birth(child_age)
            child = reg.add(
                "volunteer",
                sex=rng.pick("MF"),
                birth=birth,
                home=reg.home(where),
                surname=father.name[0] if father else None,
                earliest=years_after(birth, 18),
            )
            children += 1
            for parent in parents:
                self.link(child, parent, "parent")
            if child_age >= 38 and rng.chance(0.3):
                self.grandchild(child, parents)
        if elder.priority is None and not children and rng.chance(0.03):
            elder.priority = "shidu"  # lost their only child

    def grandchild(self, parent: PersonPlan, grandparents: list[PersonPlan]) -> None:
        age = parent.age_on(START) - self.rng.between(22, 34)
        if not 16 <= age <= 35:
            return
        child = self.student_or_adult(parent, age)
        for grandparent in grandparents:
            self.link(child, grandparent, "grandparent")

    def student_or_adult(self, parent: PersonPlan, age: int) -> PersonPlan:
        """A child of ``parent`` who volunteers: a student led by the parent when under 18."""
        reg = self.reg
        birth = reg.birth(age)
        student = age < 18
        earliest = years_after(birth, 16 if student else 18)
        child = reg.add(
            "volunteer",
            sex=self.rng.pick("MF"),
            birth=birth,
            home=reg.home(parent.district) if not student else _same_home(parent),
            surname=parent.name[0] if parent.sex == "M" else None,
            earliest=max(earliest, parent.joined) if student else earliest,
        )
        if student and child.joined < years_after(birth, 18):
            child.is_student, child.guardian = True, parent.index
        self.link(child, parent, "parent")
        return child

    def independent(self) -> None:
        reg = self.reg
        age = reg.age(VOLUNTEER_AGES)
        birth = reg.birth(age)
        volunteer = reg.add(
            "volunteer",
            sex=self.rng.pick("MF"),
            birth=birth,
            home=reg.home(reg.district()),
            earliest=years_after(birth, 18),
        )
        if 35 <= age <= 55 and self.rng.chance(0.05):
            self.student_or_adult(volunteer, self.rng.between(16, 17))

    def licence(self, person: PersonPlan) -> None:
        rng = self.rng
        kind = Weighted(self.licence_types, [LICENCE_WEIGHTS[t] for t in self.licence_types]).draw(
            rng
        )
        _, issuer, expires = LICENCES[kind]
        earliest = max(years_after(person.birth, 24), date(1995, 1, 1))
        span = max((person.joined - earliest).days, 1)
        valid_from = earliest + timedelta(days=rng.below(span))
        declared = person.joined + timedelta(days=rng.between(0, 20))
        verified = declared + timedelta(days=rng.between(2, 20))
        if declared > END:
            return
        self.licences.append(
            LicencePlan(
                person=person.index,
                type=kind,
                number=f"{person.district}{valid_from.year}{rng.below(10**8):08d}",
                issuer=issuer,
                valid_from=valid_from,
                valid_until=END + timedelta(days=rng.between(90, 1800)) if expires else None,
                declared=declared,
                verified=verified if verified <= END else None,
                station=person.station,
            )
        )


def _same_home(parent: PersonPlan) -> Home:
    return Home(
        parent.district,
        parent.street,
        parent.station,
        parent.reviewer,
        parent.address,
        parent.lat,
        parent.lon,
    )


def build_population(plan: DemoPlan, places: Places, licence_types: tuple[str, ...]) -> Population:
    """Households until the elders reach their share, then independent volunteers."""
    fam = _Families(plan, places, licence_types)
    people = fam.reg.people
    elders_wanted = round(plan.people * plan.elder_share)
    while fam.reg.elders < elders_wanted:
        fam.household()
    while len(people) < plan.people:
        fam.independent()
    for person in people:
        if (
            person.role == "volunteer"
            and not person.is_student
            and 26 <= person.age_on(START) <= 68
            and fam.licence_types
            and fam.rng.chance(plan.qualified_share)
        ):
            fam.licence(person)
    return Population(people=people, kin=fam.kin, licences=fam.licences)
