"""Search and duplicate-candidate queries, called directly: ranking, date filters, limits."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Q

from maillage.core.access import persons_for_member
from maillage.lib.dedup import Traits
from maillage.lib.names import match_score, query_keys
from maillage.lib.partial_date import PartialDate, date_similarity
from maillage.people import queries
from maillage.people.models import Person
from tests.people.helpers import nir_with_key

NIR = nir_with_key("2850375056123")


def search(member, text):
    return queries.search_persons(persons_for_member(member), member.structure_id, text)


def candidates(member, traits, **kwargs):
    found = queries.duplicate_candidates(
        persons_for_member(member), member.structure_id, traits, **kwargs
    )
    return [c.person.pk for c in found]


# --- Search ----------------------------------------------------------------------------


def test_a_date_alone_lists_exact_dates_first(reception, person, make_person):
    # Same year, day or month unknown: they match the date, but after the exact ones.
    no_day = make_person(birth_name="ABADIE", birth_year=1985, birth_month=3, birth_day=None)
    no_month = make_person(birth_name="AUBRY", birth_year=1985, birth_month=None, birth_day=None)
    exact = make_person(birth_name="ZOLA", birth_year=1985, birth_month=3, birth_day=12)
    make_person(birth_name="ADAM", birth_year=1985, birth_month=3, birth_day=13)  # no match
    results = [p.pk for p in search(reception, "12/03/1985")]
    assert results == [person.pk, exact.pk, no_day.pk, no_month.pk]


def test_it_ranks_by_name_score_and_returns_whole_records(reception, person, make_person):
    dupond = make_person(birth_name="DUPOND", given_names="Marie", sex="F")
    dupontel = make_person(birth_name="DUPONTEL", given_names="Marie", sex="F")
    make_person(birth_name="DURAND", given_names="Paul")
    results = search(reception, "dupont marie")
    query = "dupont marie"
    assert [p.pk for p in results] == [
        p.pk
        for p in sorted(
            [person, dupond, dupontel],
            key=lambda p: (-match_score(query, f"{p.birth_name} {p.given_names}"), p.birth_name),
        )
    ]
    assert results[0] == person
    assert results[0].phone == "06 12 34 56 78"  # the complete record, not only names


def test_it_ranks_among_the_persons_born_on_the_date(reception, make_person, monkeypatch):
    monkeypatch.setattr(queries, "MAX_CANDIDATES", 2)
    for year in (1963, 1964, 1965):  # two digits away from 1990
        make_person(birth_name="MARTIN", given_names="Paul", birth_year=year)
    wanted = make_person(birth_name="MARTIN", given_names="Paul", birth_year=1990)
    assert [p.pk for p in search(reception, "martin paul 01/02/1990")] == [wanted.pk]


def test_name_candidates_rank_by_matched_tokens_then_id(reception, person, make_person):
    marie = make_person(birth_name="LEROY", given_names="Marie", sex="F")
    dupond = make_person(birth_name="DUPOND", given_names="Marie", sex="F")
    key_sets = query_keys("marie dupont")
    ids = queries.name_candidates(reception.structure_id, key_sets, 10)
    assert ids == [person.pk, dupond.pk, marie.pk]
    assert queries.name_candidates(reception.structure_id, key_sets, 2) == [person.pk, dupond.pk]


def test_name_candidates_limit_applies_within_the_given_persons(reception, make_person):
    others = [make_person(given_names="Paul", birth_year=year) for year in (1963, 1964, 1965)]
    wanted = make_person(given_names="Paul", birth_year=1990)
    key_sets = query_keys("martin paul")
    structure_id = reception.structure_id
    assert queries.name_candidates(structure_id, key_sets, 2) == [p.pk for p in others[:2]]
    within = Person.objects.filter(birth_year=1990)
    assert queries.name_candidates(structure_id, key_sets, 2, within=within) == [wanted.pk]
    where = Q(person__birth_year=1990)
    assert queries.name_candidates(structure_id, key_sets, 2, where=where) == [wanted.pk]


# --- Duplicate candidates --------------------------------------------------------------


def test_it_finds_swapped_names_with_a_partial_date(reception, person):
    traits = Traits(
        birth_name="MARIE", given_names="Dupont", birth_date=PartialDate(1985, 3), sex="F"
    )
    assert candidates(reception, traits) == [person.pk]


def test_it_finds_the_same_nir_under_another_name(reception, person):
    person.nir = NIR
    person.save(update_fields=["nir"])
    other_name = Traits(
        birth_name="KONATÉ", given_names="Awa", birth_date=PartialDate(1985, 3, 12), nir=NIR
    )
    assert candidates(reception, other_name) == [person.pk]
    # A different date keeps the record out of the name lookup, not out of the NIR one.
    other_date = Traits(
        birth_name="DUPONT", given_names="Marie", birth_date=PartialDate(1958, 7, 21), nir=NIR
    )
    assert candidates(reception, other_date) == [person.pk]


def test_a_different_date_of_birth_is_left_out_only_above_what_it_could_score(reception, person):
    traits = Traits(
        birth_name="DUPONT", given_names="Marie", birth_date=PartialDate(1958, 7, 21), sex="F"
    )
    assert candidates(reception, traits) == []
    low = queries.BEST_WITH_DIFFERENT_DATE - 10
    assert candidates(reception, traits, threshold=low) == [person.pk]


def test_the_candidate_limit_applies_after_the_date_filter(reception, make_person, monkeypatch):
    monkeypatch.setattr(queries, "MAX_CANDIDATES", 2)
    for year in (1963, 1964, 1965):  # two digits away from 1990
        make_person(birth_name="MARTIN", given_names="Paul", birth_year=year)
    wanted = make_person(birth_name="MARTIN", given_names="Paul", birth_year=1990)
    traits = Traits(birth_name="MARTIN", given_names="Paul", birth_date=PartialDate(1990, 2, 1))
    assert candidates(reception, traits) == [wanted.pk]


def test_candidates_are_ranked_by_score(reception, person, make_person):
    partial = make_person(
        birth_name="DUPONT",
        given_names="Marie",
        sex="F",
        birth_year=1985,
        birth_month=3,
        birth_day=None,
    )
    traits = Traits(
        birth_name="DUPONT", given_names="Marie Louise", birth_date=PartialDate(1985, 3, 12)
    )
    assert candidates(reception, traits) == [person.pk, partial.pk]


# --- The date pre-filter is exactly "date_similarity does not say different" -----------

YEARS = (1985, 1984, 1986, 1995, 1975, 1905, 1958, 1990)
MONTHS = (None, 3, 4, 1, 2, 12, 11)
DAYS = (None, 12, 13, 22, 2, 3, 21, 11)


def _grid():
    for year, month, day in itertools.product(YEARS, MONTHS, DAYS):
        if month is None and day is not None:
            continue
        yield PartialDate(year, month, day)


@pytest.mark.parametrize(
    "birth",
    [
        PartialDate(1985, 3, 12),
        PartialDate(1985, 12, 3),
        PartialDate(1985, 11, 11),
        PartialDate(1985, 3),
        PartialDate(1985),
    ],
    ids=str,
)
def test_possible_dates_keeps_exactly_the_dates_not_called_different(centre, birth):
    dates = sorted(set(_grid()))
    Person.objects.bulk_create(
        [
            Person(
                structure=centre,
                birth_name="X",
                given_names="Y",
                sex="F",
                birth_year=d.year,
                birth_month=d.month,
                birth_day=d.day,
            )
            for d in dates
        ]
        + [Person(structure=centre, birth_name="X", given_names="Y", sex="F")]
    )
    kept = {
        p.birth_date for p in Person.objects.filter(queries.possible_dates(birth)).order_by("pk")
    }
    expected = {d for d in dates if date_similarity(birth, d)[1] != "different"} | {None}
    assert kept == expected
    assert len(expected) < len(dates)  # some are left out
