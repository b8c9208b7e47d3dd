"""The application's URLs plus the benchmark's minimal view: one query, one small template."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

BARE = engines["django"].from_string(
    '<!DOCTYPE html><html lang="fr"><title>bare</title><ul>'
    "{% for e in rows %}<li>{{ e.occurred_at }} — {{ e.kind }} — {{ e.text }}</li>{% endfor %}"
    "</ul></html>"
)


def bare(request: HttpRequest, pk: int) -> HttpResponse:
    from maillage.record.models import Entry

    rows = list(Entry.objects.filter(person_id=pk).order_by("-occurred_at", "-id")[:25])
    return HttpResponse(BARE.render({"rows": rows}, request))


urlpatterns = [path("bench/bare/<int:pk>/", bare), path("", include("maillage.urls"))]
