"""Generated from the URL configuration: every view of Maillage, called by someone who
must see nothing of centre A (anonymous, an account with no structure, a member of
another structure, a person using their own space), answers with a refusal — never with
content. A new view is covered as soon as it is added; a new kind of URL parameter makes
this test fail until it is given a value in tests/core/routes.py (shared with
tests/core/test_access_sweep.py, which tries every view as every role)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.core.routes import (  # noqa: F401 (objects is a fixture; the others are shared)
    OWN_SPACE_PREFIXES,
    PUBLIC_PREFIXES,
    REFUSED,
    all_routes,
    body_text,
    fill,
    objects,
    routes_to_check,
)


def test_it_finds_the_record_views():
    names = {name for _route, name in routes_to_check()}
    assert "record:timeline" in names and "people:detail" in names


@pytest.mark.parametrize("who", ["anonymous", "outsider", "other_member", "person"])
def test_no_view_shows_anything_to_outsiders(who, objects, outsider, other_member, person_user):  # noqa: F811
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
                body = body_text(response)
                if "DUPONT" in body or "Note clinique" in body or "DURAND" in body:
                    leaks.append((who, method, name, url, response.status_code))
    assert leaks == []
