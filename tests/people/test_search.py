"""The search box: names (misspelt, accents, any order), dates, phones, NIR; htmx; queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from tests.people.helpers import links, nir_with_key

URL = reverse("people:search")
NIR = nir_with_key("2850375056123")


@pytest.fixture
def helene(make_person):
    return make_person(
        birth_name="LEFÈVRE",
        given_names="Hélène",
        sex="F",
        birth_year=1962,
        birth_month=7,
        birth_day=4,
        phone="07 11 22 33 44",
    )


@pytest.fixture
def marie(person):
    person.nir = NIR
    person.save(update_fields=["nir"])
    return person


def found(client, q, **headers):
    response = client.get(URL, {"q": q}, **headers)
    assert response.status_code == 200
    return [p.pk for p in response.context["results"]], response


@pytest.mark.parametrize(
    "q", ["helene lefevre", "Helene Lefevr", "lefevre helene", "LEFEVRE", "Hélène Lefèbvre"]
)
def test_it_finds_a_misspelt_accented_name(as_reception, helene, marie, q):
    pks, response = found(as_reception, q)
    assert pks[:1] == [helene.pk]
    assert marie.pk not in pks
    assert reverse("people:detail", args=[helene.pk]) in links(response)


@pytest.mark.parametrize("q", ["dupo", "DUPON mar", "mari dup"])
def test_it_finds_a_name_by_its_beginning(as_reception, helene, marie, q):
    assert found(as_reception, q)[0] == [marie.pk]


def test_it_finds_by_date_of_birth(as_reception, helene, marie):
    assert found(as_reception, "12/03/1985")[0] == [marie.pk]
    assert found(as_reception, "04/07/1962")[0] == [helene.pk]


def test_it_combines_name_and_date(as_reception, helene, marie, make_person):
    namesake = make_person(birth_name="DUPONT", given_names="Marie", sex="F", birth_year=1950)
    assert set(found(as_reception, "dupont")[0]) == {marie.pk, namesake.pk}
    assert found(as_reception, "dupont 12/03/1985")[0] == [marie.pk]


@pytest.mark.parametrize(
    "q", ["0612345678", "+33 6 12 34 56 78", "06.12.34.56.78", "0033612345678"]
)
def test_it_finds_by_phone(as_reception, helene, marie, q):
    assert found(as_reception, q)[0] == [marie.pk]


@pytest.mark.parametrize("q", [NIR, NIR[:13], " ".join([NIR[0], NIR[1:3], NIR[3:5], NIR[5:]])])
def test_it_finds_by_nir(as_reception, helene, marie, q):
    assert found(as_reception, q)[0] == [marie.pk]


@pytest.mark.parametrize("q", ["", "   "])
def test_it_gives_no_results_for_an_empty_query(as_reception, marie, q):
    pks, response = found(as_reception, q)
    assert pks == []
    assert response.context["searched"] is False
    assert not AccessEvent.objects.filter(action="search").exists()


def test_it_gives_no_results_for_an_unknown_name(as_reception, marie):
    pks, response = found(as_reception, "zyxwvut")
    assert pks == []
    assert response.context["searched"] is True


def test_it_logs_a_search_event(as_reception, reception, marie):
    found(as_reception, "dupont")
    event = AccessEvent.objects.get(action="search")
    assert event.actor_member == reception
    assert event.person is None


def test_it_does_not_find_persons_of_another_structure(as_other, marie, helene):
    for q in ("dupont", "12/03/1985", "0612345678", NIR):
        assert found(as_other, q)[0] == []


def test_it_does_not_find_merged_records(as_reception, reception, marie, make_person):
    from maillage.people.actions import do_merge_persons

    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    do_merge_persons(reception, marie, twin, "same person")
    assert found(as_reception, "dupond marie")[0] == [marie.pk]


def test_it_returns_a_partial_to_htmx(as_reception, marie):
    pks, response = found(as_reception, "dupont", HTTP_HX_REQUEST="true")
    assert pks == [marie.pk]
    content = response.content.decode()
    assert "<html" not in content
    assert "<table" in content
    assert reverse("people:detail", args=[marie.pk]) in content


def test_it_returns_the_full_page_without_htmx(as_reception, marie):
    _pks, response = found(as_reception, "dupont")
    content = response.content.decode()
    assert "<html" in content
    assert 'id="results"' in content
    assert 'value="dupont"' in content


def _thirty_persons(make_person):
    for i in range(30):
        make_person(
            birth_name=f"DURAND{chr(65 + i % 26)}",
            given_names="Marie",
            sex="F",
            birth_year=1960 + i,
            phone=f"06 00 00 00 {i:02d}",
        )


MAX_SEARCH_QUERIES = 12


def test_it_searches_in_a_bounded_number_of_queries(
    as_reception, make_person, django_assert_max_num_queries
):
    _thirty_persons(make_person)
    with django_assert_max_num_queries(MAX_SEARCH_QUERIES):
        pks, _response = found(as_reception, "durand marie")
    assert len(pks) == 20  # the page limit
    with django_assert_max_num_queries(MAX_SEARCH_QUERIES):
        assert len(found(as_reception, "marie")[0]) == 20
