"""The structure's catalogue of rights: the national rights, read-only, and the
structure's own, which the social workers, legal advisers, mediators, the coordinator
and the administrator add and put out of use; the rest of the team reads it, no one else
sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.core.roles import Role
from maillage.rights.catalogue import NATIONAL
from maillage.rights.models import RightKind
from maillage.rights.queries import kinds_for
from tests.conftest import client_for, make_member

URL = reverse("rights:catalogue")


def add(client, label="Aide du CCAS", category="income"):
    return client.post(URL, {"add-label": label, "add-category": category})


def test_it_lists_the_national_rights(as_social):
    page = as_social.get(URL)
    assert page.status_code == 200
    assert {k.code for k in page.context["national"]} == set(NATIONAL)
    assert page.context["own"] == []
    assert page.context["keeps"]


def test_a_social_worker_adds_a_right_of_the_structure(as_social, social_worker, centre):
    response = add(as_social, "  Aide   du CCAS ")
    assert response.status_code == 302 and response.url == URL
    kind = RightKind.objects.get(structure=centre)
    assert (kind.code, kind.label, kind.category, kind.is_active) == (
        "aide-du-ccas",
        "Aide du CCAS",
        "income",
        True,
    )
    assert kind in kinds_for(centre.pk)
    assert AccessEvent.objects.filter(
        actor_member=social_worker, action="create", object_id=str(kind.pk)
    ).exists()
    page = as_social.get(URL)
    assert page.context["own"] == [kind]
    assert f'id="kind-{kind.pk}"' in page.content.decode()


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Aide du CCAS", "income"),  # the same name twice
        ("aide du ccas!", "other"),  # the same code
        ("CSS", "coverage"),  # a national code
        ("!!!", "other"),  # no code at all
        ("", "other"),
        ("x" * 201, "other"),
        ("Aide", "nonsense"),
        ("a\x00b", "other"),
    ],
)
def test_a_bad_or_duplicate_name_is_refused(as_social, centre, label, category):
    assert add(as_social).status_code == 302
    response = add(as_social, label, category)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "label" in errors or "category" in errors
    assert RightKind.objects.filter(structure=centre).count() == 1


def test_a_right_is_put_out_of_use_and_back(as_social, social_worker, centre):
    add(as_social)
    kind = RightKind.objects.get(structure=centre)
    response = as_social.post(URL, {"kind": kind.pk, "active": "0"})
    assert response.status_code == 302
    kind.refresh_from_db()
    assert not kind.is_active
    assert kind not in kinds_for(centre.pk)
    assert AccessEvent.objects.filter(
        actor_member=social_worker, action="update", object_id=str(kind.pk)
    ).exists()
    # The page says it in words, and offers to put it back.
    page = as_social.get(URL).content.decode()
    assert 'name="active" value="1"' in page
    assert as_social.post(URL, {"kind": kind.pk, "active": "1"}).status_code == 302
    kind.refresh_from_db()
    assert kind.is_active


@pytest.mark.parametrize("value", ["abc", "", "-1", "99999999999999999999999", "1e3"])
def test_a_bad_kind_is_not_found(as_social, value):
    assert as_social.post(URL, {"kind": value, "active": "0"}).status_code == 404


def test_national_rights_and_other_structures_rights_are_not_changed(as_social, other_centre):
    national = RightKind.objects.get(structure=None, code="css")
    theirs = RightKind.objects.create(structure=other_centre, code="b", label="B")
    for kind in (national, theirs):
        assert as_social.post(URL, {"kind": kind.pk, "active": "0"}).status_code == 404
        kind.refresh_from_db()
        assert kind.is_active


@pytest.mark.parametrize("role", [Role.LEGAL_ADVISER, Role.MEDIATOR, Role.COORDINATOR, Role.ADMIN])
def test_who_keeps_the_catalogue(centre, role):
    member = make_member(centre, "keeper", role, "autre")
    assert add(client_for(member.user)).status_code == 302
    assert RightKind.objects.filter(structure=centre).exists()


@pytest.mark.parametrize("who", ["as_doctor", "as_reception"])
def test_the_rest_of_the_team_reads_it(who, request, centre):
    kind = RightKind.objects.create(structure=centre, code="aide", label="Aide")
    client = request.getfixturevalue(who)
    page = client.get(URL)
    assert page.status_code == 200
    assert not page.context["keeps"]
    assert page.context["own"] == [kind]
    assert 'name="add-label"' not in page.content.decode()
    assert add(client, "Autre aide").status_code == 404
    assert client.post(URL, {"kind": kind.pk, "active": "0"}).status_code == 404
    kind.refresh_from_db()
    assert kind.is_active
    assert RightKind.objects.filter(structure=centre).count() == 1


def test_another_centre_sees_its_own_catalogue_only(as_other, centre):
    RightKind.objects.create(structure=centre, code="aide", label="Aide de A")
    page = as_other.get(URL)
    assert page.status_code == 200
    assert page.context["own"] == []
    assert "Aide de A" not in page.content.decode()


@pytest.mark.parametrize("who", ["as_outsider", "as_person"])
def test_outsiders_see_nothing(who, request, centre):
    client = request.getfixturevalue(who)
    assert client.get(URL).status_code == 404
    assert add(client).status_code == 404
    assert not RightKind.objects.filter(structure__isnull=False).exists()


def test_partners_and_anonymous_see_nothing(partner, client, centre):
    assert client.get(URL).status_code == 302
    assert client_for(partner.user).get(URL).status_code == 404
    assert add(client_for(partner.user)).status_code == 404
    assert not RightKind.objects.filter(structure=centre).exists()
