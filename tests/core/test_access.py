"""Every URL against every persona, and the role matrix of core/access.py.

Missing and forbidden must look the same (404), anonymous users go to the login page,
POST-only views refuse GET.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from maillage.core.access import can, get_person_for_member, persons_for_member
from maillage.core.roles import Role
from maillage.people.actions import do_add_relation, do_mark_arrived, do_merge_persons
from maillage.people.models import Person
from tests.conftest import client_for, make_member

MISSING = 999_999


@pytest.fixture
def world(reception, doctor, admin_member, person, make_person):
    """Centre A with a person who has a waiting visit, a relation and a look-alike."""
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    visit = do_mark_arrived(reception, person)
    relation = do_add_relation(reception, person, {"kind": "parent", "name": "Jeanne DUPONT"})
    return {
        "person": person,
        "twin": twin,
        "visit": visit,
        "relation": relation,
        "doctor_member": doctor,
        "admin": admin_member,
    }


# (method, url name, args from the world)
ROUTES = {
    "home": ("get", "home", lambda w: []),
    "members": ("get", "members", lambda w: []),
    "deactivate_member": ("post", "deactivate_member", lambda w: [w["doctor_member"].pk]),
    "reactivate_member": ("post", "reactivate_member", lambda w: [w["doctor_member"].pk]),
    "search": ("get", "people:search", lambda w: []),
    "register": ("get", "people:register", lambda w: []),
    "duplicates": ("get", "people:duplicates", lambda w: []),
    "detail": ("get", "people:detail", lambda w: [w["person"].pk]),
    "edit": ("get", "people:edit", lambda w: [w["person"].pk]),
    "history": ("get", "people:history", lambda w: [w["person"].pk]),
    "relation_add": ("get", "people:relation_add", lambda w: [w["person"].pk]),
    "relation_end": (
        "post",
        "people:relation_end",
        lambda w: [w["person"].pk, w["relation"].pk],
    ),
    "arrive": ("post", "people:arrive", lambda w: [w["person"].pk]),
    "seen": ("post", "people:seen", lambda w: [w["visit"].pk]),
    "person_duplicates": ("get", "people:person_duplicates", lambda w: [w["person"].pk]),
    "merge": ("get", "people:merge", lambda w: [w["person"].pk, w["twin"].pk]),
    "dismiss": ("post", "people:dismiss", lambda w: [w["person"].pk, w["twin"].pk]),
    "access_log": ("get", "people:access_log", lambda w: [w["person"].pk]),
    "portal": ("get", "portal:home", lambda w: []),
}

# Where a successful POST (or a redirecting GET) goes.
REDIRECTS = {
    "deactivate_member": lambda w: reverse("members"),
    "reactivate_member": lambda w: reverse("members"),
    "relation_end": lambda w: reverse("people:detail", args=[w["person"].pk]),
    "arrive": lambda w: reverse("people:detail", args=[w["person"].pk]),
    "seen": lambda w: reverse("home"),
    "dismiss": lambda w: reverse("people:detail", args=[w["person"].pk]),
    "home": lambda w: reverse("portal:home"),
}

OK, GO, NO = 200, 302, 404
EXPECTED = {
    # route:              reception doctor admin other outsider person
    "home": (OK, OK, OK, OK, 403, GO),
    "members": (NO, NO, OK, NO, NO, NO),
    "deactivate_member": (NO, NO, GO, NO, NO, NO),
    "reactivate_member": (NO, NO, GO, NO, NO, NO),
    "search": (OK, OK, OK, OK, NO, NO),
    "register": (OK, NO, NO, OK, NO, NO),
    "duplicates": (OK, NO, NO, OK, NO, NO),
    "detail": (OK, OK, OK, NO, NO, NO),
    "edit": (OK, NO, NO, NO, NO, NO),
    "history": (OK, OK, OK, NO, NO, NO),
    "relation_add": (OK, NO, NO, NO, NO, NO),
    "relation_end": (GO, NO, NO, NO, NO, NO),
    "arrive": (GO, NO, NO, NO, NO, NO),
    "seen": (GO, GO, NO, NO, NO, NO),
    "person_duplicates": (OK, NO, NO, NO, NO, NO),
    "merge": (OK, NO, NO, NO, NO, NO),
    "dismiss": (GO, NO, NO, NO, NO, NO),
    "access_log": (NO, NO, OK, NO, NO, NO),
    "portal": (NO, NO, NO, NO, NO, OK),
}
PERSONAS = ("reception", "doctor", "admin_member", "other_member", "outsider", "person_user")


def login_as(request, persona: str) -> Client:
    obj = request.getfixturevalue(persona)
    return client_for(getattr(obj, "user", obj))


def call(client: Client, route: str, world: dict, args=None):
    method, name, make_args = ROUTES[route]
    url = reverse(name, args=make_args(world) if args is None else args)
    return getattr(client, method)(url), url


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_gives_each_persona_the_expected_status(request, world, persona):
    """One persona through every URL, in order (POSTs change little: see ``world``)."""
    request.getfixturevalue("person_user")
    client = login_as(request, persona)
    column = PERSONAS.index(persona)
    mismatches = []
    for route, expectations in EXPECTED.items():
        expected = expectations[column]
        response, url = call(client, route, world)
        got = (response.status_code, response.get("Location"))
        wanted = (expected, REDIRECTS[route](world) if expected == GO else None)
        if got != wanted:
            mismatches.append((route, url, got, wanted))
    assert mismatches == []


def test_it_redirects_anonymous_users_to_login(client, world):
    login = reverse("account_login")
    for route, (method, name, make_args) in ROUTES.items():
        url = reverse(name, args=make_args(world))
        for response in (getattr(client, method)(url), client.get(url)):
            assert response.status_code == 302, route
            assert response["Location"] == f"{login}?next={url}", route


POST_ONLY = [r for r, spec in ROUTES.items() if spec[0] == "post"]


def test_it_refuses_get_on_post_only_views(as_reception, as_admin, world):
    urls = [reverse("switch_structure")] + [
        reverse(ROUTES[route][1], args=ROUTES[route][2](world)) for route in POST_ONLY
    ]
    for url in urls:
        for client in (as_reception, as_admin):
            assert client.get(url).status_code == 405, url


PERSON_ROUTES = [
    route
    for route, (_m, name, _a) in ROUTES.items()
    if name.startswith("people:") and route not in {"search", "register", "duplicates"}
]


def _args_with_missing(route: str, world: dict) -> list[int]:
    args = ROUTES[route][2](world)
    return [MISSING, *args[1:]] if route != "seen" else [MISSING]


def test_it_answers_404_for_a_missing_pk(as_reception, as_admin, world):
    for route in PERSON_ROUTES:
        for client in (as_reception, as_admin):
            response, url = call(client, route, world, args=_args_with_missing(route, world))
            assert response.status_code == 404, url


def _without_csrf(content: bytes) -> bytes:
    """Leave out what differs by construction: CSRF tokens (masked anew on every page)
    and the language menu's return address (the URL that was typed)."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb'<input name="next" type="hidden" value="[^"]*">', b"", content)


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def same_page(first, first_url: str, second, second_url: str) -> bool:
    """Two responses are the same page, once their own URL and CSRF masks are set aside."""

    def normalized(response, url: str) -> str:
        return CSRF_TOKEN.sub("CSRF", response.content.decode()).replace(url, "URL")

    return normalized(first, first_url) == normalized(second, second_url)


def test_it_makes_forbidden_and_missing_look_the_same(as_other, world):
    """Another team's member cannot tell an existing record from a missing one."""
    for route in PERSON_ROUTES:
        forbidden, url = call(as_other, route, world)
        missing, missing_url = call(as_other, route, world, _args_with_missing(route, world))
        assert forbidden.status_code == missing.status_code == 404, url
        assert same_page(forbidden, url, missing, missing_url), url


def test_it_hides_the_other_pair_member_of_a_merge_url(as_reception, world, other_person):
    """Merging with a person of another structure: 404, as if it did not exist."""
    person = world["person"]
    url = reverse("people:merge", args=[person.pk, other_person.pk])
    missing_url = reverse("people:merge", args=[person.pk, MISSING])
    forbidden, missing = as_reception.get(url), as_reception.get(missing_url)
    assert forbidden.status_code == missing.status_code == 404
    assert same_page(forbidden, url, missing, missing_url)


def test_it_shows_the_no_structure_page_to_an_outsider(as_outsider):
    response = as_outsider.get(reverse("home"))
    assert response.status_code == 403
    assert "core/no_structure.html" in [t.name for t in response.templates]


# --- Role matrix --------------------------------------------------------------------

PERSON_VERBS = (
    "view_identity",
    "edit_identity",
    "edit_entourage",
    "merge",
    "mark_arrived",
    "mark_seen",
    "view_access_log",
)
STRUCTURE_VERBS = ("register_person", "search_persons", "view_reception", "review_duplicates")

T, F = True, False
ROLE_MATRIX = {
    # role: (person verbs in PERSON_VERBS order), (structure verbs), manage_members
    Role.RECEPTION: ((T, T, T, T, T, T, F), (T, T, T, T), F),
    Role.GP: ((T, F, F, F, F, T, F), (F, T, T, F), F),
    Role.NURSE: ((T, F, F, F, F, T, F), (F, T, T, F), F),
    Role.PSYCHOLOGIST: ((T, F, F, F, F, T, F), (F, T, T, F), F),
    Role.SOCIAL_WORKER: ((T, T, T, T, T, T, F), (T, T, T, T), F),
    Role.MEDIATOR: ((T, T, T, T, T, T, F), (T, T, T, T), F),
    Role.COORDINATOR: ((T, F, F, F, T, T, F), (F, T, T, F), F),
    Role.ADMIN: ((T, F, F, F, F, F, T), (F, T, T, F), T),
    Role.INTERPRETER: ((T, F, F, F, F, F, F), (F, T, T, F), F),
    Role.PARTNER: ((F, F, F, F, F, F, F), (F, F, F, F), F),
    Role.NETWORK_OBSERVER: ((F, F, F, F, F, F, F), (F, F, F, F), F),
}


@pytest.mark.parametrize("role", list(ROLE_MATRIX))
def test_it_applies_the_role_matrix(centre, person, role):
    member = make_member(centre, f"user-{role}", role)
    person_rights, structure_rights, manage = ROLE_MATRIX[role]
    assert {v: can(member, v, person) for v in PERSON_VERBS} == dict(
        zip(PERSON_VERBS, person_rights, strict=True)
    )
    assert {v: can(member, v, centre) for v in STRUCTURE_VERBS} == dict(
        zip(STRUCTURE_VERBS, structure_rights, strict=True)
    )
    assert can(member, "manage_members", centre) is manage
    assert (person in persons_for_member(member)) is person_rights[0]


@pytest.mark.parametrize("role", list(ROLE_MATRIX))
def test_it_denies_everything_to_another_structure(other_centre, person, role):
    member = make_member(other_centre, f"user-{role}", role)
    assert not any(can(member, verb, person) for verb in PERSON_VERBS)
    assert not any(can(member, verb, person.structure) for verb in STRUCTURE_VERBS)
    assert person not in persons_for_member(member)


def test_it_denies_unknown_verbs_and_objects(reception, person):
    assert can(reception, "delete_everything", person) is False
    assert can(reception, "view_identity", "not a model") is False
    assert can(None, "view_identity", person) is False


def test_it_denies_a_deactivated_member_and_a_disabled_account(reception, person):
    reception.is_active = False
    assert not can(reception, "view_identity", person)
    reception.is_active = True
    reception.user.is_active = False
    assert not can(reception, "view_identity", person)
    assert not persons_for_member(reception).exists()


def test_it_allows_only_reading_a_merged_record(reception, person, make_person):
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    do_merge_persons(reception, person, twin, "same person")
    twin.refresh_from_db()
    assert can(reception, "view_identity", twin)
    for verb in PERSON_VERBS[1:]:
        assert not can(reception, verb, twin), verb
    assert twin not in persons_for_member(reception)


def test_it_raises_404_from_get_person_for_odd_pks(reception, person):
    from django.http import Http404

    assert get_person_for_member(reception, str(person.pk)) == person
    for pk in ("abc", None, "", "1.5", MISSING):
        with pytest.raises(Http404):
            get_person_for_member(reception, pk)


# --- Role matrix through the views ---------------------------------------------------


def test_it_lets_reception_register_edit_and_mark_arrived(as_reception, person):
    assert as_reception.get(reverse("people:register")).status_code == 200
    assert as_reception.get(reverse("people:edit", args=[person.pk])).status_code == 200
    response = as_reception.post(reverse("people:arrive", args=[person.pk]))
    assert response.status_code == 302
    assert person.visits.count() == 1


def test_it_lets_a_doctor_view_and_mark_seen_but_not_register_or_edit(as_doctor, reception, person):
    visit = do_mark_arrived(reception, person)
    assert as_doctor.get(reverse("people:detail", args=[person.pk])).status_code == 200
    assert as_doctor.get(reverse("people:register")).status_code == 404
    assert as_doctor.get(reverse("people:edit", args=[person.pk])).status_code == 404
    data = {"birth_name": "X", "reason": "x"}
    assert as_doctor.post(reverse("people:edit", args=[person.pk]), data).status_code == 404
    assert as_doctor.post(reverse("people:arrive", args=[person.pk])).status_code == 404
    assert as_doctor.post(reverse("people:seen", args=[visit.pk])).status_code == 302
    visit.refresh_from_db()
    assert visit.status == "seen"
    person.refresh_from_db()
    assert person.birth_name == "DUPONT"


def test_it_hides_edit_links_from_a_doctor(as_doctor, as_reception, person):
    edit_url = reverse("people:edit", args=[person.pk])
    detail = reverse("people:detail", args=[person.pk])
    assert edit_url in as_reception.get(detail).content.decode()
    assert edit_url not in as_doctor.get(detail).content.decode()


def test_it_lets_an_admin_manage_members_and_read_the_log_but_not_register(as_admin, person):
    assert as_admin.get(reverse("members")).status_code == 200
    assert as_admin.get(reverse("people:access_log", args=[person.pk])).status_code == 200
    assert as_admin.get(reverse("people:register")).status_code == 404
    response = as_admin.post(reverse("people:register"), {"birth_name": "X"})
    assert response.status_code == 404
    assert Person.objects.count() == 1


def test_it_lets_an_interpreter_find_and_read_but_not_write(interpreter, person, reception):
    client = client_for(interpreter.user)
    visit = do_mark_arrived(reception, person)
    response = client.get(reverse("people:search"), {"q": "dupont"})
    assert response.status_code == 200
    assert reverse("people:detail", args=[person.pk]) in response.content.decode()
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 200
    assert client.get(reverse("people:register")).status_code == 404
    assert client.get(reverse("people:edit", args=[person.pk])).status_code == 404
    assert client.post(reverse("people:arrive", args=[person.pk])).status_code == 404
    assert client.post(reverse("people:seen", args=[visit.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["partner", "observer"])
def test_it_hides_persons_from_partners_and_observers(request, persona, person):
    client = client_for(request.getfixturevalue(persona).user)
    assert client.get(reverse("people:search"), {"q": "dupont"}).status_code == 404
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 404
    assert client.get(reverse("people:history", args=[person.pk])).status_code == 404
    assert client.get(reverse("people:register")).status_code == 404
    assert client.post(reverse("people:arrive", args=[person.pk])).status_code == 404
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert reverse("people:detail", args=[person.pk]) not in home.content.decode()


@pytest.mark.parametrize("persona", ["partner", "observer"])
def test_it_hides_the_waiting_list_from_partners_and_observers(request, persona, reception, person):
    do_mark_arrived(reception, person)
    client = client_for(request.getfixturevalue(persona).user)
    content = client.get(reverse("home")).content.decode()
    assert reverse("people:detail", args=[person.pk]) not in content
    assert "DUPONT" not in content
