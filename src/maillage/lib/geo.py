"""Distances and areas on the Earth, for a territory's scale (no Django).

Great-circle distances (haversine, mean Earth radius); a bounding box to let a database
index keep only the candidates; point-in-polygon for GeoJSON areas (ray casting, holes
honoured), with coordinates as GeoJSON gives them: (longitude, latitude).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) holding every point within ``km``."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(km / (EARTH_RADIUS_KM * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def is_valid_point(lat: Any, lon: Any) -> bool:
    return (
        isinstance(lat, (int, float))
        and isinstance(lon, (int, float))
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    )


def _in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    inside = False
    count = len(ring)
    j = count - 1
    for i in range(count):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygons_of(geometry: Any) -> list[Sequence[Sequence[Sequence[float]]]]:
    """The polygons of a GeoJSON geometry, Feature or FeatureCollection."""
    if not isinstance(geometry, dict):
        return []
    kind = geometry.get("type")
    if kind == "FeatureCollection":
        return [p for feature in geometry.get("features") or [] for p in polygons_of(feature)]
    if kind == "Feature":
        return polygons_of(geometry.get("geometry"))
    if kind == "Polygon":
        return [geometry.get("coordinates") or []]
    if kind == "MultiPolygon":
        return list(geometry.get("coordinates") or [])
    return []


def contains(geometry: Any, lat: float, lon: float) -> bool:
    """Whether the point is inside a (Multi)Polygon's area, holes excluded."""
    for polygon in polygons_of(geometry):
        if (
            polygon
            and _in_ring(lon, lat, polygon[0])
            and not any(_in_ring(lon, lat, hole) for hole in polygon[1:])
        ):
            return True
    return False


def check_area(geometry: Any) -> str | None:
    """Why a GeoJSON value is not a usable area (an English key), or None."""
    polygons = polygons_of(geometry)
    if not polygons:
        return "no_polygon"
    for polygon in polygons:
        for ring in polygon:
            if not isinstance(ring, (list, tuple)) or len(ring) < 4:
                return "short_ring"
            for point in ring:
                if (
                    not isinstance(point, (list, tuple))
                    or len(point) < 2
                    or not is_valid_point(point[1], point[0])
                ):
                    return "bad_point"
    return None


# --- points from a CSV file ------------------------------------------------------------

CODE_COLUMNS = ("code", "code_insee", "insee", "codgeo", "code_commune", "code_commune_insee")
LAT_COLUMNS = ("latitude", "lat", "y")
LON_COLUMNS = ("longitude", "lon", "lng", "x")


def read_points_csv(text: str) -> tuple[list[tuple[str, float, float]], list[tuple[int, str]]]:
    """(code, latitude, longitude) rows of a CSV with a header naming a code and the two
    coordinates (comma, semicolon or tab; decimal point or comma), and the bad lines as
    (line number, English key): ``no_columns``, ``bad_point``, ``no_code``."""
    import csv
    import io

    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        return [], [(0, "no_columns")]
    header = lines[0]
    delimiter = max((";", "\t", ","), key=header.count)
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    names = [name.strip().lower() for name in next(reader)]

    def column(options: tuple[str, ...]) -> int | None:
        return next((names.index(name) for name in options if name in names), None)

    code_at, lat_at, lon_at = column(CODE_COLUMNS), column(LAT_COLUMNS), column(LON_COLUMNS)
    if code_at is None or lat_at is None or lon_at is None:
        return [], [(1, "no_columns")]
    points: list[tuple[str, float, float]] = []
    problems: list[tuple[int, str]] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * 3
        code = cells[code_at].upper()
        if not code:
            problems.append((number, "no_code"))
            continue
        try:
            lat = float(cells[lat_at].replace(",", "."))
            lon = float(cells[lon_at].replace(",", "."))
        except ValueError:
            problems.append((number, "bad_point"))
            continue
        if not is_valid_point(lat, lon) or not (math.isfinite(lat) and math.isfinite(lon)):
            problems.append((number, "bad_point"))
            continue
        points.append((code, lat, lon))
    return points, problems
