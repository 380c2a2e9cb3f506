"""One resident of the demo city at a time: identity, home, dates, in plain dataclasses.

Pure: builds plans, writes nothing. A person's id is ``first_person_id + index``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from timebank.demo import geography, names
from timebank.demo.calendar import DAYS, END, LAUNCH, START
from timebank.demo.draw import Draw, Weighted
from timebank.demo.places import Places
from timebank.people.idcard import make_id_number

# Share of the city's older residents and volunteers by district (central districts dominate).
DISTRICT_WEIGHTS = {
    "110101": 8, "110102": 10, "110105": 20, "110106": 11, "110107": 4, "110108": 17,
    "110109": 1, "110111": 3, "110112": 6, "110113": 4, "110114": 6, "110115": 6,
    "110116": 1, "110117": 1, "110118": 1, "110119": 1,
}  # fmt: skip
# Age on the first day of the demo year: elders skewed to 70–90, volunteers with a bump of
# recently retired 55–69-year-olds. (youngest, oldest) of a band, and the band's weight.
ELDER_AGES = Weighted(
    [(60, 64), (65, 69), (70, 74), (75, 79), (80, 84), (85, 89), (90, 94), (95, 100)],
    [8, 12, 17, 20, 20, 14, 7, 2],
)
VOLUNTEER_AGES = Weighted(
    [(18, 24), (25, 34), (35, 44), (45, 54), (55, 59), (60, 64), (65, 69), (70, 70)],
    [10, 14, 14, 16, 16, 17, 11, 2],
)
# Elders whose needs the donation pool pays for (persons.priority_reason).
PRIORITY = {"alone_80": "80岁以上独居", "shidu": "失独老人", "dibao_disabled": "低保失能"}


@dataclass(slots=True)
class PersonPlan:
    index: int
    role: str  # elder | volunteer
    name: str
    sex: str
    birth: date
    id_number: str
    phone: str | None
    district: str
    street: str
    station: int  # index of the station of the street that registers and confirms them
    reviewer: int  # the street's first station, which reviews their needs (care.station_for)
    address: str
    lat: float
    lon: float
    joined: date
    residency: str  # hukou | residence_permit
    residency_ref: str
    residency_until: date | None
    is_student: bool = False
    guardian: int | None = None
    trained: date | None = None
    activated: date | None = None  # None: still pending at the end of the demo year
    priority: str | None = None  # why the pool funds this elder's care: PRIORITY key
    spouse: int | None = None
    kin_elders: list[int] = field(default_factory=list)  # elderly parents and grandparents

    def age_on(self, day: date) -> int:
        return (
            day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))
        )


@dataclass(frozen=True, slots=True)
class Home:
    district: str
    street: str
    station: int
    reviewer: int
    address: str
    lat: float
    lon: float


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Registry:
    """Makes residents with distinct resident IDs and phones, in a fixed order."""

    def __init__(self, rng: Draw, places: Places, registered_before_start: float):
        self.rng = rng
        self.places = places
        self.before_start = registered_before_start
        self.people: list[PersonPlan] = []
        self.phones = names.Phones(rng)
        self._ids: set[str] = set()
        self.elders = 0
        self._districts = Weighted(list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values()))

    def district(self) -> str:
        return self._districts.draw(self.rng)

    def home(self, district: str) -> Home:
        rng = self.rng
        street = rng.pick(geography.STREETS[district])
        stations = self.places.stations_of_street[street.code]
        station = rng.pick(stations)
        lat = round(street.lat + rng.gauss(0, 0.004), 6)
        lon = round(street.lon + rng.gauss(0, 0.005), 6)
        if not geography.in_city(lat, lon):
            lat, lon = street.lat, street.lon
        zh = geography.district(district)
        assert zh is not None
        address = names.address(rng, zh.name_zh, street.name_zh)
        return Home(district, street.code, station, stations[0], address, lat, lon)

    def age(self, bands: Weighted[tuple[int, int]]) -> int:
        low, high = bands.draw(self.rng)
        return self.rng.between(low, high)

    def birth(self, age: int) -> date:
        """A birthday that makes the person ``age`` on the first day of the demo year."""
        latest = START.replace(year=START.year - age)
        return latest - timedelta(days=self.rng.below(365))

    def joined(self, earliest: date) -> date:
        rng = self.rng
        if rng.chance(self.before_start):
            day = LAUNCH + timedelta(days=rng.below((START - LAUNCH).days))
        else:
            day = START + timedelta(days=rng.below(DAYS))
        return min(max(day, earliest), END)

    def id_number(self, district: str, birth: date, sex: str) -> str:
        while True:
            # The sequence's parity is the sex: odd for men, even for women (GB 11643).
            seq = 2 * self.rng.between(1, 499) - (sex == "M")
            number = make_id_number(district, birth, seq)
            if number not in self._ids:
                self._ids.add(number)
                return number

    def add(
        self,
        role: str,
        *,
        sex: str,
        birth: date,
        home: Home,
        surname: str | None = None,
        earliest: date = LAUNCH,
        phone: bool = True,
    ) -> PersonPlan:
        rng = self.rng
        family = surname or names.surname(rng)
        if rng.chance(0.85) or role == "elder":
            kind, until = "hukou", None
            ref = f"户号{home.district}{rng.below(10**7):07d}"
        else:
            kind, until = "residence_permit", END + timedelta(days=rng.between(60, 1500))
            ref = f"京居{rng.below(10**10):010d}"
        person = PersonPlan(
            index=len(self.people),
            role=role,
            name=family + names.given_name(rng, sex, birth.year),
            sex=sex,
            birth=birth,
            id_number=self.id_number(home.district, birth, sex),
            phone=self.phones.new() if phone else None,
            district=home.district,
            street=home.street,
            station=home.station,
            reviewer=home.reviewer,
            address=home.address,
            lat=home.lat,
            lon=home.lon,
            joined=self.joined(earliest),
            residency=kind,
            residency_ref=ref,
            residency_until=until,
        )
        if role == "volunteer":
            self._train(person)
        else:
            self.elders += 1
        self.people.append(person)
        return person

    def _train(self, person: PersonPlan) -> None:
        """Training a few days after joining, activation right after: both within the year."""
        trained = person.joined + timedelta(days=self.rng.between(3, 25))
        activated = trained + timedelta(days=self.rng.between(0, 5))
        person.trained = trained if trained <= END else None
        person.activated = activated if activated <= END else None
