"""Distances on the sphere, scalar and vectorised, and the 3-D points the KD-trees index.

The trees hold points on a sphere of the Earth's radius: the straight-line (chord) distance
between two such points grows strictly with the great-circle distance, so "k nearest by chord"
is exactly "k nearest on the ground", with no projection error anywhere in the city.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius

FloatArray = npt.NDArray[np.float64]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_vec(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """``haversine_m`` over arrays (degrees in, metres out)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


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
