"""The demo city's geography: Beijing's 16 districts and some of their streets and townships.

The demo writes these places itself, through the same import use case a city uses for its
real file (``timebank geography import``); no migration seeds them.

District codes and centres are GB/T 2260 and DESIGN §1. Street and township *names* are real;
their 9-digit codes are synthetic (district code + a sequence 001, 002, … in the order listed
here) and need not match the official statistical division codes. Their coordinates are
deterministic offsets around the district centre, good enough for distances in a demo, not
for a map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from timebank.actors import Actor, Role
from timebank.people.geography_import import GeoRow, import_geography


@dataclass(frozen=True)
class Place:
    code: str
    name_zh: str
    lat: float
    lon: float


@dataclass(frozen=True)
class DistrictInfo(Place):
    name_en: str
    radius: float  # degrees; how far from the centre its streets are spread


# code, zh, en, lat, lon, spread of streets (inner districts are small, outer ones large).
DISTRICTS: tuple[DistrictInfo, ...] = tuple(
    DistrictInfo(code, zh, lat, lon, en, radius)
    for code, zh, en, lat, lon, radius in (
        ("110101", "东城区", "Dongcheng", 39.93, 116.42, 0.015),
        ("110102", "西城区", "Xicheng", 39.91, 116.37, 0.015),
        ("110105", "朝阳区", "Chaoyang", 39.95, 116.49, 0.04),
        ("110106", "丰台区", "Fengtai", 39.86, 116.29, 0.04),
        ("110107", "石景山区", "Shijingshan", 39.91, 116.22, 0.025),
        ("110108", "海淀区", "Haidian", 39.96, 116.30, 0.04),
        ("110109", "门头沟区", "Mentougou", 39.94, 116.10, 0.08),
        ("110111", "房山区", "Fangshan", 39.75, 116.14, 0.08),
        ("110112", "通州区", "Tongzhou", 39.91, 116.66, 0.06),
        ("110113", "顺义区", "Shunyi", 40.13, 116.65, 0.06),
        ("110114", "昌平区", "Changping", 40.22, 116.23, 0.07),
        ("110115", "大兴区", "Daxing", 39.73, 116.34, 0.07),
        ("110116", "怀柔区", "Huairou", 40.32, 116.63, 0.08),
        ("110117", "平谷区", "Pinggu", 40.14, 117.12, 0.06),
        ("110118", "密云区", "Miyun", 40.38, 116.84, 0.08),
        ("110119", "延庆区", "Yanqing", 40.46, 115.97, 0.08),
    )
)

STREET_NAMES: dict[str, tuple[str, ...]] = {
    "110101": ("东华门街道", "景山街道", "交道口街道", "安定门街道", "北新桥街道",
               "东四街道", "朝阳门街道", "建国门街道", "东直门街道", "和平里街道"),
    "110102": ("西长安街街道", "新街口街道", "月坛街道", "展览路街道", "德胜街道",
               "金融街街道", "什刹海街道", "大栅栏街道", "天桥街道", "牛街街道"),
    "110105": ("建外街道", "朝外街道", "呼家楼街道", "三里屯街道", "亚运村街道",
               "望京街道", "酒仙桥街道", "双井街道", "劲松街道", "潘家园街道"),
    "110106": ("右安门街道", "太平桥街道", "西罗园街道", "大红门街道", "南苑街道",
               "方庄街道", "丰台街道", "卢沟桥街道", "长辛店街道", "宛平街道"),
    "110107": ("八宝山街道", "老山街道", "八角街道", "古城街道", "苹果园街道",
               "金顶街街道", "广宁街道", "五里坨街道", "鲁谷街道"),
    "110108": ("万寿路街道", "羊坊店街道", "紫竹院街道", "北太平庄街道", "学院路街道",
               "中关村街道", "海淀街道", "青龙桥街道", "香山街道", "清河街道"),
    "110109": ("大峪街道", "城子街道", "东辛房街道", "大台街道", "龙泉镇",
               "永定镇", "潭柘寺镇", "军庄镇", "妙峰山镇", "斋堂镇"),
    "110111": ("城关街道", "拱辰街道", "西潞街道", "向阳街道", "长阳镇",
               "良乡镇", "周口店镇", "琉璃河镇", "窦店镇", "十渡镇"),
    "110112": ("中仓街道", "新华街道", "北苑街道", "玉桥街道", "永顺镇",
               "梨园镇", "宋庄镇", "张家湾镇", "马驹桥镇", "漷县镇"),
    "110113": ("胜利街道", "光明街道", "石园街道", "空港街道", "双丰街道",
               "旺泉街道", "后沙峪镇", "牛栏山镇", "杨镇", "高丽营镇"),
    "110114": ("城北街道", "城南街道", "回龙观街道", "天通苑北街道", "霍营街道",
               "沙河镇", "南口镇", "小汤山镇", "北七家镇", "十三陵镇"),
    "110115": ("兴丰街道", "林校路街道", "清源街道", "观音寺街道", "天宫院街道",
               "高米店街道", "西红门镇", "旧宫镇", "庞各庄镇", "魏善庄镇"),
    "110116": ("泉河街道", "龙山街道", "怀柔镇", "雁栖镇", "庙城镇",
               "北房镇", "杨宋镇", "桥梓镇", "渤海镇", "汤河口镇"),
    "110117": ("滨河街道", "兴谷街道", "平谷镇", "峪口镇", "马坊镇",
               "金海湖镇", "东高村镇", "山东庄镇", "王辛庄镇", "大华山镇"),
    "110118": ("鼓楼街道", "果园街道", "密云镇", "溪翁庄镇", "西田各庄镇",
               "十里堡镇", "穆家峪镇", "太师屯镇", "古北口镇", "不老屯镇"),
    "110119": ("百泉街道", "香水园街道", "儒林街道", "延庆镇", "康庄镇",
               "八达岭镇", "永宁镇", "旧县镇", "张山营镇", "千家店镇"),
}  # fmt: skip

# A box around Beijing's administrative area: the demo keeps its homes inside it.
CITY_BOUNDS = (39.40, 41.10, 115.40, 117.55)  # lat min, lat max, lon min, lon max


def _streets_of(district: DistrictInfo) -> tuple[Place, ...]:
    names = STREET_NAMES[district.code]
    places = []
    for i, name in enumerate(names):
        # Spread around the centre on a circle of alternating radius: distinct, repeatable.
        angle = 2 * math.pi * i / len(names)
        r = district.radius * (0.5 + 0.5 * (i % 2))
        places.append(
            Place(
                code=f"{district.code}{i + 1:03d}",
                name_zh=name,
                lat=round(district.lat + r * math.sin(angle), 5),
                lon=round(district.lon + r * math.cos(angle), 5),
            )
        )
    return tuple(places)


STREETS: dict[str, tuple[Place, ...]] = {d.code: _streets_of(d) for d in DISTRICTS}
_DISTRICT_BY_CODE = {d.code: d for d in DISTRICTS}
_STREET_BY_CODE = {s.code: s for streets in STREETS.values() for s in streets}


def district(code: str) -> DistrictInfo | None:
    return _DISTRICT_BY_CODE.get(code)


def street(code: str) -> Place | None:
    return _STREET_BY_CODE.get(code)


def in_city(lat: float, lon: float) -> bool:
    lat_min, lat_max, lon_min, lon_max = CITY_BOUNDS
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max


def geography_rows() -> list[GeoRow]:
    """The demo city's districts and streets as the rows of a geography file."""
    places: list[tuple[str, str, str | None, str, str | None, float, float]] = [
        ("district", d.code, None, d.name_zh, d.name_en, d.lat, d.lon) for d in DISTRICTS
    ]
    places += [
        ("street", s.code, d.code, s.name_zh, None, s.lat, s.lon)
        for d in DISTRICTS
        for s in STREETS[d.code]
    ]
    return [GeoRow(n, *place) for n, place in enumerate(places, start=1)]


def seed_geography(session: Session) -> int:
    """Write the demo city's districts and streets that are missing or differ, through the
    geography import; returns how many rows were added or updated."""
    result = import_geography(
        session, actor=Actor(role=Role.CITY_ADMIN), rows=geography_rows(), at=_IMPORTED_AT
    )
    return result.changed


_IMPORTED_AT = datetime(2022, 6, 1, tzinfo=UTC)  # stamps stations only; the demo lists none
