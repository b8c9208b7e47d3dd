"""The directory pages: search, details, what the team knows, import and export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.core.roles import Role
from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import client_for, make_member
from tests.territory.data import SERVICES, as_json, rows


@pytest.fixture(autouse=True)
def _remove_pending_imports(settings):
    import shutil
    from pathlib import Path

    yield
    shutil.rmtree(Path(settings.DATA_DIR) / "imports", ignore_errors=True)


@pytest.fixture
def directory(centre):
    actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    dentist = Service.objects.get(di_id="essai--dentiste")
    actions.do_update_health_access(dentist, {"languages": ["ar"], "accepts_ame": True})
    return centre


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "coline", Role.COORDINATOR, "coordinateur")


def names(response):
    return [service.nom for service, _open in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Aide à la demande de CSS", "Consultations dentaires", "Écoute psychologique"]),
        ({"q": "dentaire"}, ["Consultations dentaires"]),
        ({"q": "ECOUTE psy"}, ["Écoute psychologique"]),
        ({"theme": "sante"}, ["Consultations dentaires", "Écoute psychologique"]),
        ({"theme": "sante--sante-mentale"}, ["Écoute psychologique"]),
        (
            {"public": "femmes"},
            ["Aide à la demande de CSS", "Consultations dentaires", "Écoute psychologique"],
        ),
        ({"public": "seniors"}, ["Aide à la demande de CSS", "Consultations dentaires"]),
        ({"language": "ar", "accepts": "accepts_ame"}, ["Consultations dentaires"]),
        ({"mode": "a-distance"}, ["Écoute psychologique"]),
        # Saturday morning: the dentist's own hours; the others follow their structure's.
        ({"open_at": "2026-11-28T10:00"}, ["Consultations dentaires", "Écoute psychologique"]),
        ({"open_at": "2026-12-25T10:00"}, []),  # Christmas
        ({"open_at": "2026-12-01T15:00"}, ["Aide à la demande de CSS", "Écoute psychologique"]),
    ],
)
def test_it_searches_the_directory(as_reception, directory, query, expected):
    response = as_reception.get(reverse("territory:directory"), query)
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)


def test_a_wrong_filter_is_said_and_keeps_what_was_typed(as_reception, directory):
    response = as_reception.get(reverse("territory:directory"), {"open_at": "demain", "q": "dent"})
    assert response.status_code == 200
    assert "open_at" in response.context["form"].errors
    assert 'value="dent"' in response.content.decode()


def test_the_service_page_shows_what_the_team_knows(as_reception, directory):
    dentist = Service.objects.get(di_id="essai--dentiste")
    page = as_reception.get(reverse("territory:service", args=[dentist.pk])).content.decode()
    assert "Consultations dentaires" in page and "Accès aux soins" in page
    assert "Arabe" in page or "arabe" in page


def test_the_team_writes_what_it_knows(as_reception, directory):
    dentist = Service.objects.get(di_id="essai--dentiste")
    url = reverse("territory:service_edit", args=[dentist.pk])
    data = {"languages": ["ar", "tr"], "accepts_css": "true", "team_notes": "Venir tôt."}
    response = as_reception.post(url, data)
    assert response.status_code == 302
    dentist.refresh_from_db()
    assert dentist.languages == ["ar", "tr"] and dentist.accepts_css is True
    assert dentist.team_notes == "Venir tôt."


def test_only_coordinators_and_admins_import(as_reception, centre, coordinator):
    url = reverse("territory:import")
    assert as_reception.get(url).status_code == 404
    assert client_for(coordinator.user).get(url).status_code == 200


def test_an_import_with_bad_lines_then_its_valid_lines(centre, coordinator):
    client = client_for(coordinator.user)
    bad = rows()
    bad["services"].append({**SERVICES[0], "id": "essai--mauvais", "frais": "peut-etre"})
    upload = SimpleUploadedFile("d.json", as_json(bad), content_type="application/json")
    response = client.post(reverse("territory:import"), {"upload": upload})
    assert response.status_code == 200
    report = response.context["report"]
    assert not report.applied and [e.identifier for e in report.errors] == ["essai--mauvais"]
    assert not Service.objects.exists()
    token = response.context["token"]
    response = client.post(reverse("territory:import_valid", args=[token]))
    assert response.context["report"].applied
    assert Service.objects.count() == 3
    # The files are gone once used.
    assert client.post(reverse("territory:import_valid", args=[token])).status_code == 404


def test_a_member_cannot_use_someone_elses_pending_import(centre, coordinator, admin_member):
    bad = rows()
    bad["services"].append({**SERVICES[0], "id": "essai--mauvais", "frais": "peut-etre"})
    upload = SimpleUploadedFile("d.json", as_json(bad))
    token = (
        client_for(coordinator.user)
        .post(reverse("territory:import"), {"upload": upload})
        .context["token"]
    )
    assert (
        client_for(admin_member.user)
        .post(reverse("territory:import_valid", args=[token]))
        .status_code
        == 404
    )


def test_a_file_that_is_not_data_inclusion(centre, coordinator):
    upload = SimpleUploadedFile("notes.json", b"not json at all")
    response = client_for(coordinator.user).post(reverse("territory:import"), {"upload": upload})
    assert response.context["report"].errors[0].identifier == "notes.json"


@pytest.mark.parametrize(("kind", "fmt"), [("services", "json"), ("structures", "csv")])
def test_the_export_downloads(as_reception, directory, kind, fmt):
    response = as_reception.get(reverse("territory:export", args=[kind, fmt]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    if fmt == "json":
        assert {row["id"] for row in json.loads(body)} == {s["id"] for s in SERVICES}
    else:
        assert body.splitlines()[0].startswith("source,id,nom")


def test_another_structure_sees_nothing_of_this_directory(as_other, directory):
    response = as_other.get(reverse("territory:directory"))
    assert names(response) == []
    dentist = Service.objects.get(di_id="essai--dentiste")
    assert as_other.get(reverse("territory:service", args=[dentist.pk])).status_code == 404
    body = b"".join(
        as_other.get(reverse("territory:export", args=["services", "json"])).streaming_content
    )
    assert json.loads(body) == []


def test_the_directory_lists_with_a_bounded_number_of_queries(
    as_reception, directory, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        as_reception.get(
            reverse("territory:directory"), {"theme": "sante", "open_at": "2026-11-28T10:00"}
        )


@pytest.fixture
def saint_denis(db):
    from maillage.territory.models import Commune

    return Commune.objects.create(
        code="93066",
        name="Saint-Denis",
        search_name="saint denis",
        departement="93",
        latitude=48.9362,
        longitude=2.3574,
    )


def test_it_searches_near_a_persons_home(as_reception, reception, directory, person, saint_denis):
    from maillage.core.models import AccessEvent

    # The person lives 300 m from the dentist; the rights association is 2.5 km away.
    person.latitude, person.longitude = 48.9385, 2.3600
    person.save(update_fields=["latitude", "longitude"])
    url = reverse("territory:directory")
    response = as_reception.get(url, {"person": person.pk, "km": "1"})
    assert names(response) == ["Consultations dentaires", "Écoute psychologique"]
    service = response.context["rows"][0][0]
    assert service.distance_km == pytest.approx(0.33, abs=0.05)
    assert "DUPONT" in response.content.decode()
    assert AccessEvent.objects.filter(person=person, actor_member=reception, action="read").exists()


def test_without_a_point_the_persons_commune_centre_is_used(
    as_reception, directory, person, saint_denis
):
    person.commune_code = "93066"
    person.save(update_fields=["commune_code"])
    response = as_reception.get(reverse("territory:directory"), {"person": person.pk, "km": "0,5"})
    assert names(response) == ["Consultations dentaires", "Écoute psychologique"]


def test_a_person_of_another_structure_is_not_found(as_other, directory, person):
    assert as_other.get(reverse("territory:directory"), {"person": person.pk}).status_code == 404


def test_it_searches_near_a_commune(as_reception, directory, saint_denis):
    response = as_reception.get(
        reverse("territory:directory"), {"commune": "saint-denis", "km": "2"}
    )
    assert names(response) == ["Consultations dentaires", "Écoute psychologique"]
    response = as_reception.get(reverse("territory:directory"), {"commune": "Atlantis"})
    assert "commune" in response.context["form"].errors


@pytest.mark.parametrize("value", ["x" * 60_000, "\x00", "<script>alert(1)</script>", "-1", "NaN"])
def test_hostile_values_never_break_the_team_form(as_reception, directory, value):
    dentist = Service.objects.get(di_id="essai--dentiste")
    url = reverse("territory:service_edit", args=[dentist.pk])
    fields = ["languages", "accepts_ame", "contact_name", "contact_details", "team_notes"]
    response = as_reception.post(url, dict.fromkeys(fields, value))
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert "<script>alert(1)</script>" not in response.content.decode()
    for query in ({"q": value}, {"km": value, "commune": value}, {"open_at": value, "page": value}):
        assert as_reception.get(reverse("territory:directory"), query).status_code == 200


def test_files_never_imported_are_removed_after_a_day(centre, coordinator, settings):
    import os
    import time
    from pathlib import Path

    bad = rows()
    bad["services"].append({**SERVICES[0], "id": "essai--mauvais", "frais": "peut-etre"})
    client = client_for(coordinator.user)
    first = client.post(
        reverse("territory:import"), {"upload": SimpleUploadedFile("d.json", as_json(bad))}
    )
    folder = Path(settings.DATA_DIR) / "imports" / str(coordinator.pk) / first.context["token"]
    old = time.time() - 2 * 24 * 3600
    os.utime(folder, (old, old))
    client.post(reverse("territory:import"), {"upload": SimpleUploadedFile("d.json", as_json(bad))})
    assert not folder.exists()


def test_saving_the_team_form_unchanged_keeps_what_was_known(as_reception, directory):
    from html.parser import HTMLParser

    class Selected(HTMLParser):
        """The values a browser would post back for the page's selects and textareas."""

        def __init__(self) -> None:
            super().__init__()
            self.values: dict[str, list[str]] = {}
            self.select: str | None = None

        def handle_starttag(self, tag, attrs):
            attr = dict(attrs)
            if tag == "select":
                self.select = attr.get("name")
            elif tag == "option" and self.select and "selected" in attr:
                self.values.setdefault(self.select, []).append(attr.get("value") or "")

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None

    dentist = Service.objects.get(di_id="essai--dentiste")
    url = reverse("territory:service_edit", args=[dentist.pk])
    parser = Selected()
    parser.feed(as_reception.get(url).content.decode())
    assert parser.values["accepts_ame"] == ["true"]
    assert parser.values["accepts_css"] == ["unknown"]
    data = {name: v if name == "languages" else v[0] for name, v in parser.values.items()}
    assert as_reception.post(url, data).status_code == 302
    dentist.refresh_from_db()
    assert (dentist.languages, dentist.accepts_ame, dentist.accepts_css) == (["ar"], True, None)
