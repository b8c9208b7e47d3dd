"""Journeys on the directory of the territory, in a real browser, with an axe check on
each new page. Elements are found by URL, field name or structure, not by wording."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from maillage.core.roles import Role
from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import make_member
from tests.e2e.conftest import login, register
from tests.territory.data import SERVICES, STRUCTURES

pytestmark = pytest.mark.e2e


def dentist(identifier: str, name: str, lat: float, lon: float) -> dict:
    return {
        **SERVICES[0],
        "id": identifier,
        "nom": name,
        "latitude": lat,
        "longitude": lon,
    }


def test_a_mediator_finds_a_dentist_for_a_person(page, a11y, desk):
    centre = desk.structure
    mediator = make_member(centre, "mediatrice-e2e", Role.MEDIATOR, "mediateur_sante")
    person = register(desk, "BENALI", "Nadia", "F", "11/09/1975")
    person.latitude, person.longitude = 48.9380, 2.3590
    person.save(update_fields=["latitude", "longitude"])
    rows = {
        "structures": STRUCTURES,
        "services": [
            dentist("e2e--near-ame-ar", "Dentiste du quartier", 48.9400, 2.3620),  # 0.3 km
            dentist("e2e--near-no-ar", "Dentiste de la gare", 48.9350, 2.3550),  # 0.4 km
            dentist("e2e--far-ame-ar", "Dentiste de Pontoise", 49.0500, 2.1000),  # 22 km
            {
                **SERVICES[0],
                "id": "e2e--weekdays",
                "nom": "Dentiste en semaine",
                "horaires_accueil": "Mo-Fr 09:00-17:00",
            },
        ],
    }
    actions.do_import_directory(centre, di.parse([("d.json", json.dumps(rows).encode())]))
    for service in Service.objects.filter(owner=centre):
        arabic = service.di_id != "e2e--near-no-ar"
        actions.do_update_health_access(
            service, {"languages": ["fr", "ar"] if arabic else ["fr"], "accepts_ame": True}
        )

    login(page, mediator.user.username, "pw-" + mediator.user.username)
    page.goto(f"/personnes/{person.pk}/")
    page.locator("main a[href*='/territoire/annuaire/?person=']").click()
    page.wait_for_url("**/territoire/annuaire/?person=*")
    a11y.check(page, "directory near the person")
    form = page.locator("main form.filters")
    form.locator("select[name=theme]").select_option("sante--acces-aux-soins")
    form.locator("select[name=language]").select_option("ar")
    form.locator("input[name=accepts][value=accepts_ame]").check()
    form.locator("input[name=open_at]").fill("2026-11-28T10:00")  # a Saturday morning
    form.locator("input[name=km]").fill("3")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**open_at=*")
    results = page.locator("main ul.directory-list > li")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Dentiste du quartier")
    expect(results.first).to_contain_text(re.compile(r"0[.,]3"))  # the distance, in km
    a11y.check(page, "directory filtered")
    # The same place on the map, reached with the keyboard.
    pin = page.locator(".map .leaflet-marker-icon.map-pin:not(.map-pin-centre)")
    expect(pin).to_have_count(1)
    pin.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content a")).to_have_text("Dentiste du quartier")

    filtered_url = page.url
    results.first.locator("h3 a").click()
    page.wait_for_url("**/territoire/annuaire/services/*/")
    expect(page.locator("main h1")).to_have_text("Dentiste du quartier")
    a11y.check(page, "service")
    page.locator("main a[href$='/modifier/']").click()
    page.wait_for_url("**/modifier/")
    a11y.check(page, "what the team knows")
    page.locator("main textarea[name=team_notes]").fill("Demander Samia, elle parle arabe.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/territoire/annuaire/services/*/")
    expect(page.locator("main")).to_contain_text("Demander Samia, elle parle arabe.")

    # Back to the results: refer the person to that dentist, then follow it.
    page.goto(filtered_url)
    page.locator("main ul.directory-list > li a[href*='/orientations/nouvelle/']").first.click()
    page.wait_for_url("**/orientations/nouvelle/?cible=service:*")
    a11y.check(page, "referral form")
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=reason]").fill("Douleur dentaire depuis trois semaines.")
    form.locator("textarea[name=wishes]").fill("Un samedi matin, avec quelqu'un qui parle arabe.")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/orientations/*/")
    a11y.check(page, "referral")
    page.locator("main input[name=status][value=agreed]").check()
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url("**/orientations/*/")
    expect(page.locator("main ol li")).to_have_count(2)


def test_a_coordinator_imports_a_directory_and_draws_a_territory(page, a11y, desk, tmp_path):
    from maillage.territory.models import Commune, Territory

    centre = desk.structure
    coordinator = make_member(centre, "coord-e2e", Role.COORDINATOR, "coordinateur")
    Commune.objects.create(
        code="93066", name="Saint-Denis", search_name="saint denis", departement="93"
    )
    bad = {**SERVICES[0], "id": "e2e--bad", "frais": "peut-etre"}
    path = tmp_path / "annuaire.json"
    path.write_text(
        json.dumps({"structures": STRUCTURES, "services": [*SERVICES, bad]}), encoding="utf-8"
    )

    login(page, coordinator.user.username, "pw-" + coordinator.user.username)
    page.goto("/territoire/annuaire/importer/")
    a11y.check(page, "import form")
    page.locator("main input[type=file][name=upload]").set_input_files(str(path))
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("main table tbody tr")).to_have_count(1)  # the bad line, reported
    expect(page.locator("main table tbody")).to_contain_text("e2e--bad")
    assert not Service.objects.exists()
    a11y.check(page, "import report")
    page.locator("main form[action*='/importer/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert Service.objects.filter(owner=centre).count() == len(SERVICES)

    page.goto("/territoire/nouveau/")
    a11y.check(page, "territory form")
    form = page.locator("main form[method=post]")
    form.locator("input[name=name]").fill("Plaine nord")
    form.locator("textarea[name=communes]").fill("Saint-Denis")
    form.locator("input[name='figures-0-label']").fill("Habitants")
    form.locator("input[name='figures-0-value']").fill("12500")
    form.locator("input[name='figures-0-source']").fill("Insee")
    form.locator("input[name='figures-0-year']").fill("2021")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/territoire/*/")
    territory = Territory.objects.get(structure=centre)
    assert [c.code for c in territory.communes.all()] == ["93066"]
    a11y.check(page, "territory")

    page.goto("/territoire/vecu/")
    expect(page.locator("main table").first).to_contain_text("Plaine nord")
    a11y.check(page, "lived territory")
