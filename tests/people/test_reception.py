"""Arrival at the desk and "seen": one visit a day, listed on the home page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AccessEvent
from maillage.people.actions import do_mark_arrived
from maillage.people.models import ReceptionVisit
from tests.people.helpers import links


def arrive(client, person, **data):
    return client.post(reverse("people:arrive", args=[person.pk]), data)


def test_it_marks_arrival_once_a_day(as_reception, reception, person):
    response = arrive(as_reception, person, reason="Vaccin")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    visit = ReceptionVisit.objects.get()
    assert visit.status == "arrived"
    assert visit.day == timezone.localdate()
    assert visit.reason == "Vaccin"
    assert visit.structure == reception.structure
    assert visit.created_by == reception
    assert visit.arrived_at is not None
    first_arrival = visit.arrived_at

    arrive(as_reception, person)
    assert ReceptionVisit.objects.count() == 1
    visit.refresh_from_db()
    assert visit.arrived_at == first_arrival
    assert visit.reason == "Vaccin"
    person.refresh_from_db()
    assert person.last_contact_at is not None
    assert AccessEvent.objects.filter(action="update", person=person).count() == 2


def test_it_returns_home_when_asked(as_reception, person):
    response = arrive(as_reception, person, next="home")
    assert response["Location"] == reverse("home")


def test_it_ignores_an_unsafe_next(as_reception, person):
    response = arrive(as_reception, person, next="https://evil.example/")
    assert response["Location"] == reverse("people:detail", args=[person.pk])


def test_it_ignores_a_too_long_reason(as_reception, person):
    assert arrive(as_reception, person, reason="x" * 500).status_code == 302
    assert ReceptionVisit.objects.get().reason == ""


def test_it_lists_the_waiting_person_on_the_home_page(as_reception, as_doctor, person):
    arrive(as_reception, person, reason="Vaccin")
    visit = ReceptionVisit.objects.get()
    for client in (as_reception, as_doctor):
        response = client.get(reverse("home"))
        assert response.status_code == 200
        assert response.context["waiting"] == [visit]
        content = response.content.decode()
        assert reverse("people:detail", args=[person.pk]) in links(response)
        assert f'action="{reverse("people:seen", args=[visit.pk])}"' in content


def test_it_marks_seen_and_empties_the_waiting_list(as_reception, as_doctor, doctor, person):
    arrive(as_reception, person)
    visit = ReceptionVisit.objects.get()
    response = as_doctor.post(reverse("people:seen", args=[visit.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    visit.refresh_from_db()
    assert visit.status == "seen"
    assert visit.seen_by == doctor
    assert visit.seen_at is not None
    home = as_reception.get(reverse("home"))
    assert home.context["waiting"] == []
    assert home.context["seen_today"] == [visit]


def test_it_starts_a_new_visit_after_the_person_was_seen(as_reception, reception, person):
    arrive(as_reception, person)
    as_reception.post(reverse("people:seen", args=[ReceptionVisit.objects.get().pk]))
    arrive(as_reception, person)
    assert sorted(ReceptionVisit.objects.values_list("status", flat=True)) == [
        "arrived",
        "seen",
    ]


def test_it_refuses_arrival_and_seen_to_another_team(as_other, reception, person):
    visit = do_mark_arrived(reception, person)
    assert arrive(as_other, person).status_code == 404
    assert as_other.post(reverse("people:seen", args=[visit.pk])).status_code == 404
    visit.refresh_from_db()
    assert visit.status == "arrived"
    assert ReceptionVisit.objects.count() == 1


def test_it_does_not_show_another_centre_waiting_list(as_other, reception, person):
    do_mark_arrived(reception, person)
    response = as_other.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["waiting"] == []
    assert reverse("people:detail", args=[person.pk]) not in response.content.decode()


def test_it_refuses_seen_for_a_missing_visit(as_reception):
    assert as_reception.post(reverse("people:seen", args=[999_999])).status_code == 404


def test_it_keeps_who_saw_the_person_first(as_doctor, as_reception, doctor, reception, person):
    visit = do_mark_arrived(reception, person)
    as_doctor.post(reverse("people:seen", args=[visit.pk]))
    visit.refresh_from_db()
    first = (visit.seen_by, visit.seen_at)
    as_reception.post(reverse("people:seen", args=[visit.pk]))
    visit.refresh_from_db()
    assert (visit.seen_by, visit.seen_at) == first
