"""Every route of Maillage, read from the URL configuration, and values for their URL
parameters: shared by the generated tests (tests/core/test_every_view_denies_outsiders.py,
tests/core/test_access_sweep.py, tests/core/test_hostile_input.py). A new view is covered
as soon as it is added; a new kind of URL parameter fails these tests until it is given a
value here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from maillage.core.access import record_access
from maillage.core.roles import Section
from maillage.people.actions import do_add_relation, do_mark_arrived
from maillage.record import actions as record_actions

# Views anyone may open: signing in, accepting an invitation, the language switch, and
# the person's own space (which shows only their own record: tested in tests/portal).
PUBLIC_PREFIXES = (
    "accounts/",
    "i18n/",
    "invitation/",
    "api/docs",
    "api/openapi",
    "fhir/R4/metadata",
    "sante/",  # the health page: tells nothing about anyone (tests/core/test_health.py)
)
OWN_SPACE_PREFIXES = ("mon-espace/",)
REFUSED = {302, 401, 403, 404, 405}

# Values of the URL parameters that name no object of the tests: an id no row has, a
# token nobody was given.
PLACEHOLDERS: dict[str, object] = {
    "choice_pk": 1,
    "row_pk": 1,
    "token": "no-such-token",
    "kind": "services",
    "link_pk": 1,
    "referral_pk": 1,
    "request_pk": 1,
    "project_pk": 1,
    "problematique_pk": 1,
    "need_pk": 1,
    "goal_pk": 1,
    "action_pk": 1,
    "review_pk": 1,
    "circle_pk": 1,
    "task_pk": 1,
    "meeting_pk": 1,
    "attendee_pk": 1,
    "agenda_pk": 1,
    "appointment_pk": 1,
    "room_pk": 1,
    "right_pk": 1,
    "application_pk": 1,
    "absence_pk": 1,
    "feed_pk": 1,
    "fmt": "json",
    "prefix": "no-such-prefix",
    # The FHIR interface (its own generated tests cover every resource type).
    "resource_type": "Condition",
    "job_id": "00000000-0000-0000-0000-000000000000",
    "file_name": "Patient.ndjson",
    "path": "Patient/1/nothing",
    # The sign-in pages' links (e-mail confirmation, password reset).
    "key": "no-such-key",
    "uidb36": "0",
}


def all_routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(route, name) of every view, ``namespace:name`` for the included ones."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            yield from all_routes(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (
                prefix + str(entry.pattern),
                f"{namespace}:{entry.name}" if namespace else entry.name,
            )


def routes_to_check() -> Iterator[tuple[str, str]]:
    """Every route but the public ones, static files and catch-all paths."""
    for route, name in all_routes():
        if route.startswith(PUBLIC_PREFIXES) or "static" in route or "<path:" in route:
            continue
        yield route, name


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
# A named group of a regular-expression route (the sign-in pages' links).
GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")


def parameters(route: str) -> list[str]:
    return [match.group(2) for match in PARAMETER.finditer(route)]


def fill(route: str, values: dict[str, Any]) -> str:
    """The route as a path, its parameters replaced by ``values``."""

    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in values:
            raise AssertionError(
                f"give a value to the URL parameter <{name}> in tests/core/routes.py"
            )
        return str(values[name])

    path = PARAMETER.sub(value, GROUP.sub(lambda m: f"<{m.group(1)}>", route))
    # Regular-expression routes are anchored (included ones after their prefix); a "$"
    # inside a path is FHIR's ($export).
    return "/" + re.sub(r"(^|/)\^", r"\1", path).removesuffix("$")


def url_values(*, person, other, relation, visit, entry, member) -> dict[str, object]:
    """Values for every URL parameter: the person of centre A and their objects, another
    person of the same structure (``other_pk``), placeholders for the rest."""
    return {
        **PLACEHOLDERS,
        "pk": person.pk,
        "other_pk": other.pk,
        "relation_pk": relation.pk,
        "visit_pk": visit.pk,
        "entry_pk": entry.pk,
        "member_pk": member.pk,
        "resource_id": other.pk,  # Patient/{id}/$everything: someone else's
        "id": person.pk,
        "person_id": person.pk,
        "person_pk": person.pk,
    }


def body_text(response: Any) -> str:
    """The response's body as text (streamed files read whole)."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


@pytest.fixture
def objects(reception, doctor, person, make_person) -> dict[str, object]:
    other = make_person(birth_name="DURAND", given_names="Jean")
    relation = do_add_relation(
        reception, person, {"kind": "friend", "name": "Ami", "team_may_contact": True}
    )
    visit = do_mark_arrived(reception, person)
    note = record_actions.do_add_note(
        record_access(doctor, person), section=Section.CLINICAL, text="Note clinique"
    )
    return url_values(
        person=person, other=other, relation=relation, visit=visit, entry=note, member=reception
    )
