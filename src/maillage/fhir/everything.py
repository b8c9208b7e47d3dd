"""Everything about one person: ``Patient/{id}/$everything``, and the person's own "download
my data" (the same Bundle, as a file, and a readable summary of it).

The Bundle holds the Patient, then every resource of the patient compartment the caller
may read — each type's own access policy, as for a search — and then the resources they
point to that the caller may read too (the members, the structure, the rooms, the
services of the directory, the entourage), so that a program receiving it can resolve
its references without asking again.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from maillage.fhir.caller import Caller
from maillage.fhir.errors import fail
from maillage.fhir.kept import render_rows
from maillage.fhir.registry import REGISTRY, Context, ResourceType, audit_rows
from maillage.fhir.search import parse_date

# The types a resource of the compartment points to, added to the Bundle when readable.
REFERENCED = (
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "HealthcareService",
    "RelatedPerson",
)
REFERENCE_RE = re.compile(r"^([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


@dataclass
class Everything:
    """The resources found, and the (person, section) pairs they show (for the log)."""

    matches: list[dict[str, Any]] = field(default_factory=list)
    included: list[dict[str, Any]] = field(default_factory=list)
    shown: set[tuple[int, str]] = field(default_factory=set)

    def bundle(self, ctx: Context) -> dict[str, Any]:
        entries = [
            {"fullUrl": ctx.url(f"{r['resourceType']}/{r['id']}"), "resource": r, "search": mode}
            for resources, mode in (
                (self.matches, {"mode": "match"}),
                (self.included, {"mode": "include"}),
            )
            for r in resources
        ]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(self.matches),
            "entry": entries,
        }


def parse_options(
    items: list[tuple[str, str]],
) -> tuple[set[str] | None, datetime.datetime | None]:
    """``_type`` (comma-separated types) and ``_since`` (an instant); any other parameter
    is refused, as in a search."""
    types: set[str] | None = None
    since = None
    for key, raw in items:
        if key in {"_format", "_pretty"}:
            continue
        if key == "_type":
            wanted = {t.strip() for t in raw.split(",") if t.strip()}
            unknown = sorted(wanted - set(REGISTRY))
            if unknown or not wanted:
                raise fail(
                    400,
                    "value",
                    _("Unknown resource type in _type: %(types)s.")
                    % {"types": ", ".join(t[:40] for t in unknown[:5]) or "—"},
                    "_type",
                )
            types = (types or set()) | wanted
        elif key == "_since":
            since = parse_date(raw, "_since").start
        else:
            raise fail(
                400,
                "not-supported",
                _("“%(name)s” is not a parameter of $everything (_type, _since).")
                % {"name": key[:60]},
                key,
            )
    return types, since


def _compartment_rows(
    caller: Caller,
    person_id: int,
    types: Collection[str] | None,
    since: datetime.datetime | None,
) -> Iterator[tuple[ResourceType, list[Any]]]:
    """Each type's rows of the person the caller may read, the Patient first."""
    names = ["Patient", *sorted(n for n in REGISTRY if n != "Patient")]
    for name in names:
        if types is not None and name not in types and name != "Patient":
            continue
        for part in REGISTRY[name].parts():
            lookup = part.compartment_lookup()
            if not lookup:
                continue
            rows = part.readable(caller).filter(**{lookup: person_id})
            if since is not None and name != "Patient" and part.last_updated:
                # A type that does not record when it changed is given whole, as by
                # $export: a client syncing since a date must not miss a change.
                rows = rows.filter(**{f"{part.last_updated}__gte": since})
            found = list(part.prepare(rows.order_by(*part.order())))
            if found:
                yield part, found


def _references(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str) and (match := REFERENCE_RE.match(ref)):
            yield match.group(1), match.group(2)
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def everything(
    caller: Caller,
    person_id: int,
    ctx: Context,
    types: Collection[str] | None = None,
    since: datetime.datetime | None = None,
) -> Everything:
    """What ``caller`` may read of the person (who must be readable: the caller checks)."""
    result = Everything()
    for part, rows in _compartment_rows(caller, person_id, types, since):
        result.matches += render_rows(part, rows, ctx)
        result.shown |= audit_rows(part, rows)
    seen = {(r["resourceType"], r["id"]) for r in result.matches}
    wanted: dict[str, set[str]] = {}
    for kind, pk in _references(result.matches):
        if kind in REFERENCED and (kind, pk) not in seen:
            wanted.setdefault(kind, set()).add(pk)
    for kind in REFERENCED:
        if kind not in wanted:
            continue
        for part in REGISTRY[kind].parts():
            rows = list(
                part.prepare(part.readable(caller).filter(part._by_ids(sorted(wanted[kind]))))
            )
            result.included += render_rows(part, rows, ctx)
            result.shown |= audit_rows(part, rows)
    return result
