"""Reading and checking data·inclusion rows with the official schema package."""

from __future__ import annotations

import json

from maillage.territory import datainclusion as di
from tests.territory.data import SERVICES, STRUCTURES, as_json, rows


def test_good_rows_pass_and_lists_are_sorted():
    parsed = di.parse([("d.json", as_json())])
    assert parsed.errors == []
    assert [r.kind for r in parsed.rows] == ["structure"] * 2 + ["service"] * 3
    psy = next(r for r in parsed.rows if r.data["id"] == "essai--psy")
    assert psy.data["modes_accueil"] == ["a-distance", "en-presentiel"]


def test_every_bad_row_is_reported_with_its_reasons():
    bad = [
        {**SERVICES[0], "nom": "", "id": "s1"},
        {**SERVICES[0], "id": "s2", "thematiques": ["sante--pas-une-thematique"]},
        {**SERVICES[0], "id": "s3", "date_maj": "hier"},
        {**SERVICES[0], "id": "s4", "publics": ["tous-publics", "femmes"]},
    ]
    parsed = di.parse([("d.json", as_json(rows(services=bad)))])
    errors = {e.identifier: e for e in parsed.errors}
    assert set(errors) == {"s1", "s2", "s3", "s4"}
    assert errors["s1"].line == 1 and errors["s1"].reasons[0].startswith("nom:")
    assert "sante--pas-une-thematique" in errors["s2"].reasons[0]
    assert errors["s3"].reasons[0].startswith("date_maj:")
    assert "tous-publics" in errors["s4"].reasons[0]


def test_a_csv_of_services_with_lists_in_both_forms():
    text = (
        "source;structure_id;id;nom;description;date_maj;thematiques;publics\n"
        "essai;essai--cms-nord;c1;Vaccinations;Vaccins pour tous les âges;2026-01-01;"
        '["sante--acces-aux-soins"];femmes,familles\n'
    )
    parsed = di.parse([("services.csv", text.encode())])
    assert parsed.errors == []
    (row,) = parsed.rows
    assert row.kind == "service"
    assert row.data["publics"] == ["familles", "femmes"]


def test_files_that_are_not_data_inclusion():
    parsed = di.parse([("a.json", b"{not json"), ("b.csv", b"nom,prenom\nDupont,Marie\n")])
    assert [e.identifier for e in parsed.errors] == ["a.json", "b.csv"]
    assert parsed.rows == []


def test_a_bare_list_of_structures():
    parsed = di.parse([("structures.json", json.dumps(STRUCTURES).encode())])
    assert [r.kind for r in parsed.rows] == ["structure", "structure"]


def test_the_same_row_has_the_same_fingerprint():
    first = di.parse([("d.json", as_json())]).rows[0]
    again = di.parse([("d.json", as_json())]).rows[0]
    assert first.fingerprint == again.fingerprint


def test_a_nul_character_is_refused_not_stored():
    parsed = di.parse(
        [("d.json", as_json(rows(services=[{**SERVICES[0], "nom": "Den\x00tiste"}])))]
    )
    assert (
        parsed.errors[0].reasons == ["nom: holds a NUL character"]
        or "NUL" in parsed.errors[0].reasons[0]
    )


def test_broken_files_are_reported_not_raised():
    nul_csv = b"source,id,nom,date_maj\nessai,x1,Nom\x00,2026-01-01\n"
    deep = b"[" * 100_000 + b"]" * 100_000
    parsed = di.parse([("a.csv", nul_csv), ("b.json", deep)])
    assert len(parsed.errors) == 2 and parsed.rows == []
