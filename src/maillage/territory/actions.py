"""Every write on the territory and its directory (``do_<verb>_<noun>``), atomic."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.models import Structure
from maillage.lib.names import normalize
from maillage.territory import datainclusion as di
from maillage.territory.models import (
    DirectoryEntry,
    HealthAccess,
    LinkKind,
    Organisation,
    OrganisationLink,
    Professional,
    Service,
)

BATCH = 1000

# Model fields that hold a data·inclusion field of the same name (``id`` is ``di_id``
# and a service's ``structure_id`` is its ``organisation``).
ORGANISATION_FIELDS = [name for name in di.FIELDS["structure"] if name not in {"id"}]
SERVICE_FIELDS = [name for name in di.FIELDS["service"] if name not in {"id", "structure_id"}]
EXTENSION_FLAGS = (
    "interpreting",
    "accepts_ame",
    "accepts_css",
    "accepts_uninsured",
    "third_party_payment",
    "sector_1",
    "wheelchair_access",
)
# What the team knows of a place (``models.HealthAccess``): never imported, never exported.
HEALTH_ACCESS_FIELDS = [
    "languages",
    *EXTENSION_FLAGS,
    "contact_name",
    "contact_details",
    "team_notes",
]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[di.RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def valid(self) -> int:
        return self.created + self.updated + self.unchanged


def tags_of(entry: HealthAccess) -> str:
    """``|kind:value|`` for every list value and extension flag that filters search."""
    parts: list[str] = []
    if isinstance(entry, Professional):
        parts.append(f"pr:{entry.profession}")
    for name, prefix in (
        ("thematiques", "t"),
        ("publics", "p"),
        ("modes_accueil", "m"),
        ("modes_mobilisation", "mm"),
    ):
        parts += [f"{prefix}:{value}" for value in getattr(entry, name, None) or []]
        if name == "thematiques":
            # A theme "sante--acces-aux-soins" is found by its category "sante" too.
            parts += sorted({f"c:{v.split('--')[0]}" for v in getattr(entry, name, None) or []})
    parts += [f"l:{code}" for code in entry.languages or []]
    parts += [f"x:{flag}" for flag in EXTENSION_FLAGS if getattr(entry, flag) is True]
    return "|" + "|".join(parts) + "|" if parts else ""


def search_text_of(entry: DirectoryEntry, organisation: Organisation | None = None) -> str:
    words = [entry.nom, entry.commune, entry.description[:1000]]
    if organisation is not None:
        words.append(organisation.nom)
    return normalize(" ".join(w for w in words if w))


def _empty_values(model: type[Organisation] | type[Service], names: list[str]) -> dict[str, Any]:
    """What a missing data·inclusion value is stored as, per field: None, [] or ""."""
    return {
        name: None if model._meta.get_field(name).null else ([] if name in di.LIST_FIELDS else "")
        for name in names
    }


EMPTY = {
    "structure": _empty_values(Organisation, ORGANISATION_FIELDS),
    "service": _empty_values(Service, SERVICE_FIELDS),
}


def _model_values(kind: di.Kind, data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"di_id": data["id"]}
    for name, empty in EMPTY[kind].items():
        value = data.get(name)
        if value is None:
            value = list(empty) if isinstance(empty, list) else empty
        elif name == "date_maj" and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        values[name] = value
    return values


def _refresh(entry: DirectoryEntry, organisation: Organisation | None = None) -> None:
    entry.tags = tags_of(entry)
    entry.search_text = search_text_of(entry, organisation)
    if isinstance(entry, Service) and organisation is not None:
        _place(entry, organisation)


def _place(service: Service, organisation: Organisation) -> None:
    """The service's own point and hours, else its organisation's."""
    own = service.latitude is not None and service.longitude is not None
    service.place_latitude = service.latitude if own else organisation.latitude
    service.place_longitude = service.longitude if own else organisation.longitude
    service.place_hours = service.horaires_accueil or organisation.horaires_accueil


def _replace_organisations_places(organisation_pks: Iterable[int]) -> None:
    """After organisations changed, what their services inherit from them."""
    services: list[Service] = []
    for service in Service.objects.filter(
        organisation_id__in=list(organisation_pks)
    ).select_related("organisation"):
        _place(service, service.organisation)
        services.append(service)
    Service.objects.bulk_update(
        services, ["place_latitude", "place_longitude", "place_hours"], batch_size=BATCH
    )


def _check_references(
    owner: Structure, rows: Sequence[di.Row]
) -> tuple[list[di.Row], list[di.RowError]]:
    """Drop rows given twice and services whose structure is nowhere to be found."""
    known = set(Organisation.objects.filter(owner=owner).values_list("source", "di_id"))
    known |= {row.key for row in rows if row.kind == "structure"}
    seen: dict[tuple[str, str, str], int] = {}
    kept: list[di.Row] = []
    errors: list[di.RowError] = []
    for row in rows:
        key = (row.kind, *row.key)
        if key in seen:
            errors.append(
                di.RowError(
                    row.kind,
                    row.line,
                    row.data["id"],
                    [_("id: given a second time (first on line %(line)d)") % {"line": seen[key]}],
                )
            )
            continue
        seen[key] = row.line
        if row.kind == "service" and (row.data["source"], row.data["structure_id"]) not in known:
            errors.append(
                di.RowError(
                    row.kind,
                    row.line,
                    row.data["id"],
                    [
                        _("structure_id: no structure “%(id)s” from the source “%(source)s”")
                        % {"id": row.data["structure_id"], "source": row.data["source"]}
                    ],
                )
            )
            continue
        kept.append(row)
    return kept, errors


def do_import_directory(
    owner: Structure, parsed: di.Parsed, *, keep_valid: bool = False
) -> ImportReport:
    """Create or update organisations and services by ``source`` + ``id``. With any bad
    row, nothing is written unless ``keep_valid``. A row identical to what is stored is
    not written at all: importing the same file twice changes nothing. The team's own
    fields (languages, AME, notes…) are never touched by an import."""
    rows, errors = _check_references(owner, parsed.rows)
    report = ImportReport(errors=[*parsed.errors, *errors])
    report.errors.sort(key=lambda e: (e.kind != "structure", e.line))
    if report.errors and not keep_valid:
        report.unchanged = len(rows)  # what would have been read; nothing is applied
        return report
    with transaction.atomic():
        structures = [r for r in rows if r.kind == "structure"]
        _upsert(owner, "structure", Organisation, structures, report)
        services = [r for r in rows if r.kind == "service"]
        _upsert(owner, "service", Service, services, report)
    report.applied = True
    return report


def _upsert(
    owner: Structure,
    kind: di.Kind,
    model: type[Organisation] | type[Service],
    rows: list[di.Row],
    report: ImportReport,
) -> None:
    stored = {
        (source, di_id): (pk, fingerprint)
        for pk, source, di_id, fingerprint in model.objects.filter(owner=owner).values_list(
            "pk", "source", "di_id", "fingerprint"
        )
    }
    organisations: dict[tuple[str, str], Organisation] = {}
    if kind == "service":
        wanted = {(r.data["source"], r.data["structure_id"]) for r in rows}
        organisations = {
            (o.source, o.di_id): o
            for o in Organisation.objects.filter(owner=owner).only("pk", "source", "di_id", "nom")
            if (o.source, o.di_id) in wanted
        }
    fresh: list[Any] = []
    changed_pks: dict[int, di.Row] = {}
    for row in rows:
        fingerprint = row.fingerprint
        found = stored.get(row.key)
        if found is not None and found[1] == fingerprint:
            report.unchanged += 1
            continue
        if found is not None:
            changed_pks[found[0]] = row
            continue
        values = _model_values(kind, row.data)
        entry = model(owner=owner, fingerprint=fingerprint, **values)
        organisation = None
        if kind == "service":
            organisation = organisations[(row.data["source"], row.data["structure_id"])]
            entry.organisation = organisation  # type: ignore[union-attr]
        _refresh(entry, organisation)
        fresh.append(entry)
    model.objects.bulk_create(fresh, batch_size=BATCH)
    report.created += len(fresh)
    if changed_pks:
        names = ORGANISATION_FIELDS if kind == "structure" else SERVICE_FIELDS
        update_fields = [*names, "fingerprint", "tags", "search_text"]
        if kind == "service":
            update_fields += ["organisation", "place_latitude", "place_longitude", "place_hours"]
        pks = list(changed_pks)
        for start in range(0, len(pks), BATCH):
            batch: list[Any] = list(model.objects.filter(pk__in=pks[start : start + BATCH]))
            for entry in batch:
                row = changed_pks[entry.pk]
                for name, value in _model_values(kind, row.data).items():
                    setattr(entry, name, value)
                entry.fingerprint = row.fingerprint
                organisation = None
                if kind == "service":
                    organisation = organisations[(row.data["source"], row.data["structure_id"])]
                    entry.organisation = organisation
                _refresh(entry, organisation)
            model.objects.bulk_update(batch, update_fields, batch_size=BATCH)
            report.updated += len(batch)
        if kind == "structure":
            _replace_organisations_places(pks)


def do_update_health_access(entry: DirectoryEntry, data: Mapping[str, Any]) -> None:
    """The team's own fields of an organisation or a service."""
    for name in HEALTH_ACCESS_FIELDS:
        setattr(entry, name, data.get(name, getattr(entry, name)))
    organisation = entry.organisation if isinstance(entry, Service) else None
    _refresh(entry, organisation)
    entry.save(update_fields=[*HEALTH_ACCESS_FIELDS, "tags", "search_text", "updated_at"])


# --- exports --------------------------------------------------------------------------


def _di_row(
    kind: di.Kind, entry: Any, organisations: Mapping[int, tuple[str, str]]
) -> dict[str, Any]:
    names = ORGANISATION_FIELDS if kind == "structure" else SERVICE_FIELDS
    row: dict[str, Any] = {"id": entry.di_id}
    for name in names:
        value = getattr(entry, name)
        row[name] = None if value in ("", []) else value
    if kind == "service":
        row["structure_id"] = organisations[entry.organisation_id][1]
    return row


def export_rows(owner: Structure, kind: di.Kind) -> Iterable[dict[str, Any]]:
    """The structure's listed organisations or services as data·inclusion rows, checked
    by the schema, streamed."""
    organisations = {
        pk: (source, di_id)
        for pk, source, di_id in Organisation.objects.filter(owner=owner).values_list(
            "pk", "source", "di_id"
        )
    }
    model = Organisation if kind == "structure" else Service
    entries = (
        model.objects.filter(owner=owner, is_active=True).order_by("pk").iterator(chunk_size=BATCH)
    )
    return di.export_rows(kind, (_di_row(kind, e, organisations) for e in entries))


# --- communes ---------------------------------------------------------------------------


@transaction.atomic
def do_load_communes(rows: Iterable[Mapping[str, Any]]) -> int:
    """Create or refresh the current communes of the COG (``type`` commune-actuelle);
    centres already set (by hand or from a file) are kept."""
    from maillage.territory.models import Commune

    existing = set(Commune.objects.values_list("code", flat=True))
    fresh: list[Commune] = []
    changed: list[Commune] = []
    for row in rows:
        if row.get("type", "commune-actuelle") != "commune-actuelle" or not row.get("code"):
            continue
        commune = Commune(
            code=str(row["code"]),
            name=str(row.get("nom", ""))[:120],
            search_name=normalize(str(row.get("nom", "")))[:120],
            departement=str(row.get("departement", ""))[:3],
            region=str(row.get("region", "") or "")[:3],
            postcodes=list(row.get("codesPostaux") or []),
            population=row.get("population"),
        )
        (changed if commune.code in existing else fresh).append(commune)
    Commune.objects.bulk_create(fresh, batch_size=BATCH)
    Commune.objects.bulk_update(
        changed,
        ["name", "search_name", "departement", "region", "postcodes", "population"],
        batch_size=BATCH,
    )
    return len(fresh) + len(changed)


# --- professionals and relations --------------------------------------------------------

PROFESSIONAL_FIELDS = [
    "name",
    "profession",
    "speciality",
    "rpps",
    "place",
    "adresse",
    "code_postal",
    "commune",
    "telephone",
    "courriel",
    *HEALTH_ACCESS_FIELDS,
]


@transaction.atomic
def do_save_professional(
    owner: Structure, data: Mapping[str, Any], professional: Professional | None = None
) -> Professional:
    """Create or update a professional of the territory; where they practise gives them
    their place's coordinates."""
    professional = professional or Professional(owner=owner)
    for name in PROFESSIONAL_FIELDS:
        if name in data:
            setattr(professional, name, data[name])
    place = professional.place
    professional.latitude = place.latitude if place is not None else None
    professional.longitude = place.longitude if place is not None else None
    professional.tags = tags_of(professional)
    professional.search_text = normalize(
        " ".join(w for w in (professional.name, professional.speciality, professional.commune) if w)
    )
    professional.save()
    return professional


def do_link_organisations(
    member: Any, source: Organisation, target: Organisation, kind: str, note: str = ""
) -> OrganisationLink:
    if kind not in LinkKind.values or source.pk == target.pk:
        raise ValueError(kind)
    return OrganisationLink.objects.create(
        owner=source.owner, source=source, target=target, kind=kind, note=note, created_by=member
    )


def do_end_link(member: Any, link: OrganisationLink) -> None:
    link.ended_at = timezone.now()
    link.ended_by = member
    link.save(update_fields=["ended_at", "ended_by"])


@transaction.atomic
def do_set_commune_centres(points: Iterable[tuple[str, float, float]]) -> int:
    """Set the centres of communes: (INSEE code, latitude, longitude)."""
    from maillage.territory.models import Commune

    wanted = {code: (lat, lon) for code, lat, lon in points}
    communes = list(Commune.objects.filter(code__in=list(wanted)))
    for commune in communes:
        commune.latitude, commune.longitude = wanted[commune.code]
    Commune.objects.bulk_update(communes, ["latitude", "longitude"], batch_size=BATCH)
    return len(communes)
