"""Micro-territories and the lived territory."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.roles import Role
from maillage.people.actions import do_mark_arrived
from maillage.territory.models import Commune, Territory
from maillage.territory.queries import lived_territory
from tests.conftest import client_for, make_member
from tests.lib.test_geo import SQUARE


@pytest.fixture
def communes(db):
    for code, name in (
        ("93066", "Saint-Denis"),
        ("93001", "Aubervilliers"),
        ("93070", "Saint-Ouen-sur-Seine"),
    ):
        Commune.objects.create(
            code=code, name=name, search_name=name.lower().replace("-", " "), departement="93"
        )


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "coline", Role.COORDINATOR, "coordinateur")


def figures(**values):
    data = {
        "figures-TOTAL_FORMS": "2",
        "figures-INITIAL_FORMS": "0",
        "figures-MIN_NUM_FORMS": "0",
        "figures-MAX_NUM_FORMS": "1000",
    }
    data.update(values)
    return data


def test_a_coordinator_draws_a_territory_of_communes_and_figures(centre, coordinator, communes):
    client = client_for(coordinator.user)
    data = {
        "name": "Plaine nord",
        "communes": "Saint-Denis, 93001",
        "iris_codes": "930660101 930660102",
        **figures(
            **{
                "figures-0-label": "Habitants",
                "figures-0-value": "12500,5",
                "figures-0-source": "Insee",
                "figures-0-year": "2021",
            }
        ),
    }
    response = client.post(reverse("territory:territory_add"), data)
    assert response.status_code == 302, response.context["form"].errors
    territory = Territory.objects.get(structure=centre)
    assert {c.code for c in territory.communes.all()} == {"93066", "93001"}
    assert territory.iris_codes == ["930660101", "930660102"]
    assert str(territory.figures.get().value) == "12500.50"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"communes": "Atlantis"}, "communes"),
        ({"iris_codes": "93066"}, "iris_codes"),
        ({"area": "{not json"}, "area"),
        ({"area": json.dumps({"type": "Point", "coordinates": [2.3, 48.9]})}, "area"),
        ({}, "__all__"),
    ],
)
def test_wrong_territories_are_refused_with_a_reason(centre, coordinator, communes, values, field):
    response = client_for(coordinator.user).post(
        reverse("territory:territory_add"), {"name": "Essai", **figures(), **values}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Territory.objects.exists()


def test_a_drawn_area_and_its_file(centre, coordinator, communes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("zone.geojson", json.dumps(SQUARE).encode())
    response = client_for(coordinator.user).post(
        reverse("territory:territory_add"), {"name": "Quartier", "area_file": upload, **figures()}
    )
    assert response.status_code == 302
    assert Territory.objects.get().area == SQUARE


def test_reception_reads_territories_but_does_not_draw_them(as_reception, centre):
    assert as_reception.get(reverse("territory:territories")).status_code == 200
    assert as_reception.get(reverse("territory:territory_add")).status_code == 404


def test_the_lived_territory_counts_and_masks_small_counts(
    centre, reception, coordinator, communes, make_person
):
    Territory.objects.create(structure=centre, name="Quartier", area=SQUARE, created_by=coordinator)
    plaine = Territory.objects.create(structure=centre, name="Plaine", created_by=coordinator)
    plaine.communes.set(Commune.objects.filter(code="93066"))
    persons = []
    for index in range(7):
        person = make_person(birth_name=f"ESSAI{index}", given_names="Alex")
        person.commune_code = "93066" if index < 6 else "93001"
        # Six live inside the drawn square (outside its hole); one in Aubervilliers.
        person.latitude, person.longitude = (48.91, 2.31) if index < 6 else (48.97, 2.45)
        person.save(update_fields=["commune_code", "latitude", "longitude"])
        do_mark_arrived(reception, person)
        persons.append(person)
    today = timezone.localdate()
    lived = lived_territory(centre, today - datetime.timedelta(days=1), today)
    assert lived.persons == 7
    assert lived.by_commune == [("93066", "Saint-Denis", 6), ("93001", "Aubervilliers", None)]
    assert {t.name: n for t, n in lived.by_territory} == {"Quartier": 6, "Plaine": 6}
    assert lived.outside is None  # one person: under 5, never shown
    page = client_for(coordinator.user).get(reverse("territory:lived")).content.decode()
    assert "ESSAI" not in page  # counts only


def test_nobody_seen_in_the_period(centre, coordinator):
    lived = lived_territory(centre, datetime.date(2000, 1, 1), datetime.date(2000, 12, 31))
    assert lived.persons is None and lived.by_commune == []


def test_a_wrong_period_is_said(centre, coordinator):
    response = client_for(coordinator.user).get(
        reverse("territory:lived"), {"start": "2026-12-01", "end": "2026-01-01"}
    )
    assert "end" in response.context["form"].errors


def test_the_lived_territory_shows_where_the_resources_are(
    centre, reception, coordinator, communes, make_person
):
    from maillage.coordination.actions.referrals import do_propose_referral
    from maillage.core.access import record_access
    from maillage.territory import actions as territory_actions
    from maillage.territory import datainclusion as di
    from maillage.territory.models import Service
    from tests.territory.data import as_json

    territory_actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    plaine = Territory.objects.create(structure=centre, name="Plaine", created_by=coordinator)
    plaine.communes.set(Commune.objects.filter(code="93066"))
    dentist = Service.objects.get(di_id="essai--dentiste")  # in Saint-Denis
    rights = Service.objects.get(di_id="essai--css")  # in Aubervilliers
    mediator = make_member(centre, "awa", Role.MEDIATOR, "mediateur_sante")
    for index in range(6):
        person = make_person(birth_name=f"ORIENTE{index}", given_names="Alex")
        access = record_access(mediator, person)
        do_propose_referral(access, to_service=dentist, reason="Dents")
        if index < 2:
            do_propose_referral(access, to_service=rights, reason="CSS")
    today = timezone.localdate()
    lived = lived_territory(centre, today - datetime.timedelta(days=1), today)
    assert lived.referred_inside == 6 and lived.referred_outside is None  # 2: under 5
    assert lived.referred_by_commune == [("Saint-Denis", 6), ("Aubervilliers", None)]
    assert lived.referred_resources[0] == (
        "Consultations dentaires (Centre municipal de santé Nord)",
        6,
    )
