"""Generated from the URL configuration: every view of Maillage, called by someone who
must see nothing of centre A (anonymous, an account with no structure, a member of
another structure, a person using their own space), answers with a refusal — never with
content. A new view is covered as soon as it is added; a new kind of URL parameter makes
this test fail until it is given a value below."""

from __future__ import annotations

import pytest
from django.test import Client
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


def all_routes(resolver=None, prefix="", namespace=""):
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


@pytest.fixture
def objects(reception, doctor, person, make_person):
    other = make_person(birth_name="DURAND", given_names="Jean")
    relation = do_add_relation(
        reception, person, {"kind": "friend", "name": "Ami", "team_may_contact": True}
    )
    visit = do_mark_arrived(reception, person)
    note = record_actions.do_add_note(
        record_access(doctor, person), section=Section.CLINICAL, text="Note clinique"
    )
    return {
        "pk": person.pk,
        "other_pk": other.pk,
        "relation_pk": relation.pk,
        "visit_pk": visit.pk,
        "entry_pk": note.pk,
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
        "member_pk": reception.pk,
        "absence_pk": 1,
        "feed_pk": 1,
        "fmt": "json",
        "prefix": "no-such-prefix",
        # The FHIR interface (its own generated tests cover every resource type).
        "resource_type": "Condition",
        "resource_id": other.pk,  # Patient/{id}/$everything: someone else's
        "id": person.pk,
        "person_id": person.pk,
        "person_pk": person.pk,
        "job_id": "00000000-0000-0000-0000-000000000000",
        "file_name": "Patient.ndjson",
    }


def fill(route: str, values: dict[str, object]) -> str:
    import re

    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"give a value to the URL parameter <{name}> in this test")
        return str(values[name])

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    # Regular-expression routes are anchored; a "$" inside a path is FHIR's ($export).
    return "/" + path.removeprefix("^").removesuffix("$")


def routes_to_check():
    for route, name in all_routes():
        if route.startswith(PUBLIC_PREFIXES) or "static" in route or "<path:" in route:
            continue
        yield route, name


def test_it_finds_the_record_views():
    names = {name for _route, name in routes_to_check()}
    assert "record:timeline" in names and "people:detail" in names


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_member", "person"])
def test_no_view_shows_anything_to_outsiders(who, objects, outsider, other_member, person_user):
    client = Client()
    if who == "outsider":
        client.force_login(outsider)
    elif who == "other_member":
        client.force_login(other_member.user)
    elif who == "person":
        client.force_login(person_user)
    leaks = []
    for route, name in routes_to_check():
        if who == "person" and route.startswith(OWN_SPACE_PREFIXES):
            continue
        url = fill(route, objects)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code not in REFUSED and not (
                route == "" and response.status_code == 302
            ):
                # Pages that belong to every account (home, security, tokens,
                # notifications) must still show nothing of centre A.
                raw = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                body = raw.decode(errors="replace")
                if "DUPONT" in body or "Note clinique" in body or "DURAND" in body:
                    leaks.append((who, method, name, url, response.status_code))
    assert leaks == []
