"""Chinese names, mobile numbers and street addresses for the demo's residents."""

from __future__ import annotations

from timebank.demo.draw import Draw, Weighted

# The commonest surnames with rough relative frequencies (per mille of the population).
_SURNAMES = (
    ("王", 72), ("李", 72), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 20),
    ("黄", 19), ("周", 18), ("吴", 17), ("徐", 13), ("孙", 12), ("胡", 11), ("朱", 11),
    ("高", 10), ("林", 9), ("何", 9), ("郭", 9), ("马", 9), ("罗", 7), ("梁", 7), ("宋", 6),
    ("郑", 6), ("谢", 5), ("韩", 5), ("唐", 5), ("冯", 5), ("于", 5), ("董", 5), ("萧", 4),
    ("程", 4), ("曹", 4), ("袁", 4), ("邓", 4), ("许", 4), ("傅", 4), ("沈", 4), ("曾", 4),
    ("彭", 3), ("吕", 3), ("苏", 3), ("卢", 3), ("蒋", 3), ("蔡", 3), ("贾", 3), ("丁", 3),
    ("魏", 3), ("薛", 3), ("叶", 3), ("阎", 3), ("余", 3), ("潘", 3), ("杜", 3), ("戴", 2),
    ("夏", 2), ("钟", 2), ("汪", 2), ("田", 2), ("任", 2), ("姜", 2), ("范", 2), ("方", 2),
    ("石", 2), ("姚", 2), ("谭", 2), ("廖", 2), ("邹", 2), ("熊", 2), ("金", 2), ("陆", 2),
    ("郝", 2), ("孔", 2), ("白", 2), ("崔", 2), ("康", 2), ("毛", 2), ("邱", 2), ("秦", 2),
    ("江", 2), ("史", 2), ("顾", 2), ("侯", 2), ("邵", 2), ("孟", 2), ("龙", 1), ("万", 1),
    ("段", 1), ("雷", 1), ("钱", 1), ("汤", 1), ("尹", 1), ("常", 1), ("武", 1), ("乔", 1),
    ("贺", 1), ("龚", 1), ("文", 1), ("欧阳", 1), ("司马", 1),
)  # fmt: skip
SURNAMES = Weighted([s for s, _ in _SURNAMES], [w for _, w in _SURNAMES])

# Given names change with the times: (born before year, male names, female names).
_GIVEN = (
    (1955,
     "建国 建华 国庆 志强 德明 振华 宝山 福生 永祥 长顺 "
     "树林 文海 金生 玉林 国华 德胜 连生 庆余 桂林 秀山",
     "桂英 秀英 淑珍 玉兰 秀兰 凤英 桂兰 淑兰 玉珍 秀珍 "
     "素芬 金凤 玉梅 桂芳 淑芬 丽华 美华 翠兰 春梅 秀云"),
    (1980,
     "伟 勇 军 强 平 刚 斌 涛 明 海 建军 卫东 红军 志刚 建平 立新 晓东 国强 永刚 宏伟",
     "丽 红 敏 静 燕 艳 芳 霞 娟 玲 红梅 丽娟 晓燕 海燕 秀梅 丽萍 春燕 桂香 雪梅 建华"),
    (2000,
     "磊 鹏 超 帅 杰 浩 亮 鑫 宇 飞 晨 俊杰 志伟 文博 天宇 浩然 海洋 子健 明辉 思远",
     "婷 雪 倩 琳 丹 颖 佳 悦 晶 洁 思雨 雅琪 佳慧 梦瑶 晓彤 欣然 婉婷 丹丹 文静 晓雪"),
    (9999,
     "子轩 浩宇 宇轩 梓豪 俊熙 博文 一鸣 皓轩 子墨 宇航 "
     "沐阳 明哲 睿 泽宇 奕辰 思源 锦程 子睿 嘉懿 昊然",
     "子涵 欣怡 梓涵 诗涵 雨桐 一诺 可馨 思琪 梓萱 语桐 "
     "若曦 欣妍 佳怡 梦琪 雨欣 紫涵 依诺 芷若 安琪 诗琪"),
)  # fmt: skip
GIVEN = tuple((year, male.split(), female.split()) for year, male, female in _GIVEN)

MOBILE_PREFIXES = tuple(
    f"{p}"
    for p in (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158,
              159, 166, 176, 177, 178, 180, 181, 185, 186, 187, 188, 189, 198, 199)
)  # fmt: skip
COMMUNITY_SUFFIXES = (
    "东里",
    "西里",
    "南里",
    "北里",
    "小区",
    "家园",
    "新村",
    "花园",
    "嘉园",
    "北街",
)


def surname(rng: Draw) -> str:
    return SURNAMES.draw(rng)


def given_name(rng: Draw, sex: str, birth_year: int) -> str:
    for before, male, female in GIVEN:
        if birth_year < before:
            return rng.pick(male if sex == "M" else female)
    raise AssertionError("unreachable: the last era is open-ended")


class Phones:
    """Distinct mainland mobile numbers."""

    def __init__(self, rng: Draw) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self) -> str:
        while True:
            number = f"{self._rng.pick(MOBILE_PREFIXES)}{self._rng.below(10**8):08d}"
            if number not in self._used:
                self._used.add(number)
                return number


def address(rng: Draw, district_zh: str, street_zh: str) -> str:
    """``朝阳区望京街道望京东里12号楼3单元502``: a flat in a residential compound."""
    stem = street_zh.removesuffix("街道").removesuffix("地区").removesuffix("镇")
    compound = f"{stem}{rng.pick(COMMUNITY_SUFFIXES)}"
    floor, room = rng.between(1, 18), rng.between(1, 4)
    return (
        f"{district_zh}{street_zh}{compound}{rng.between(1, 40)}号楼"
        f"{rng.between(1, 6)}单元{floor}{room:02d}"
    )
