"""Importing data·inclusion files into a structure's directory, and exporting it."""

from __future__ import annotations

import json

import pytest
from data_inclusion.schema import v1
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from maillage.territory import actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Organisation, Service
from tests.territory.data import SERVICES, as_json, rows


def load(structure, data=None, **kwargs):
    return actions.do_import_directory(structure, di.parse([("d.json", as_json(data))]), **kwargs)


def test_it_imports_structures_and_services(centre):
    report = load(centre)
    assert report.applied and (report.created, report.updated, report.unchanged) == (5, 0, 0)
    dentist = Service.objects.get(owner=centre, di_id="essai--dentiste")
    assert dentist.organisation.nom == "Centre municipal de santé Nord"
    assert dentist.thematiques == ["sante--acces-aux-soins"]
    assert "|t:sante--acces-aux-soins|" in dentist.tags and "|c:sante|" in dentist.tags


def test_importing_the_same_file_again_changes_nothing(centre):
    load(centre)
    before = list(Service.objects.order_by("pk").values_list("pk", "updated_at", "fingerprint"))
    report = load(centre)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 5)
    assert (
        list(Service.objects.order_by("pk").values_list("pk", "updated_at", "fingerprint"))
        == before
    )


def test_a_changed_row_is_updated_and_the_team_knowledge_kept(centre):
    load(centre)
    dentist = Service.objects.get(di_id="essai--dentiste")
    actions.do_update_health_access(
        dentist, {"languages": ["ar"], "accepts_ame": True, "team_notes": "Demander Samia."}
    )
    changed = rows()
    changed["services"][0]["nom"] = "Consultations dentaires du samedi"
    report = load(centre, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    dentist.refresh_from_db()
    assert dentist.nom == "Consultations dentaires du samedi"
    assert (dentist.languages, dentist.accepts_ame, dentist.team_notes) == (
        ["ar"],
        True,
        "Demander Samia.",
    )
    assert "|l:ar|" in dentist.tags and "|x:accepts_ame|" in dentist.tags


def test_with_a_bad_line_nothing_is_imported_unless_asked(centre):
    bad = rows()
    bad["services"].append({**SERVICES[0], "id": "essai--mauvais", "frais": "peut-etre"})
    bad["services"].append(
        {**SERVICES[0], "id": "essai--orphelin", "structure_id": "essai--inconnu"}
    )
    bad["services"].append(dict(SERVICES[1]))  # the same id twice
    report = load(centre, bad)
    assert not report.applied
    assert {e.identifier for e in report.errors} == {
        "essai--mauvais",
        "essai--orphelin",
        "essai--psy",
    }
    assert not Service.objects.exists() and not Organisation.objects.exists()
    report = load(centre, bad, keep_valid=True)
    assert report.applied and report.created == 5
    assert Service.objects.count() == 3


def test_directories_of_two_structures_are_apart(centre, other_centre):
    load(centre)
    load(other_centre)
    assert Service.objects.filter(owner=centre).count() == 3
    assert Service.objects.filter(owner=other_centre).count() == 3


def test_the_export_is_valid_data_inclusion_and_imports_back_identically(centre, other_centre):
    load(centre)
    structures = list(actions.export_rows(centre, "structure"))
    services = list(actions.export_rows(centre, "service"))
    for row in structures:
        v1.Structure.model_validate(row)
    for row in services:
        v1.Service.model_validate(row)
    assert not any("team_notes" in row or "languages" in row for row in services)
    report = load(other_centre, {"structures": structures, "services": services})
    assert report.created == 5
    again = actions.do_import_directory(
        centre,
        di.parse(
            [("d.json", json.dumps({"structures": structures, "services": services}).encode())]
        ),
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_the_csv_export_imports_back(centre, other_centre):
    load(centre)
    files = [
        (f"{kind}.csv", "".join(di.to_csv(kind, actions.export_rows(centre, kind))).encode())
        for kind in ("structure", "service")
    ]
    report = actions.do_import_directory(other_centre, di.parse(files))
    assert report.errors == [] and report.created == 5


def test_the_command_imports_and_exports(centre, tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_bytes(as_json())
    with translation.override("en"):
        call_command("directory", "import", str(path), "--structure", str(centre.pk))
        assert "5 new" in capsys.readouterr().out
        call_command("directory", "export", "--structure", str(centre.pk), "--kind", "services")
    exported = json.loads(capsys.readouterr().out)
    assert {row["id"] for row in exported} == {s["id"] for s in SERVICES}


def test_the_command_reports_bad_lines(centre, tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_bytes(as_json(rows(services=[{**SERVICES[0], "date_maj": "2999-01-01"}])))
    with translation.override("en"), pytest.raises(CommandError, match="--skip-bad"):
        call_command("directory", "import", str(path), "--structure", str(centre.pk))
    assert "line 1" in capsys.readouterr().err


def test_a_service_follows_its_organisations_new_hours_and_place(centre):
    load(centre)
    psy = Service.objects.get(di_id="essai--psy")  # no hours or point of its own
    assert psy.place_hours.startswith("Mo-Fr 08:30-18:00")
    changed = rows()
    changed["structures"][0]["horaires_accueil"] = "Mo 09:00-12:00"
    changed["structures"][0]["latitude"] = 48.95
    report = load(centre, changed)
    assert (report.updated, report.unchanged) == (1, 4)  # the service itself is unchanged
    psy.refresh_from_db()
    assert (psy.place_hours, psy.place_latitude) == ("Mo 09:00-12:00", 48.95)
