"""Places of the demo city: Beijing's districts and streets (timebank.demo.geography), 1–2
stations per street and one public care home per district, each confirmed by its street
before the time bank opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from timebank.demo import geography
from timebank.demo.calendar import LAUNCH, local_at
from timebank.demo.plan import DemoPlan
from timebank.people.models import Organisation


@dataclass(frozen=True)
class OrgPlan:
    index: int  # organisation id = first id + index
    kind: str  # station | care_home
    name: str
    district: str
    street: str
    confirmed_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Places:
    orgs: list[OrgPlan]
    stations_of_street: dict[str, list[int]]  # street code -> station indices

    @property
    def stations(self) -> int:
        return sum(len(s) for s in self.stations_of_street.values())


def plan_places(plan: DemoPlan) -> Places:
    rng = plan.rng("places")
    orgs: list[OrgPlan] = []
    by_street: dict[str, list[int]] = {}

    def add(kind: str, name: str, district: str, street: str) -> int:
        # Confirmed by the street in the three months before the plan came into force.
        confirmed = local_at(LAUNCH - timedelta(days=rng.between(1, 90)), rng.between(540, 1020))
        created = confirmed - timedelta(days=rng.between(3, 30))
        orgs.append(OrgPlan(len(orgs), kind, name, district, street, confirmed, created))
        return len(orgs) - 1

    for district in geography.DISTRICTS:
        streets = geography.STREETS[district.code]
        add("care_home", f"北京市{district.name_zh}社会福利中心", district.code, streets[0].code)
        for street in streets:
            count = 2 if rng.chance(plan.second_station_share) else 1
            by_street[street.code] = [
                add("station", f"{street.name_zh}养老服务驿站", district.code, street.code)
            ]
            if count == 2:
                stem = street.name_zh.removesuffix("街道").removesuffix("镇")
                by_street[street.code].append(
                    add("station", f"{stem}社区时间银行服务站", district.code, street.code)
                )
    return Places(orgs=orgs, stations_of_street=by_street)


def insert_places(session: Session, places: Places, *, first_org_id: int) -> None:
    """Districts and streets (those missing), then the organisations with their fixed ids."""
    geography.seed_geography(session)
    session.execute(
        insert(Organisation),
        [
            {
                "id": first_org_id + org.index,
                "kind": org.kind,
                "name": org.name,
                "district_code": org.district,
                "street_code": org.street,
                "confirmed_by_street_at": org.confirmed_at,
                "untrustworthy": False,
                "created_at": org.created_at,
            }
            for org in places.orgs
        ],
    )
