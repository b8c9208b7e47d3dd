"""Potential rights: the estimates of ``maillage.rights.openfisca`` for a few households,
cross-checked against OpenFisca-France called directly here on a situation written by
hand; AME from the stay conditions and OpenFisca's own ceiling for the date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from maillage.rights import openfisca as of
from maillage.rights.openfisca import Household, Member

MONTH = datetime.date(2026, 11, 1)
PAST = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
ALL = [*PAST, "2026-11"]
ZERO_INDIVIDU = dict.fromkeys(of.PAST_ZERO_INDIVIDU)
ZERO_FAMILLE = dict.fromkeys(of.PAST_ZERO_FAMILLE)


def direct(individus, parents, children, menage, month="2026-11", variables=()):
    """OpenFisca-France on a situation written here: past resources as inputs (nothing
    else received), the household's benefits of ``month`` computed."""
    from openfisca_core.simulation_builder import SimulationBuilder

    people = {}
    for key, values in individus.items():
        person = {name: dict.fromkeys(PAST, 0) for name in ZERO_INDIVIDU}
        person.update(values)
        people[key] = person
    famille = {name: dict.fromkeys(PAST, 0) for name in ZERO_FAMILLE}
    famille.update({"parents": parents, "enfants": children})
    situation = {
        "individus": people,
        "familles": {"f": famille},
        "foyers_fiscaux": {"ff": {"declarants": parents, "personnes_a_charge": children}},
        "menages": {
            "m": {
                "personne_de_reference": parents[:1],
                "conjoint": parents[1:],
                "enfants": children,
                **menage,
            }
        },
    }
    simulation = SimulationBuilder().build_from_entities(of.tax_benefit_system(), situation)
    return {v: float(simulation.calculate(v, month).sum()) for v in variables}


def money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


VARIABLES = ("cmu_c", "css_participation_forfaitaire", "rsa", "ppa", "aide_logement", "aah")


def test_a_single_person_with_a_low_wage():
    mine = of.estimate(
        Household(
            [Member("applicant", datetime.date(1990, 5, 1), {"wages": (Decimal(800), 12)})],
            housing="tenant",
            rent=Decimal(500),
            commune="75056",
            irregular_stay=False,
        ),
        MONTH,
    )
    theirs = direct(
        {
            "p": {
                "date_naissance": {"ETERNITY": "1990-05-01"},
                "salaire_net": dict.fromkeys(ALL, 800),
            }
        },
        ["p"],
        [],
        {
            "statut_occupation_logement": dict.fromkeys(ALL, "locataire_vide"),
            "loyer": dict.fromkeys(ALL, 500),
            "depcom": dict.fromkeys(ALL, "75056"),
        },
        variables=VARIABLES,
    )
    assert mine.line("css").likely is bool(theirs["cmu_c"]) is False
    participation = mine.line("css_participation")
    assert participation.likely and participation.monthly == money(
        theirs["css_participation_forfaitaire"]
    )
    assert mine.line("ppa").monthly == money(theirs["ppa"]) and theirs["ppa"] > 0
    assert mine.line("housing_aid").monthly == money(theirs["aide_logement"])
    assert mine.line("rsa").likely is False and theirs["rsa"] == 0
    assert mine.legislation == MONTH and mine.version
    assert "no_disability" in mine.assumed and mine.missing == []


def test_a_couple_with_two_children_and_no_income():
    mine = of.estimate(
        Household(
            [
                Member("applicant", datetime.date(1985, 1, 1)),
                Member("partner", datetime.date(1987, 3, 3)),
                Member("child", datetime.date(2015, 6, 1)),
                Member("child", datetime.date(2018, 9, 9)),
            ],
            housing="social_tenant",
            rent=Decimal(700),
            commune="93066",
            irregular_stay=False,
        ),
        MONTH,
    )
    theirs = direct(
        {
            "a": {"date_naissance": {"ETERNITY": "1985-01-01"}},
            "b": {"date_naissance": {"ETERNITY": "1987-03-03"}},
            "c": {"date_naissance": {"ETERNITY": "2015-06-01"}},
            "d": {"date_naissance": {"ETERNITY": "2018-09-09"}},
        },
        ["a", "b"],
        ["c", "d"],
        {
            "statut_occupation_logement": dict.fromkeys(ALL, "locataire_hlm"),
            "loyer": dict.fromkeys(ALL, 700),
            "depcom": dict.fromkeys(ALL, "93066"),
        },
        variables=VARIABLES,
    )
    assert mine.line("css").likely is True and theirs["cmu_c"] == 1
    assert mine.line("css_participation").likely is False
    assert mine.line("rsa").monthly == money(theirs["rsa"]) and theirs["rsa"] > 0
    assert mine.line("housing_aid").monthly == money(theirs["aide_logement"])
    assert "no_resources" in mine.assumed


def test_a_person_with_a_disability_rate_of_80_percent():
    mine = of.estimate(
        Household(
            [Member("applicant", datetime.date(1970, 2, 1), disability_rate=80)],
            housing="hosted",
            commune="69123",
            irregular_stay=False,
        ),
        MONTH,
    )
    theirs = direct(
        {
            "p": {
                "date_naissance": {"ETERNITY": "1970-02-01"},
                "taux_incapacite": dict.fromkeys(ALL, 0.8),
            }
        },
        ["p"],
        [],
        {
            "statut_occupation_logement": dict.fromkeys(ALL, "loge_gratuitement"),
            "depcom": dict.fromkeys(ALL, "69123"),
        },
        variables=VARIABLES,
    )
    assert theirs["aah"] > 0
    assert mine.line("aah").likely and mine.line("aah").monthly == money(theirs["aah"])
    assert mine.line("css").likely is bool(theirs["cmu_c"])


def ceiling(month: str, persons: int = 1) -> float:
    """OpenFisca's ceiling of the free CSS for a household, computed directly."""
    individus = {f"p{i}": {"date_naissance": {"ETERNITY": "1980-01-01"}} for i in range(persons)}
    return direct(
        individus, list(individus)[:2], list(individus)[2:], {}, month, ["cmu_c_plafond"]
    )["cmu_c_plafond"]


def undocumented(resources=None, since=datetime.date(2025, 1, 1), month=MONTH):
    return of.estimate(
        Household(
            [Member("applicant", datetime.date(1992, 4, 4), resources or {})],
            housing="hosted",
            commune="13055",
            irregular_stay=True,
            in_france_since=since,
        ),
        month,
    )


def test_ame_from_the_stay_and_the_ceiling_of_the_free_css():
    yearly = ceiling("2026-11")
    # The resources counted add a flat rate for free housing to the wages: well under and
    # well over the ceiling.
    under = Decimal(int(yearly / 12 * 0.5))
    over = Decimal(int(yearly / 12 * 1.5))
    assert undocumented({"wages": (under, 12)}).line("ame").likely is True
    assert undocumented({"wages": (over, 12)}).line("ame") == of.Line(
        "ame", False, note="over_ceiling"
    )
    # Without a residence permit: no CSS, no RSA… only AME.
    outcome = undocumented()
    assert outcome.line("css") == of.Line("css", False, note="not_for_undocumented")
    assert outcome.line("rsa").likely is False
    # Less than three months in France.
    recent = undocumented(since=datetime.date(2026, 9, 15))
    assert recent.line("ame") == of.Line("ame", False, note="less_than_three_months")
    # Stay conditions not entered: AME cannot be estimated, and it is said.
    unknown = of.estimate(Household([Member("applicant", datetime.date(1990, 1, 1))]), MONTH)
    assert unknown.line("ame").likely is None and "stay" in unknown.missing


def test_the_ame_ceiling_follows_the_parameter_date():
    # The ceiling changed on 1 April 2024 (OpenFisca's parameters): resources between
    # the older and the newer ceiling (flat rate for free housing included) are under
    # the newer one only.
    new, old = ceiling("2024-05"), ceiling("2023-05")
    assert new > old
    hosted = direct(
        {"p": {"date_naissance": {"ETERNITY": "1992-04-04"}}},
        ["p"],
        [],
        {"statut_occupation_logement": dict.fromkeys(ALL, "loge_gratuitement")},
        variables=["css_cmu_base_ressources"],
    )["css_cmu_base_ressources"]  # the flat rate alone, over a year
    monthly = Decimal(int(((old + new) / 2 - hosted) / 12))
    after = undocumented(
        {"wages": (monthly, 12)}, since=datetime.date(2022, 1, 1), month=datetime.date(2024, 5, 1)
    )
    before = undocumented(
        {"wages": (monthly, 12)}, since=datetime.date(2022, 1, 1), month=datetime.date(2023, 5, 1)
    )
    assert after.line("ame").likely is True
    assert before.line("ame").likely is False


def test_missing_and_assumed_inputs_are_said():
    outcome = of.estimate(
        Household([Member("applicant"), Member("child")], housing="tenant", irregular_stay=False),
        MONTH,
    )
    assert {"birth_date", "rent", "commune"} <= set(outcome.missing)
    assert {"child_age", "no_resources"} <= set(outcome.assumed)
    assert outcome.line("housing_aid") == of.Line("housing_aid", None, note="rent_missing")
    with pytest.raises(ValueError):
        of.estimate(Household([Member("child")]), MONTH)


def test_the_tax_benefit_system_is_loaded_once():
    assert of.tax_benefit_system() is of.tax_benefit_system()
    of.preload().join()
