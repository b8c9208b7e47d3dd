"""The searchable list of ICPC-2 rubrics: loading a licensed file, searching it beside the
code fields, checking codes against it, showing titles in the record. The titles below
are written for these tests; the real ones are never shipped."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from maillage.core.access import record_access
from maillage.core.roles import Section
from maillage.lib import icpc2
from maillage.record import actions
from maillage.record.models import Entry, Icpc2Rubric
from tests.api.test_api import Api, encounter_body, entries_url, token_for
from tests.core.test_hostile_input import HOSTILE
from tests.record.test_journal import encounter_post

RUBRICS = (
    "Code;Titre;Inclusions\n"
    "A03;Fièvre (essai);\n"
    "R05;Toux (essai);toux sèche, toux grasse\n"
    "T90;Diabète de type 2 (essai);diabète non insulinodépendant\n"
    "K86;Hypertension sans complication (essai);\n"
    "L03;Lombalgie (essai);douleur du bas du dos\n"
)


@pytest.fixture(autouse=True)
def _commands_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def rubric_file(tmp_path):
    path = tmp_path / "cisp2.csv"
    path.write_text(RUBRICS, encoding="utf-8")
    return path


def load_rubrics(text: str = RUBRICS) -> None:
    actions.do_load_icpc2_rubrics(icpc2.parse_rubric_file(text.encode()).rubrics, "essai")
    actions.forget_icpc2_titles()  # on_commit does not run inside a test's transaction


@pytest.fixture
def loaded(db):
    load_rubrics()


def search(client, q):
    return client.get(reverse("record:icpc2_search"), {"q": q})


def found_codes(response):
    return [r.code for r in response.context["rubrics"]]


# --- the loader command ----------------------------------------------------------------


def test_it_loads_a_file_of_rubrics(rubric_file, capsys, db):
    call_command("icpc2", "load", str(rubric_file), "--source", "CISP-2 essai")
    assert "5" in capsys.readouterr().out
    assert Icpc2Rubric.objects.count() == 5
    t90 = Icpc2Rubric.objects.get(code="T90")
    assert (t90.title, t90.source) == ("Diabète de type 2 (essai)", "CISP-2 essai")
    assert "non insulinodependant" in t90.search_text
    call_command("icpc2", "status")
    assert "CISP-2 essai" in capsys.readouterr().out


def test_it_reports_every_bad_line_and_loads_nothing_unless_told(tmp_path, capsys, db):
    path = tmp_path / "bad.csv"
    path.write_text(RUBRICS + "Q12;Mauvais code;\nR05;Toux encore;\nB80;;\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--skip-bad"):
        call_command("icpc2", "load", str(path))
    err = capsys.readouterr().err
    assert "line 7" in err and "Q12" in err
    assert "line 8" in err and "R05" in err
    assert "line 9" in err and "B80" in err
    assert not Icpc2Rubric.objects.exists()
    call_command("icpc2", "load", str(path), "--skip-bad")
    assert Icpc2Rubric.objects.count() == 5


def test_a_new_load_replaces_the_list(rubric_file, tmp_path, loaded):
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("A03\tFièvre, nouvelle édition\n", encoding="utf-8")
    call_command("icpc2", "load", str(smaller))
    assert list(Icpc2Rubric.objects.values_list("code", "title")) == [
        ("A03", "Fièvre, nouvelle édition")
    ]


@pytest.mark.parametrize("content", [b"", b"nothing useful here\n", b"\xff\xfe\x00garbage"])
def test_a_wrong_file_leaves_the_list_unchanged(tmp_path, loaded, content):
    path = tmp_path / "wrong.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError):
        call_command("icpc2", "load", str(path))
    assert Icpc2Rubric.objects.count() == 5


def test_a_missing_file_is_a_clear_error(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("icpc2", "load", str(tmp_path / "none.csv"))


def test_status_says_when_nothing_is_loaded(capsys, db):
    call_command("icpc2", "status")
    assert "No ICPC-2 list" in capsys.readouterr().out


# --- searching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("diabete", "T90"),  # no accent
        ("DIABÈTE type", "T90"),
        ("t9", "T90"),  # start of a code
        ("r05", "R05"),
        ("toux seche", "R05"),  # a word of the inclusions
        ("diabte", "T90"),  # a typo
        ("lombalgi", "L03"),  # a word being typed
        ("bas du dos", "L03"),  # little words ignored
    ],
)
def test_it_finds_rubrics(as_doctor, loaded, query, first):
    response = search(as_doctor, query)
    assert response.status_code == 200
    assert found_codes(response)[0] == first
    assert first.encode() in response.content


def test_it_says_when_nothing_matches(as_doctor, loaded):
    response = search(as_doctor, "xylophone")
    assert found_codes(response) == []
    assert "Aucune rubrique" in response.content.decode()


def test_it_finds_nothing_when_no_list_is_loaded(as_doctor):
    assert found_codes(search(as_doctor, "diabete")) == []


@pytest.mark.parametrize("query", HOSTILE)
def test_any_query_gets_an_answer(as_doctor, loaded, query):
    response = search(as_doctor, query)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_only_members_search(client, as_outsider, as_person, loaded):
    assert search(client, "toux").status_code == 302
    assert search(as_outsider, "toux").status_code == 404
    assert search(as_person, "toux").status_code == 404


# --- the forms and the API -------------------------------------------------------------


def test_the_encounter_form_offers_the_search_once_a_list_is_loaded(as_doctor, person, db):
    url = reverse("record:encounter_add", args=[person.pk])
    assert "data-code-search" not in as_doctor.get(url).content.decode()
    load_rubrics()
    assert "data-code-search" in as_doctor.get(url).content.decode()


def test_a_code_missing_from_the_list_is_refused(as_doctor, person, loaded):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_doctor.post(url, encounter_post(reason_codes="R05, A04"))
    assert response.status_code == 200
    errors = response.context["form"].errors["reason_codes"]
    assert "A04" in errors[0] and "liste" in errors[0]
    assert 'value="R05, A04"' in response.content.decode()  # what was typed is kept


def test_without_a_list_any_well_formed_code_is_kept(as_doctor, person, db):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_doctor.post(url, encounter_post(reason_codes="A04"))
    assert response.status_code == 302
    assert Entry.objects.get(person=person, kind="encounter").encounter.reason_codes == ["A04"]


def test_the_problem_form_checks_its_icpc2_code(as_doctor, person, loaded):
    url = reverse("record:problem_add", args=[person.pk])
    page = as_doctor.get(url).content.decode()
    assert 'data-code-mode="one"' in page
    data = {"title": "Diabète", "code_system": "icpc2", "code": "t99", "section": "clinical"}
    response = as_doctor.post(url, data)
    assert "t99".upper() in response.context["form"].errors["code"][0]
    response = as_doctor.post(url, {**data, "code": "t90"})
    assert response.status_code == 302
    assert Entry.objects.get(person=person, kind="problem").code == "T90"


def test_the_api_refuses_a_code_missing_from_the_list(doctor, person, loaded):
    response = Api(token_for(doctor)).post(
        entries_url(person), encounter_body(reason_codes=["R05", "A04"])
    )
    assert response.status_code == 422
    assert "A04" in response.content.decode()


# --- titles in the record --------------------------------------------------------------


def test_the_timeline_names_the_codes_once_a_list_is_loaded(as_doctor, doctor, person, db):
    access = record_access(doctor, person)
    actions.do_add_problem(
        access, title="Diabète", section=Section.CLINICAL, code_system="icpc2", code="T90"
    )
    url = reverse("record:timeline", args=[person.pk])
    assert "Diabète de type 2 (essai)" not in as_doctor.get(url).content.decode()
    load_rubrics()
    # the entry was rendered and cached before the load: the new list renders it anew
    assert "T90 Diabète de type 2 (essai)" in as_doctor.get(url).content.decode()


def test_partners_do_not_search_the_rubrics(centre, loaded):
    from maillage.core.roles import Role
    from tests.conftest import client_for, make_member

    partner = make_member(centre, "pat", Role.PARTNER, "autre")
    assert search(client_for(partner.user), "toux").status_code == 404
