"""The person downloads their data: the FHIR file ($everything of their own record) and a
readable PDF summary of it; nothing about a third party; the download is logged; nobody
else reaches these pages."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from fhir.resources.R4B import get_fhir_model_class

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.portal.summary import summary
from maillage.record import actions
from tests.conftest import client_for


@pytest.fixture
def written(doctor, person):
    access = record_access(doctor, person)
    actions.do_record_encounter(
        access,
        actions.EncounterInput(
            kind="consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now(),
            note="Tension bien équilibrée",
            observations=[
                actions.ObservationInput("weight", Decimal("70.5")),
                actions.ObservationInput("temperature", Decimal("37.9")),
            ],
        ),
    )
    actions.do_add_note(
        access, section=Section.CLINICAL, text="Sa fille dit que", concerns_third_party=True
    )
    actions.do_add_problem(access, title="Asthme", code_system="icpc2", code="R96")
    return access


def notes_in(bundle: dict) -> list[str]:
    return [
        base64.b64decode(c["attachment"]["data"]).decode()
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        for c in e["resource"]["content"]
        if "data" in c["attachment"]
    ]


def test_the_person_downloads_a_valid_fhir_file_of_their_own_record(as_person, person, written):
    response = as_person.get(reverse("portal:my_data_fhir"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    bundle = json.loads(response.content)
    get_fhir_model_class("Bundle").model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "Patient" and {"Encounter", "Observation", "Condition"} <= set(kinds)
    assert "Tension bien équilibrée" in notes_in(bundle)
    assert "Sa fille dit que" not in notes_in(bundle)
    exported = AccessEvent.objects.filter(
        person=person, action="export", reason="download", actor_member=None
    )
    assert exported.filter(section=Section.CLINICAL).exists()


def test_the_summary_is_a_pdf_and_says_it_in_words(as_person, person, written):
    response = as_person.get(reverse("portal:my_data_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"%%EOF" in response.content[-64:]
    bundle = json.loads(as_person.get(reverse("portal:my_data_fhir")).content)
    with translation.override("fr"):
        sections = dict(summary(e["resource"] for e in bundle["entry"]))
    assert any("Asthme" in line for line in sections["Mes problèmes de santé"])
    measures = " ".join(sections["Mes mesures"])
    assert "70,5 kg" in measures and "37,9 °C" in measures
    notes = " ".join(sections["Mes documents et notes"])
    assert "Tension bien équilibrée" in notes and "Sa fille" not in notes
    assert "Qui a consulté mon dossier" in sections


def test_the_page_explains_and_only_the_person_reaches_it(
    as_person, person, written, doctor, other_member
):
    page = as_person.get(reverse("portal:my_data"))
    assert page.status_code == 200
    for name in ("portal:my_data_pdf", "portal:my_data_fhir"):
        assert f'href="{reverse(name)}"' in page.content.decode()
    for name in ("portal:my_data", "portal:my_data_fhir", "portal:my_data_pdf"):
        for member in (doctor, other_member):
            assert client_for(member.user).get(reverse(name)).status_code == 404
    before = AccessEvent.objects.count()
    anonymous = as_person.__class__()
    assert anonymous.get(reverse("portal:my_data_fhir")).status_code == 302
    assert AccessEvent.objects.count() == before
