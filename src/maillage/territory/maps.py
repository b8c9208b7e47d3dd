"""What a map of the territory shows, as JSON for ``territory/_map.html``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse

from maillage.territory.models import Service, Territory


def map_data(
    services: Iterable[Service] = (),
    territories: Iterable[Territory] = (),
    centre: tuple[float, float] | None = None,
    km: float = 0,
    centre_label: str = "",
) -> dict[str, Any]:
    points = []
    for service in services:
        lat = service.latitude if service.latitude is not None else service.organisation.latitude
        lon = service.longitude if service.longitude is not None else service.organisation.longitude
        if lat is None or lon is None:
            continue
        points.append(
            {
                "lat": lat,
                "lon": lon,
                "name": service.nom,
                "detail": service.organisation.nom,
                "url": reverse("territory:service", args=[service.pk]),
            }
        )
    return {
        "tiles": settings.MAP_TILES_URL,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "points": points,
        "areas": [{"name": t.name, "geojson": t.area} for t in territories if t.area],
        "centre": {"point": list(centre), "km": km, "label": centre_label} if centre else None,
    }
