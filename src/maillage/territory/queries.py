"""Reads of the territory and its directory."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from maillage.core.models import Structure
from maillage.lib import geo
from maillage.lib.names import normalize
from maillage.people.models import Person
from maillage.territory import hours
from maillage.territory.models import (
    Commune,
    Organisation,
    OrganisationLink,
    Service,
    Territory,
)


@dataclass(frozen=True)
class DirectoryFilters:
    text: str = ""
    theme: str = ""  # a thématique, or a whole category ("sante")
    public: str = ""
    language: str = ""
    accepts: tuple[str, ...] = ()  # extension flags: accepts_ame, accepts_css…
    mode: str = ""  # mode d'accueil
    open_at: datetime.datetime | None = None
    near: tuple[float, float] | None = None  # (latitude, longitude)
    km: float = 3.0
    words: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(normalize(self.text).split()[:8]))


def find_commune(text: str) -> Commune | None:
    """A commune by its INSEE code or its name (accents and case ignored); of two
    communes of the same name, the more populated."""
    return (
        Commune.objects.filter(Q(code=text.strip().upper()) | Q(search_name=normalize(text)))
        .order_by(F("population").desc(nulls_last=True))
        .first()
    )


def services_of(owner: Structure) -> QuerySet[Service]:
    return Service.objects.filter(owner=owner, is_active=True)


def organisations_of(owner: Structure) -> QuerySet[Organisation]:
    return Organisation.objects.filter(owner=owner, is_active=True)


@dataclass
class Found:
    """Services found, in order (by distance when a point is given, else by name)."""

    pks: list[int]
    distances: dict[int, float] = field(default_factory=dict)

    def page(self, pks: list[int]) -> list[Service]:
        services = Service.objects.select_related("organisation").in_bulk(pks)
        found = [services[pk] for pk in pks if pk in services]
        for service in found:
            service.distance_km = self.distances.get(service.pk)  # type: ignore[attr-defined]
        return found


def organisation_links(organisation: Organisation) -> list[OrganisationLink]:
    """The current relations of an organisation, either way."""
    return list(
        OrganisationLink.objects.filter(
            Q(source=organisation) | Q(target=organisation), ended_at__isnull=True
        ).select_related("source", "target")
    )


def search_services(owner: Structure, filters: DirectoryFilters) -> Found:
    """Listed services matching every filter given. Lists and the team's flags are
    matched in ``tags``; a distance first keeps the services of a bounding box (indexed),
    then measures each; opening hours are evaluated on what the other filters kept. Point
    and hours are the service's own, else its organisation's (``place_*``)."""
    services = services_of(owner)
    for word in filters.words:
        services = services.filter(search_text__contains=word)
    if filters.theme:
        prefix = "t" if "--" in filters.theme else "c"
        services = services.filter(tags__contains=f"|{prefix}:{filters.theme}|")
    if filters.public:
        services = services.filter(
            Q(tags__contains=f"|p:{filters.public}|") | Q(tags__contains="|p:tous-publics|")
        )
    if filters.language:
        services = services.filter(tags__contains=f"|l:{filters.language}|")
    for flag in filters.accepts:
        services = services.filter(tags__contains=f"|x:{flag}|")
    if filters.mode:
        services = services.filter(tags__contains=f"|m:{filters.mode}|")
    if filters.near is None and filters.open_at is None:
        return Found(list(services.order_by("nom", "pk").values_list("pk", flat=True)))
    if filters.near is not None:
        lat_min, lat_max, lon_min, lon_max = geo.bounding_box(*filters.near, filters.km)
        services = services.filter(
            place_latitude__range=(lat_min, lat_max), place_longitude__range=(lon_min, lon_max)
        )
    is_open = hours.open_at(filters.open_at) if filters.open_at is not None else None
    kept: list[tuple[float, str, int]] = []
    distances: dict[int, float] = {}
    for pk, name, lat, lon, opening in services.values_list(
        "pk", "nom", "place_latitude", "place_longitude", "place_hours"
    ):
        distance = 0.0
        if filters.near is not None:
            if lat is None or lon is None:  # the bounding box already left these out
                continue
            distance = geo.distance_km(filters.near[0], filters.near[1], lat, lon)
            if distance > filters.km:
                continue
            distances[pk] = distance
        if is_open is not None and not is_open(opening):
            continue
        kept.append((distance, name, pk))
    kept.sort()
    return Found([pk for _distance, _name, pk in kept], distances)


# --- territories ------------------------------------------------------------------------

SMALL_COUNT = 5  # counts below this are never shown


@dataclass
class LivedTerritory:
    """Where the persons a structure accompanied in a period live: counts only."""

    persons: int | None
    by_commune: list[tuple[str, str, int | None]]  # (code, name, count or None if < 5)
    by_territory: list[tuple[Territory, int | None]]
    outside: int | None  # in none of the structure's micro-territories
    unknown: int | None  # no commune known
    # Where the resources they were referred to are (persons per commune of the resource,
    # per resource, inside or outside the micro-territories).
    referred_by_commune: list[tuple[str, int | None]] = field(default_factory=list)
    referred_resources: list[tuple[str, int | None]] = field(default_factory=list)
    referred_inside: int | None = None
    referred_outside: int | None = None


def masked(count: int) -> int | None:
    return count if count >= SMALL_COUNT else None


def territories_of(structure: Structure) -> QuerySet[Territory]:
    return Territory.objects.filter(structure=structure, is_active=True).prefetch_related(
        "communes", "figures"
    )


def persons_seen(
    structure: Structure, start: datetime.date, end: datetime.date
) -> QuerySet[Person]:
    """The file active of the period: persons with something written in their record,
    or a visit at the desk, between the two dates."""
    from maillage.people.models import ReceptionVisit
    from maillage.record.models import Entry

    entries = Entry.objects.filter(
        person=OuterRef("pk"), occurred_at__date__gte=start, occurred_at__date__lte=end
    )
    visits = ReceptionVisit.objects.filter(person=OuterRef("pk"), day__gte=start, day__lte=end)
    return Person.objects.filter(structure=structure, merged_into__isnull=True).filter(
        Q(Exists(entries)) | Q(Exists(visits))
    )


def lived_territory(
    structure: Structure, start: datetime.date, end: datetime.date
) -> LivedTerritory:
    territories = list(territories_of(structure))
    codes_of = {t.pk: {c.code for c in t.communes.all()} for t in territories}
    inside = dict.fromkeys(codes_of, 0)
    by_code: dict[str, int] = {}
    total = outside = unknown = 0
    for code, lat, lon in (
        persons_seen(structure, start, end)
        .values_list("commune_code", "latitude", "longitude")
        .iterator(chunk_size=2000)
    ):
        total += 1
        if not code:
            unknown += 1
        else:
            by_code[code] = by_code.get(code, 0) + 1
        found = False
        for territory in territories:
            in_area = (
                territory.area is not None
                and lat is not None
                and lon is not None
                and geo.contains(territory.area, lat, lon)
            )
            if (code and code in codes_of[territory.pk]) or in_area:
                inside[territory.pk] += 1
                found = True
        if not found:
            outside += 1
    names = dict(Commune.objects.filter(code__in=by_code).values_list("code", "name"))
    communes = sorted(
        ((code, names.get(code, code), count) for code, count in by_code.items()),
        key=lambda row: (-row[2], row[1]),
    )
    referred = _referred(structure, start, end, territories, codes_of)
    return LivedTerritory(
        **referred,
        persons=masked(total),
        by_commune=[(code, name, masked(count)) for code, name, count in communes],
        by_territory=[(t, masked(inside[t.pk])) for t in territories],
        outside=masked(outside),
        unknown=masked(unknown),
    )


def _referred(
    structure: Structure,
    start: datetime.date,
    end: datetime.date,
    territories: list[Territory],
    codes_of: dict[int, set[str]],
) -> dict[str, Any]:
    """Persons referred in the period to a service or a professional of the directory,
    counted by where the resource is (its commune, itself, inside or outside the
    micro-territories). Counts only, under 5 never shown."""
    from maillage.coordination.models import Referral

    referrals = Referral.objects.filter(
        structure=structure,
        created_at__date__gte=start,
        created_at__date__lte=end,
        person__merged_into__isnull=True,
    ).filter(Q(to_service__isnull=False) | Q(to_professional__isnull=False))
    by_commune: dict[str, set[int]] = {}
    by_resource: dict[str, set[int]] = {}
    inside: set[int] = set()
    outside: set[int] = set()
    for row in referrals.values(
        "person_id",
        "to_service__nom",
        "to_service__organisation__nom",
        "to_service__commune",
        "to_service__code_insee",
        "to_service__organisation__commune",
        "to_service__organisation__code_insee",
        "to_service__place_latitude",
        "to_service__place_longitude",
        "to_professional__name",
        "to_professional__commune",
        "to_professional__place__code_insee",
        "to_professional__latitude",
        "to_professional__longitude",
    ).iterator(chunk_size=2000):
        person = row["person_id"]
        if row["to_service__nom"]:
            name = f"{row['to_service__nom']} ({row['to_service__organisation__nom']})"
            # The service's own commune, else its organisation's (as for its point).
            commune = row["to_service__commune"] or row["to_service__organisation__commune"]
            code = row["to_service__code_insee"] or row["to_service__organisation__code_insee"]
            lat, lon = row["to_service__place_latitude"], row["to_service__place_longitude"]
        else:
            name = row["to_professional__name"]
            commune = row["to_professional__commune"]
            code = row["to_professional__place__code_insee"]
            lat, lon = row["to_professional__latitude"], row["to_professional__longitude"]
        by_resource.setdefault(name, set()).add(person)
        by_commune.setdefault(commune or "", set()).add(person)
        is_inside = any(
            (code and code in codes_of[t.pk])
            or (
                t.area is not None
                and lat is not None
                and lon is not None
                and geo.contains(t.area, lat, lon)
            )
            for t in territories
        )
        (inside if is_inside else outside).add(person)

    def ranked(groups: dict[str, set[int]]) -> list[tuple[str, int | None]]:
        rows = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
        return [(name, masked(len(persons))) for name, persons in rows]

    return {
        "referred_by_commune": ranked(by_commune),
        "referred_resources": ranked(by_resource)[:20],
        "referred_inside": masked(len(inside)),
        "referred_outside": masked(len(outside)),
    }
