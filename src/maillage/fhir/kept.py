"""Elements and identifiers a FHIR write carried that the application has no field for:
kept beside the row (``models.KeptElements``, ``models.ExternalIdentifier``) and put back
when the resource is read.

- Top-level elements the mapping did not take are kept as they were sent.
- A list element the mapping took part of (``telecom`` with three phones) keeps the
  items it did not take.
- The ``code`` of a problem coded in several systems (ICPC-2 and SNOMED CT…) is kept
  whole, and its other codings come back as long as the problem still reads the same
  (same text, no code the kept one lacks): once recoded or renamed, they are dropped.
- The narrative (``text``) is kept only as long as the row has not changed since: a stale
  narrative would tell a reader something the record no longer says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from maillage.fhir.models import ExternalIdentifier, KeptElements
from maillage.fhir.registry import Context, ResourceType, Written, clean

# Elements the server always sets itself: never kept from what was sent.
SERVER_ELEMENTS = frozenset({"resourceType", "id", "meta"})


def save(rt: ResourceType, written: Written) -> None:
    object_id = rt.fhir_id(written.row)
    elements = {
        k: v
        for k, v in written.kept.items()
        if k not in SERVER_ELEMENTS and v not in (None, [], {}, "")
    }
    KeptElements.objects.filter(resource_type=rt.name, object_id=object_id).delete()
    if elements:
        KeptElements.objects.create(resource_type=rt.name, object_id=object_id, elements=elements)
    ExternalIdentifier.objects.filter(resource_type=rt.name, object_id=object_id).delete()
    ExternalIdentifier.objects.bulk_create(
        [
            ExternalIdentifier(
                resource_type=rt.name,
                object_id=object_id,
                position=position,
                system=str(identifier.get("system", ""))[:300],
                value=str(identifier.get("value", ""))[:300],
                data=identifier,
            )
            for position, identifier in enumerate(written.identifiers)
        ]
    )


class Stored:
    """What is kept for a page of rows, read in two queries."""

    def __init__(
        self, elements: dict[str, KeptElements], identifiers: dict[str, list[dict[str, Any]]]
    ):
        self.elements = elements
        self.identifiers = identifiers


def for_rows(rt: ResourceType, rows: Sequence[Any]) -> Stored:
    if not rows:
        return Stored({}, {})
    ids = [rt.fhir_id(row) for row in rows]
    elements = {
        k.object_id: k
        for k in KeptElements.objects.filter(resource_type=rt.name, object_id__in=ids)
    }
    identifiers: dict[str, list[dict[str, Any]]] = {}
    for row in ExternalIdentifier.objects.filter(resource_type=rt.name, object_id__in=ids).order_by(
        "position", "pk"
    ):
        identifiers.setdefault(row.object_id, []).append(row.data)
    return Stored(elements, identifiers)


def merge(rt: ResourceType, row: Any, resource: dict[str, Any], stored: Stored) -> dict[str, Any]:
    object_id = resource["id"]
    extra = stored.identifiers.get(object_id)
    if extra:
        resource["identifier"] = [*resource.get("identifier", []), *extra]
    found = stored.elements.get(object_id)
    if found is None:
        return resource
    changed = rt.changed_at(row)
    for key, value in found.elements.items():
        if key == "text" and changed is not None and changed > found.saved_at:
            continue
        if key == "code" and not _same_concept(resource.get(key), value):
            continue
        if resource.get(key) in (None, "", [], {}):
            resource[key] = value
        elif isinstance(resource[key], list) and isinstance(value, list):
            resource[key] = [*resource[key], *value]
        elif key == "code" and isinstance(resource[key], dict):
            resource[key] = {**resource[key], "coding": _codings(resource[key], value)}
    return resource


def _code_keys(concept: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(c.get("system"), c.get("code")) for c in concept.get("coding") or []]


def _same_concept(rendered: Any, kept: Any) -> bool:
    """Whether a kept CodeableConcept still describes the row: the row renders the same
    text and no coding the kept one lacks."""
    if not isinstance(rendered, dict) or not isinstance(kept, dict):
        return rendered in (None, {})
    known = set(_code_keys(kept))
    return rendered.get("text") == kept.get("text") and all(
        key in known for key in _code_keys(rendered)
    )


def _codings(rendered: dict[str, Any], kept: dict[str, Any]) -> list[dict[str, Any]]:
    """The row's codings, then the kept ones it does not have (by system and code)."""
    own = list(rendered.get("coding") or [])
    seen = set(_code_keys(rendered))
    return own + [
        c for c in kept.get("coding") or [] if (c.get("system"), c.get("code")) not in seen
    ]


def render_rows(rt: ResourceType, rows: Sequence[Any], ctx: Context) -> list[dict[str, Any]]:
    """The resources of ``rows``, with what FHIR writes kept (two queries per page)."""
    stored = for_rows(rt, rows)
    return [clean(merge(rt, row, rt.render(row, ctx), stored)) for row in rows]
