"""Distances on the Earth, in metres, and the 3-D points the matching KD-trees index.

The one great-circle formula of the code base: matching (metres) and supervision (which
compares kilometres) both call ``haversine_m``; it takes scalars or arrays alike.

The trees hold points on a sphere of the Earth's radius: the straight-line (chord) distance
between two such points grows strictly with the great-circle distance, so "k nearest by chord"
is exactly "k nearest on the ground", with no projection error anywhere in the city.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

FloatArray = npt.NDArray[np.float64]


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Any:
    """Great-circle distance in metres between (lat, lon) points in degrees: a float for
    scalars, an array for arrays; NaN in, NaN out (an offline record has no check-in point)."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dp, dl = p2 - p1, np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(metres) if np.ndim(metres) == 0 else metres


def to_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on a sphere of the Earth's radius, shape (n, 3), for the KD-trees."""
    p, lam = np.radians(lat), np.radians(lon)
    cos_p = np.cos(p)
    return EARTH_RADIUS_M * np.column_stack((cos_p * np.cos(lam), cos_p * np.sin(lam), np.sin(p)))


def chord_for(ground_m: float) -> float:
    """The chord length that spans ``ground_m`` along the surface, padded by a metre so float
    rounding never drops a pair that the exact (haversine) radius test would keep."""
    angle = min(math.pi, ground_m / EARTH_RADIUS_M)
    return 2 * EARTH_RADIUS_M * math.sin(angle / 2) + 1.0


def chord_for_vec(ground_m: FloatArray) -> FloatArray:
    """``chord_for`` over an array."""
    angle = np.minimum(np.pi, ground_m / EARTH_RADIUS_M)
    return 2 * EARTH_RADIUS_M * np.sin(angle / 2) + 1.0
