"""Rendering timeline entries, each rendered entry kept in the cache.

An entry changes only by a correction (its ``version``) or by a child written in it; the
children a viewer sees depend on their access. So a rendered entry is keyed by the entry's
version, the ids and versions of the children this viewer may read, the page's flags,
the language and the list of ICPC-2 titles loaded: two viewers share a fragment only
when they would see exactly the same HTML.
The cache is the process's own memory unless an administrator configures another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from maillage.record.models import Entry
from maillage.record.queries import icpc2_titles, with_details

TEMPLATE = "record/_entry.html"
TIMEOUT = 3600


def render_entries(
    visible: QuerySet[Entry],
    rows: list[tuple[int, int, str, Any]],
    context: Mapping[str, Any],
) -> tuple[list[SafeString], set[str]]:
    """HTML of the page's entries, in order, and the sections shown.

    ``rows`` are (pk, version, section, created_at) of the page's entries; ``context``
    holds the page's flags (person, link, can_write, portal…), all part of the cache key.
    The creation time is in the key too, so that an id used again (a database restored
    from a backup, a test database) never finds another entry's HTML.
    """
    pks = [row[0] for row in rows]
    sections = {row[2] for row in rows}
    children: dict[int, list[str]] = {}
    for parent_id, pk, version, section, created in (
        visible.filter(parent_id__in=pks)
        .order_by("occurred_at", "pk")
        .values_list("parent_id", "pk", "version", "section", "created_at")
    ):
        children.setdefault(parent_id, []).append(f"{pk}.{version}.{created.timestamp()}")
        sections.add(section)
    flags = ":".join(f"{name}={context[name]!r}" for name in sorted(context) if name != "person")
    person = context["person"].pk
    rubrics, _titles = icpc2_titles()  # a new list of ICPC-2 titles renders entries anew
    keys = {
        pk: f"record-entry:{get_language()}:{rubrics}:{person}:{flags}:"
        f"{pk}.{version}.{created.timestamp()}:" + ",".join(children.get(pk, []))
        for pk, version, _section, created in rows
    }
    found: dict[str, str] = cache.get_many(list(keys.values()))
    missing = [pk for pk in pks if keys[pk] not in found]
    if missing:
        fresh = {}
        for entry in with_details(visible.filter(pk__in=missing), visible):
            # Without the request: an entry needs none of the context processors.
            html = render_to_string(TEMPLATE, {**context, "entry": entry})
            fresh[keys[entry.pk]] = html
        cache.set_many(fresh, TIMEOUT)
        found.update(fresh)
    return [mark_safe(found[keys[pk]]) for pk in pks if keys[pk] in found], sections  # noqa: S308 - our own rendered templates
