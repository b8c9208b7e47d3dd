"""The person reads their own record: everything but what concerns a third party."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.record import actions
from tests.record.files import add_pdf


@pytest.fixture
def gp_access(doctor, person):
    return record_access(doctor, person)


def test_the_person_reads_their_record_but_not_about_a_third_party(
    as_person, person, gp_access, django_assert_max_num_queries
):
    actions.do_record_encounter(
        gp_access,
        actions.EncounterInput(
            kind="consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now(),
            note="Tension bien équilibrée",
            observations=[actions.ObservationInput("weight", Decimal(70))],
        ),
    )
    actions.do_add_note(
        gp_access, section=Section.CLINICAL, text="Sa fille dit que", concerns_third_party=True
    )
    actions.do_add_problem(gp_access, title="Asthme", code_system="icpc2", code="R96")
    with django_assert_max_num_queries(25):
        response = as_person.get(reverse("portal:record"))
    content = response.content.decode()
    assert "Tension bien équilibrée" in content and "Asthme" in content
    assert "Sa fille dit que" not in content
    assert "70" in content
    read = AccessEvent.objects.filter(person=person, action="read", actor_member=None)
    assert read.filter(section=Section.CLINICAL).exists()


def test_the_person_downloads_their_document_and_it_is_logged(as_person, person, gp_access):
    document = add_pdf(gp_access, title="Compte rendu", doc_type="letter")
    response = as_person.get(reverse("portal:document_download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AccessEvent.objects.filter(
        person=person, action="read", object_id=str(document.pk), actor_member=None
    ).exists()


def test_a_document_about_a_third_party_or_someone_else_is_404(
    as_person, person, gp_access, doctor, make_person
):
    hidden = add_pdf(
        gp_access, title="Courrier du fils", doc_type="letter", concerns_third_party=True
    )
    other = make_person(birth_name="AUTRE")
    theirs = add_pdf(record_access(doctor, other), title="Autre", doc_type="letter")
    for entry in (hidden, theirs):
        assert (
            as_person.get(reverse("portal:document_download", args=[entry.pk])).status_code == 404
        )
    assert "Courrier du fils" not in as_person.get(reverse("portal:record")).content.decode()


def test_members_cannot_use_the_persons_pages(as_doctor, gp_access):
    assert as_doctor.get(reverse("portal:record")).status_code == 404
