"""Bad input never gives a 500: odd strings, odd numbers, odd pages, odd pks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import Member
from maillage.core.roles import Role
from maillage.people.actions import do_add_relation
from maillage.people.models import Person
from tests.conftest import client_for
from tests.hostile import HUGE, ODD_STRINGS

# The search box parses dates, phones and NIRs: a few more shapes for it alone.
ODD_QUERIES = [
    *ODD_STRINGS,
    "é" * 300,
    "٠٦١٢٣٤٥٦٧٨",
    "1985-13-45",
    "9999",
    "2A",
    "-",
    "de la le du",
    "' \" ; , . /",
]
IDENTITY_TEXT_FIELDS = (
    "birth_name",
    "given_names",
    "used_name",
    "preferred_name",
    "birth_date",
    "birth_place_code",
    "nir",
    "phone",
    "email",
    "postcode",
    "reception_notes",
)


def assert_not_server_error(response):
    assert response.status_code < 500


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_it_searches_odd_queries(as_reception, person, q):
    response = as_reception.get(reverse("people:search"), {"q": q})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    htmx = as_reception.get(reverse("people:search"), {"q": q}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200


def test_it_truncates_a_very_long_query(as_reception, person):
    response = as_reception.get(reverse("people:search"), {"q": "dupont " * 100})
    assert response.status_code == 200
    assert len(response.context["q"]) == 200
    assert [p.pk for p in response.context["results"]] == [person.pk]


VALID_IDENTITY = {
    "birth_name": "TEST",
    "given_names": "Odd",
    "sex": "F",
    "birth_date": "01/01/1990",
    "identity_status": "prov",
    "document_type": "none",
}


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_it_registers_or_rejects_odd_identities(as_reception, value):
    url = reverse("people:register")
    everything_odd = {**VALID_IDENTITY, **dict.fromkeys(IDENTITY_TEXT_FIELDS, value)}
    assert_not_server_error(as_reception.post(url, everything_odd))
    assert_not_server_error(as_reception.get(url, {"nom": value}))


def test_it_rejects_odd_choices_at_registration(as_reception):
    data = {
        "birth_name": "TEST",
        "given_names": "Odd",
        "sex": "Z",
        "identity_status": "super",
        "document_type": "../../etc/passwd",
        "languages": ["xx", "fr"],
        "interpreting_language": "klingon",
        "birth_date": "1" * 50,
    }
    response = as_reception.post(reverse("people:register"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in ("sex", "identity_status", "document_type", "languages", "birth_date"):
        assert field in errors
    assert not Person.objects.exists()


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_it_corrects_or_rejects_odd_identities(as_reception, person, value):
    from tests.people.helpers import person_post_data

    url = reverse("people:edit", args=[person.pk])
    base = person_post_data(person, reason="fuzz")
    everything_odd = {**base, **dict.fromkeys([*IDENTITY_TEXT_FIELDS, "reason"], value)}
    assert_not_server_error(as_reception.post(url, everything_odd))


@pytest.mark.parametrize("keep", ["abc", "", "-1", HUGE, "1 OR 1=1", "²"])
def test_it_rejects_odd_merge_choices(as_reception, person, make_person, keep):
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    url = reverse("people:merge", args=[person.pk, twin.pk])
    response = as_reception.post(url, {"keep": keep, "reason": "x" * 2000})
    assert response.status_code == 200
    assert not Person.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_it_adds_or_rejects_odd_relations(as_reception, person, value):
    url = reverse("people:relation_add", args=[person.pk])
    text = dict.fromkeys(("name", "phone", "email", "how_to_reach", "notes"), value)
    assert_not_server_error(as_reception.post(url, {"kind": "friend", **text}))
    assert_not_server_error(as_reception.post(url, {"kind": value, "name": "Zoé"}))


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_it_marks_arrival_with_odd_reasons(as_reception, person, value):
    url = reverse("people:arrive", args=[person.pk])
    response = as_reception.post(url, {"reason": value, "next": value})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        f"/personnes/{HUGE}/",
        f"/personnes/{HUGE}/modifier/",
        f"/personnes/{HUGE}/historique/",
        f"/personnes/{HUGE}/doublons/",
        f"/personnes/{HUGE}/acces/",
        f"/personnes/1/fusion/{HUGE}/",
        "/personnes/abc/",
        "/personnes/-1/",
        "/equipe/abc/desactiver/",
    ],
)
def test_it_answers_404_for_odd_pks_in_urls(as_reception, as_admin, person, url):
    assert as_reception.get(url).status_code == 404
    assert as_admin.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/personnes/{HUGE}/arrivee/",
        f"/personnes/passage/{HUGE}/vu/",
        f"/personnes/1/entourage/{HUGE}/retirer/",
        f"/personnes/1/differents/{HUGE}/",
        f"/equipe/{HUGE}/desactiver/",
        f"/equipe/{HUGE}/reactiver/",
    ],
)
def test_it_answers_404_for_odd_pks_in_post_urls(as_reception, as_admin, person, url):
    assert as_reception.post(url).status_code == 404
    assert as_admin.post(url).status_code == 404


@pytest.mark.parametrize("page", ["abc", "0", "-1", HUGE, "1.5", "' OR 1=1"])
def test_it_paginates_odd_pages(as_reception, as_admin, person, page):
    assert as_reception.get(reverse("people:duplicates"), {"page": page}).status_code == 200
    url = reverse("people:access_log", args=[person.pk])
    assert as_admin.get(url, {"page": page}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "", "-1", HUGE, "1 OR 1=1", "0x1", " 1"])
def test_it_rejects_odd_structure_switches(as_reception, value):
    response = as_reception.post(reverse("switch_structure"), {"member": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ["²", "①"])
def test_it_rejects_unicode_digit_structure_switches(as_reception, value):
    response = as_reception.post(reverse("switch_structure"), {"member": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_it_invites_or_rejects_odd_values(as_admin, value):
    valid = {"role": Role.NURSE, "profession": "infirmier"}
    text = dict.fromkeys(("first_name", "last_name", "email"), value)
    assert_not_server_error(as_admin.post(reverse("members"), {**valid, **text}))
    odd_choices = {"first_name": "A", "last_name": "B", "email": "a@example.org"}
    odd_choices |= {"role": value, "profession": value}
    assert_not_server_error(as_admin.post(reverse("members"), odd_choices))


@pytest.mark.parametrize("value", [*ODD_STRINGS, "a" * 151])
def test_it_accepts_or_rejects_odd_usernames(client, admin_member, value):
    from maillage.core.models import Invitation

    invitation = Invitation.objects.create(
        structure=admin_member.structure,
        email="n@example.org",
        first_name="N",
        last_name="B",
        role=Role.NURSE,
        profession="infirmier",
        invited_by=admin_member,
    )
    strong = "Vingt-sept chats gris 2024!"
    response = client.post(
        reverse("accept_invitation", args=[invitation.token]),
        {"username": value, "password1": strong, "password2": strong},
    )
    assert_not_server_error(response)


@pytest.mark.parametrize("token", ["x" * 500, "é", "' OR 1=1 --", "..%2F..%2F"])
def test_it_answers_404_for_odd_invitation_tokens(client, db, token):
    assert client.get(reverse("accept_invitation", args=[token])).status_code == 404


def test_it_ends_relations_only_once_even_with_odd_posts(as_reception, reception, person):
    relation = do_add_relation(reception, person, {"kind": "friend", "name": "Zoé"})
    url = reverse("people:relation_end", args=[person.pk, relation.pk])
    assert as_reception.post(url, {"junk": "x" * 5000}).status_code == 302
    assert as_reception.post(url).status_code == 404


def test_it_ignores_a_session_pointing_to_a_foreign_membership(reception, other_member, person):
    """A forged session value cannot make a user work as someone else's membership."""
    from maillage.core.middleware import SESSION_KEY

    client = client_for(reception.user)
    session = client.session
    session[SESSION_KEY] = other_member.pk
    session.save()
    response = client.get(reverse("home"))
    assert response.context["member"] == reception
    assert Member.objects.get(pk=other_member.pk).user != reception.user


@pytest.mark.parametrize(
    ("name", "args"),
    [("people:arrive", "person"), ("people:register", None), ("switch_structure", None)],
)
def test_it_requires_a_csrf_token_on_writes(reception, person, name, args):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reception.user)
    url = reverse(name, args=[person.pk] if args else [])
    response = client.post(url, {"birth_name": "X", "member": str(reception.pk)})
    assert response.status_code == 403
    assert person.visits.count() == 0
    assert Person.objects.count() == 1
