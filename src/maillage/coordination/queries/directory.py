"""Finding a service or a professional of the structure's directory by name, for a
referral or for the circle of care: one search, one way to name what was chosen."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from maillage.core.models import Structure
from maillage.lib.names import normalize
from maillage.territory.models import Professional, Service


def search_words(query: str) -> list[str]:
    return normalize(query[:150]).split()[:6]


def directory_candidates(structure: Structure, words: list[str]) -> list[tuple[str, str, str]]:
    """(target value, name, detail) of the active services and professionals of the
    structure's directory whose name holds every word (``search_words``)."""
    if not words:
        return []
    services = Service.objects.filter(owner=structure, is_active=True)
    professionals = Professional.objects.filter(owner=structure, is_active=True)
    for word in words:
        services = services.filter(search_text__contains=word)
        professionals = professionals.filter(search_text__contains=word)
    found = [
        (f"service:{s.pk}", s.nom, f"{s.organisation.nom} — {s.commune}")
        for s in services.select_related("organisation").order_by("nom")[:8]
    ]
    found += [
        (f"professional:{p.pk}", p.name, p.get_profession_display())
        for p in professionals.order_by("name")[:5]
    ]
    return found


def directory_target(structure: Structure, value: str) -> Service | Professional:
    """``service:12`` or ``professional:3`` → the active entry of the structure's
    directory; 404 for anything else."""
    kind, _sep, raw = value.partition(":")
    if not raw.isdigit() or len(raw) > 12:
        raise Http404
    if kind == "service":
        return get_object_or_404(Service, pk=int(raw), owner=structure, is_active=True)
    if kind == "professional":
        return get_object_or_404(Professional, pk=int(raw), owner=structure, is_active=True)
    raise Http404
