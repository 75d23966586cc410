"""Distances and the board's map projection: plain arithmetic, no tiles, no network."""

import math
from dataclasses import dataclass
from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088

Point = tuple[float, float]


def point(latitude: Decimal | float | None, longitude: Decimal | float | None) -> Point | None:
    if latitude is None or longitude is None:
        return None
    return float(latitude), float(longitude)


def haversine_km(a: Point, b: Point) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection of a bounding box into an SVG viewBox, aspect kept."""

    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float
    width: int
    height: int
    pad: int = 28

    @classmethod
    def around(cls, points: list[Point], *, width: int = 640, height: int = 400) -> "Projection":
        if not points:
            return cls(0, 1, 0, 1, width, height)
        lats = [p[0] for p in points]
        lngs = [p[1] for p in points]
        # At least ~2 km across, so one site does not blow up to the whole map.
        min_lat, max_lat = min(lats) - 0.01, max(lats) + 0.01
        min_lng, max_lng = min(lngs) - 0.015, max(lngs) + 0.015
        return cls(min_lat, max_lat, min_lng, max_lng, width, height)

    def xy(self, p: Point) -> tuple[float, float]:
        mid = math.radians((self.min_lat + self.max_lat) / 2)
        span_x = (self.max_lng - self.min_lng) * math.cos(mid)
        span_y = self.max_lat - self.min_lat
        scale = min((self.width - 2 * self.pad) / span_x, (self.height - 2 * self.pad) / span_y)
        off_x = (self.width - span_x * scale) / 2
        off_y = (self.height - span_y * scale) / 2
        x = off_x + (p[1] - self.min_lng) * math.cos(mid) * scale
        y = off_y + (self.max_lat - p[0]) * scale
        return round(x, 1), round(y, 1)


def spread(center: tuple[float, float], index: int, count: int, radius: float = 11):
    """Markers at one spot (a site without per-asset positions) fanned out on a small ring."""
    if count <= 1:
        return center
    angle = 2 * math.pi * index / count
    ring = radius * (1 + index // 8 * 0.8)
    x, y = center[0] + ring * math.cos(angle), center[1] + ring * math.sin(angle)
    return round(x, 1), round(y, 1)
