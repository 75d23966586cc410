"""Travel times between points: a straight-line estimate by default, a routing engine (OSRM or
Valhalla) when one is configured. Whole minutes, rounded up, so a plan never promises a leg
faster than the matrix says."""

import math
from typing import Protocol

import httpx

from workorders.dispatch.planning.problem import Point

EARTH_RADIUS_KM = 6371.0088


def haversine_km(a: Point, b: Point) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


class TravelMatrix(Protocol):
    def minutes(self, points: list[Point]) -> list[list[int]]:
        """Driving minutes from each point to each point (0 on the diagonal)."""
        ...


class StraightLine:
    """Great-circle distance times a road factor (roads are not straight) at a mean speed."""

    def __init__(self, *, road_factor: float = 1.3, speed_kmh: float = 30.0) -> None:
        if road_factor < 1 or speed_kmh <= 0:
            raise ValueError("road_factor >= 1 and speed_kmh > 0")
        self.road_factor = road_factor
        self.speed_kmh = speed_kmh

    def leg(self, a: Point, b: Point) -> int:
        if a == b:
            return 0
        km = haversine_km(a, b) * self.road_factor
        return math.ceil(km / self.speed_kmh * 60)

    def minutes(self, points: list[Point]) -> list[list[int]]:
        return [[self.leg(a, b) for b in points] for a in points]


def _ceil_minutes(rows: list[list[float | None]]) -> list[list[int]]:
    # An engine answers null for a pair it cannot route: a day's drive stands in (never chosen).
    return [[math.ceil((s if s is not None else 86_400) / 60) for s in row] for row in rows]


class Osrm:
    """OSRM's table service: GET {url}/table/v1/driving/{lng,lat;...}?annotations=duration."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def minutes(self, points: list[Point]) -> list[list[int]]:
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        response = self.client.get(
            f"{self.url}/table/v1/driving/{coordinates}", params={"annotations": "duration"}
        )
        response.raise_for_status()
        body = response.json()
        if body.get("code") != "Ok":
            raise RuntimeError(f"OSRM answered {body.get('code')}: {body.get('message', '')}")
        return _ceil_minutes(body["durations"])


class Valhalla:
    """Valhalla's matrix service: POST {url}/sources_to_targets (costing auto)."""

    def __init__(self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None):
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(timeout=timeout)

    def minutes(self, points: list[Point]) -> list[list[int]]:
        places = [{"lat": lat, "lon": lng} for lat, lng in points]
        response = self.client.post(
            f"{self.url}/sources_to_targets",
            json={"sources": places, "targets": places, "costing": "auto"},
        )
        response.raise_for_status()
        rows = response.json()["sources_to_targets"]
        return _ceil_minutes([[cell.get("time") for cell in row] for row in rows])
