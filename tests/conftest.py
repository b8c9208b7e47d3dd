"""Personas: a member of the person's team, a member of another team, an outsider, and
the person themself (healthchecks' alice/bob/charlie habit)."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client

from maillage.core.models import Member, Structure, User
from maillage.core.roles import Role, StructureKind
from maillage.people.actions import do_register_person
from maillage.people.models import Person
from tests.record.files import remove_stored_documents


def make_member(
    structure: Structure, username: str, role: str = Role.RECEPTION, profession: str = "accueillant"
) -> Member:
    user = User.objects.create_user(
        username=username, password="pw-" + username, first_name=username.title(), last_name="Test"
    )
    return Member.objects.create(user=user, structure=structure, role=role, profession=profession)


def national_catalogue() -> None:
    """The national rights, as the data migration makes them: tests on a transactional
    database (the live server's, the concurrency tests) flush it after them, taking the
    migration's rows with it."""
    from django.apps import apps

    migration = importlib.import_module("maillage.rights.migrations.0002_national_catalogue")
    migration.add(apps, None)


@pytest.fixture
def centre(db) -> Structure:
    national_catalogue()
    return Structure.objects.create(name="Centre A", kind=StructureKind.CENTRE, is_care_team=True)


@pytest.fixture
def other_centre(db) -> Structure:
    return Structure.objects.create(name="Centre B", kind=StructureKind.CENTRE)


@pytest.fixture
def reception(centre) -> Member:
    return make_member(centre, "alice", Role.RECEPTION)


@pytest.fixture
def doctor(centre) -> Member:
    return make_member(centre, "docteur", Role.GP, "medecin_generaliste")


@pytest.fixture
def admin_member(centre) -> Member:
    return make_member(centre, "directrice", Role.ADMIN, "directeur")


@pytest.fixture
def other_member(other_centre) -> Member:
    """A member of another team: sees nothing of centre A."""
    return make_member(other_centre, "bob", Role.RECEPTION)


@pytest.fixture
def outsider(db) -> User:
    """An account with no structure and no record."""
    return User.objects.create_user(username="charlie", password="pw-charlie")


# The identity of the tests' person (``person``), for tests that register her themselves.
MARIE_DUPONT = {
    "birth_name": "DUPONT",
    "given_names": "Marie Louise",
    "sex": "F",
    "birth_year": 1985,
    "birth_month": 3,
    "birth_day": 12,
    "phone": "06 12 34 56 78",
    "languages": ["fr"],
}


@pytest.fixture
def person(reception) -> Person:
    return do_register_person(reception, dict(MARIE_DUPONT))


@pytest.fixture
def person_user(person) -> User:
    """The person themself, with an account for their own space."""
    user = User.objects.create_user(username="marie", password="pw-marie")
    person.user = user
    person.save(update_fields=["user"])
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_reception(reception) -> Client:
    return client_for(reception.user)


@pytest.fixture
def as_doctor(doctor) -> Client:
    return client_for(doctor.user)


@pytest.fixture
def as_admin(admin_member) -> Client:
    return client_for(admin_member.user)


@pytest.fixture
def as_other(other_member) -> Client:
    return client_for(other_member.user)


@pytest.fixture
def as_outsider(outsider) -> Client:
    return client_for(outsider)


@pytest.fixture
def as_person(person_user) -> Client:
    return client_for(person_user)


# --- Added for the integration tests (tests/core, tests/people, tests/portal) ---


@pytest.fixture
def social_worker(centre) -> Member:
    return make_member(centre, "social", Role.SOCIAL_WORKER, "assistant_social")


@pytest.fixture
def as_social(social_worker) -> Client:
    return client_for(social_worker.user)


@pytest.fixture
def interpreter(centre) -> Member:
    return make_member(centre, "ines", Role.INTERPRETER, "interprete")


@pytest.fixture
def partner(centre) -> Member:
    """An external partner attached to centre A: sees no person by default."""
    return make_member(centre, "pauline", Role.PARTNER, "autre")


@pytest.fixture
def observer(centre) -> Member:
    """A network observer attached to centre A: sees no person by default."""
    return make_member(centre, "olivier", Role.NETWORK_OBSERVER, "autre")


@pytest.fixture
def make_person(reception):
    """Register a person of centre A (or of ``member``'s structure) with sensible defaults."""

    def make(member: Member | None = None, **fields) -> Person:
        data = {
            "birth_name": "MARTIN",
            "given_names": "Paul",
            "sex": "M",
            "birth_year": 1970,
            "birth_month": 2,
            "birth_day": 1,
            "languages": ["fr"],
        }
        data.update(fields)
        return do_register_person(member or reception, data)

    return make


@pytest.fixture
def other_person(other_member) -> Person:
    """A person followed by centre B."""
    return do_register_person(
        other_member,
        {
            "birth_name": "BERNARD",
            "given_names": "Luc",
            "sex": "M",
            "birth_year": 1990,
            "birth_month": 5,
            "birth_day": 20,
        },
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rendered fragments and the ICPC-2 titles are cached: every test starts from an
    empty cache."""
    from django.core.cache import cache

    from maillage.record.queries import forget_icpc2_titles

    cache.clear()
    forget_icpc2_titles()


# --- The agenda (tests/agenda, tests/portal) ---------------------------------------------


@pytest.fixture
def room(centre):
    from maillage.agenda.models import Room

    return Room.objects.create(structure=centre, name="Salle 1", equipment=["computer"])


@pytest.fixture
def book(reception):
    """Book through the action, as reception: ``book([members], start, minutes, **more)``."""
    import datetime

    from maillage.agenda import actions

    def _book(members, start, minutes=30, **extra):
        booking = actions.Booking(
            kind=extra.pop("kind", "consultation"),
            members=members,
            starts_at=start,
            duration=datetime.timedelta(minutes=minutes),
            **extra,
        )
        return actions.do_book_appointment(reception, booking)

    return _book


@pytest.fixture
def remove_stored_files(db):
    """Use it (``pytestmark = pytest.mark.usefixtures(...)``) where a test stores files."""
    yield
    remove_stored_documents()


@pytest.fixture
def reports_replica(settings):
    """Reports read through the replica's connection ("reports"): in production a copy of
    the database a few seconds behind, here the test database itself. Only a transactional
    test (``django_db(transaction=True, databases=["default", "reports"])``) sees on it
    the rows it wrote."""
    from django.db import connections

    settings.REPORTS_DATABASE = "reports"
    return connections["reports"]
