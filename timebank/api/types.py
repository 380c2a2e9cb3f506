"""Constrained input types: every number bounded, every string bounded and clean.

Unbounded integers overflow the database (a 500), NUL characters and lone surrogates are
refused by PostgreSQL (a 500): the API refuses them first, naming the field (a 422).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

MAX_ID = 2**53 - 1  # JSON-safe, fits BIGINT
MAX_MINUTES = 10_000_000 * 60


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID, examples=[1])]
Minutes = Annotated[int, Field(ge=1, le=MAX_MINUTES, examples=[60])]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[39.935])]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[116.41])]
Phone = Annotated[
    str, Field(min_length=11, max_length=20, examples=["13800138000"]), AfterValidator(_clean)
]
IdNumber = Annotated[
    str,
    Field(
        min_length=18, max_length=18, pattern=r"^[0-9]{17}[0-9Xx]$", examples=["110101195001010023"]
    ),
]
DistrictCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["110101"])]
StreetCode = Annotated[str, Field(pattern=r"^[0-9]{9}$", examples=["110101001"])]
Name = Annotated[str, Field(min_length=1, max_length=64, examples=["王芳"]), AfterValidator(_clean)]
Reason = Annotated[
    str, Field(min_length=1, max_length=500, examples=["家属来电说明情况"]), AfterValidator(_clean)
]
Note = Annotated[str, Field(max_length=500), AfterValidator(_clean)]
Short = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean)]
Password = Annotated[
    str, Field(min_length=1, max_length=128, examples=["s3cret-pass"]), AfterValidator(_clean)
]
Code = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["123456"])]
When = Annotated[AwareDatetime, Field(examples=["2026-03-03T09:00:00+08:00"])]
Rating = Annotated[int, Field(ge=1, le=5, examples=[5])]
Limit = Annotated[int, Field(ge=1, le=200)]
Address = Annotated[
    str, Field(max_length=200, examples=["东城区交道口南大街1号"]), AfterValidator(_clean)
]
