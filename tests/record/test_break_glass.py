"""Emergency access: a written reason, a flagged event, the referent told."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from maillage.core.access import record_access
from maillage.core.models import AccessEvent, Notification, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.actions import do_register_person
from maillage.record import actions
from maillage.record.models import BreakGlass
from tests.conftest import client_for, make_member

REASON = "Malaise en salle d'attente, le médecin traitant est absent."


@pytest.fixture
def site(db) -> Structure:
    return Structure.objects.create(
        name="Site C", kind=StructureKind.COORDINATION, is_care_team=False
    )


@pytest.fixture
def coordinator(site):
    return make_member(site, "coralie", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def referent(site):
    return make_member(site, "gaston", Role.GP, "medecin_generaliste")


@pytest.fixture
def nurse(site):
    """A nurse of the site, outside the person's care team."""
    return make_member(site, "nina", Role.NURSE, "infirmier")


@pytest.fixture
def site_person(site, coordinator, referent):
    desk = make_member(site, "diane", Role.RECEPTION)
    person = do_register_person(
        desk, {"birth_name": "LEROY", "given_names": "Anna", "sex": "F", "birth_year": 1960}
    )
    actions.do_add_to_care_team(coordinator, person, referent, referent=True)
    return person


def url(person):
    return reverse("record:break_glass", args=[person.pk])


def test_it_explains_emergency_access(nurse, site_person):
    response = client_for(nurse.user).get(url(site_person))
    assert response.status_code == 200
    assert response.context["not_in_team"] is True
    assert "Anna LEROY" in response.content.decode()


def test_it_requires_a_written_reason(nurse, site_person):
    client = client_for(nurse.user)
    for reason in ("", "   ", "urgence", "  a b c d  "):
        response = client.post(url(site_person), {"reason": reason})
        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
    assert not BreakGlass.objects.exists()
    assert not AccessEvent.objects.filter(action="break_glass").exists()


def test_it_keeps_what_was_typed_on_error(nurse, site_person):
    response = client_for(nurse.user).post(url(site_person), {"reason": "court"})
    assert response.status_code == 200
    assert "court</textarea>" in response.content.decode()


@pytest.mark.parametrize("reason", ["x" * 2001, "\x00" * 20])
def test_it_answers_odd_reasons_with_form_errors(nurse, site_person, reason):
    response = client_for(nurse.user).post(url(site_person), {"reason": reason})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not BreakGlass.objects.exists()


def test_it_opens_the_record_flags_the_event_and_tells_the_referent(nurse, referent, site_person):
    assert not record_access(nurse, site_person).can_read(Section.CLINICAL)
    response = client_for(nurse.user).post(url(site_person), {"reason": f"  {REASON}  "})
    assert response.status_code == 302
    assert response["Location"] == reverse("record:timeline", args=[site_person.pk])
    glass = BreakGlass.objects.get(person=site_person)
    assert (glass.member, glass.reason) == (nurse, REASON)
    event = AccessEvent.objects.get(action="break_glass", person=site_person)
    assert event.flagged
    assert event.actor_member == nurse
    assert event.reason == REASON
    notification = Notification.objects.get(recipient=referent, kind="break_glass")
    assert (notification.person, notification.actor) == (site_person, nurse)
    access = record_access(nurse, site_person)
    assert access.break_glass
    assert access.can_read(Section.CLINICAL)


def test_the_referent_sees_it_in_their_notifications(nurse, referent, site_person):
    client_for(nurse.user).post(url(site_person), {"reason": REASON})
    response = client_for(referent.user).get(reverse("notifications"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nina Test" in content
    assert "Anna LEROY" in content
    assert REASON.replace("'", "&#x27;") in content


def test_the_person_sees_it_in_their_access_log(nurse, site_person):
    client_for(nurse.user).post(url(site_person), {"reason": REASON})
    user = User.objects.create_user(username="anna", password="pw-anna")
    site_person.user = user
    site_person.save(update_fields=["user"])
    events = client_for(user).get(reverse("portal:home")).context["page"].object_list
    assert any(e.action == "break_glass" and e.flagged for e in events)


def test_it_is_not_offered_twice_while_open(nurse, site_person):
    client = client_for(nurse.user)
    client.post(url(site_person), {"reason": REASON})
    assert client.get(url(site_person)).status_code == 404
    assert client.post(url(site_person), {"reason": REASON}).status_code == 404
    assert BreakGlass.objects.count() == 1


def test_it_opens_the_parts_the_person_refused(as_doctor, doctor, person, person_user):
    """In a structure that is one care team, a refusal is what break-glass goes past."""
    assert as_doctor.get(url(person)).status_code == 404  # nothing refused: nothing to open
    actions.do_record_choice(
        person, kind="refuse", section="mental_health", member=doctor, user=person_user
    )
    response = as_doctor.get(url(person))
    assert response.status_code == 200
    assert response.context["not_in_team"] is False
    as_doctor.post(url(person), {"reason": REASON})
    assert record_access(doctor, person).can_read(Section.MENTAL_HEALTH)


# --- Who may not -------------------------------------------------------------------------


def test_it_is_denied_to_a_member_of_the_care_team(referent, site_person):
    client = client_for(referent.user)
    assert client.get(url(site_person)).status_code == 404
    assert client.post(url(site_person), {"reason": REASON}).status_code == 404
    assert not BreakGlass.objects.exists()


@pytest.mark.parametrize(
    ("role", "profession"),
    [
        (Role.RECEPTION, "accueillant"),
        (Role.INTERPRETER, "interprete"),
        (Role.NETWORK_OBSERVER, "autre"),
        (Role.PARTNER, "autre"),
    ],
)
def test_it_is_denied_to_roles_without_emergency_access(site, site_person, role, profession):
    client = client_for(make_member(site, "someone", role, profession).user)
    assert client.get(url(site_person)).status_code == 404
    assert client.post(url(site_person), {"reason": REASON}).status_code == 404
    assert not BreakGlass.objects.exists()


def test_it_is_denied_to_another_structure(as_other, person):
    assert as_other.get(url(person)).status_code == 404
    assert as_other.post(url(person), {"reason": REASON}).status_code == 404


def test_it_is_denied_to_an_outsider(as_outsider, person):
    assert as_outsider.get(url(person)).status_code == 404
    assert as_outsider.post(url(person), {"reason": REASON}).status_code == 404
    assert not BreakGlass.objects.exists()


def test_it_is_denied_to_the_person(as_person, person):
    assert as_person.get(url(person)).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(person):
    response = Client().post(url(person), {"reason": REASON})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not BreakGlass.objects.exists()


def test_it_hides_a_missing_person(nurse):
    assert (
        client_for(nurse.user).get(reverse("record:break_glass", args=[999999])).status_code == 404
    )
