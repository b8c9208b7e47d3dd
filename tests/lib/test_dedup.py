import time

from maillage.lib.dedup import LIKELY, POSSIBLE, Match, Traits, score
from maillage.lib.partial_date import PartialDate

MARCH_12 = PartialDate(1985, 3, 12)
EXISTING = Traits("Dupont", given_names="Marie", birth_date=MARCH_12, sex="F")


def codes(match: Match) -> list[str]:
    return [code for code, _ in match.reasons]


def test_it_rates_a_surname_typo_with_the_same_date_as_likely():
    match = score(Traits("DUPOND", given_names="Marie", birth_date=MARCH_12, sex="F"), EXISTING)
    assert match.score >= LIKELY
    assert codes(match) == ["names_similar", "birth_date_same", "sex_same"]


def test_it_rates_transposed_first_and_last_names_as_likely():
    match = score(Traits("Marie", given_names="Dupont", birth_date=MARCH_12), EXISTING)
    assert match.score >= LIKELY
    assert "names_transposed" in codes(match)


def test_it_rates_swapped_day_and_month_as_likely():
    match = score(
        Traits("Dupont", given_names="Marie", birth_date=PartialDate(1985, 12, 3)), EXISTING
    )
    assert match.score >= LIKELY
    assert "birth_date_day_month_swapped" in codes(match)


def test_it_rates_a_partial_birth_date_as_likely():
    match = score(Traits("Dupont", given_names="Marie", birth_date=PartialDate(1985)), EXISTING)
    assert match.score >= LIKELY
    assert "birth_date_partial" in codes(match)


def test_it_rates_an_unrelated_person_as_not_even_possible():
    match = score(
        Traits("Martin", given_names="Paul", birth_date=PartialDate(1970, 1, 1)), EXISTING
    )
    assert match.score < POSSIBLE
    assert codes(match)[:2] == ["names_different", "birth_date_different"]


def test_it_ignores_accents_case_hyphens_and_particles():
    existing = Traits("Le Bihan-Lefèvre", given_names="Hélène Marie", birth_date=MARCH_12)
    new = Traits("LE BIHAN LEFEVRE", given_names="helene marie", birth_date=MARCH_12)
    match = score(new, existing)
    assert match.score >= LIKELY
    assert codes(match)[0] == "names_same"


def test_it_compares_the_birth_name_with_the_used_name():
    existing = Traits("Durand", used_name="Dupont", given_names="Marie", birth_date=MARCH_12)
    match = score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12), existing)
    assert match.score >= LIKELY
    assert codes(match)[0] == "names_same"


def test_it_tolerates_typos_in_both_names():
    match = score(Traits("Dupotn", given_names="Mraie", birth_date=MARCH_12), EXISTING)
    assert match.score >= LIKELY


def test_it_tolerates_a_missing_second_given_name_or_compound_part():
    existing = Traits("Dupont", given_names="Jean-François Pierre", birth_date=MARCH_12)
    assert (
        score(Traits("Dupont", given_names="Jean-François", birth_date=MARCH_12), existing).score
        >= LIKELY
    )
    assert (
        score(Traits("Dupont", given_names="Jean", birth_date=MARCH_12), existing).score >= LIKELY
    )


def test_it_keeps_twins_with_different_given_names_below_likely():
    twin = Traits("Dupont", given_names="Julie", birth_date=MARCH_12, sex="F")
    assert score(twin, EXISTING).score < LIKELY


def test_it_lowers_the_score_when_the_sex_differs():
    same = score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12, sex="F"), EXISTING)
    different = score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12, sex="M"), EXISTING)
    assert different.score < same.score
    assert "sex_different" in codes(different)
    unknown = score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12, sex="I"), EXISTING)
    assert not {"sex_same", "sex_different"} & set(codes(unknown))


def test_it_treats_different_valid_nirs_as_strong_evidence_against():
    existing = Traits("Dupont", given_names="Marie", birth_date=MARCH_12, nir="285031234567848")
    new = Traits(
        "Dupont", given_names="Marie", birth_date=MARCH_12, nir=_valid_nir("2850375123456")
    )
    assert (
        score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12), existing).score >= LIKELY
    )
    match = score(new, existing)
    assert match.score < LIKELY
    assert "nir_different" in codes(match)


def test_it_ignores_an_invalid_nir():
    existing = Traits("Dupont", given_names="Marie", birth_date=MARCH_12, nir="285031234567848")
    bad_key = Traits("Dupont", given_names="Marie", birth_date=MARCH_12, nir="285037512345600")
    match = score(bad_key, existing)
    assert not {"nir_same", "nir_different"} & set(codes(match))
    assert match.score >= LIKELY


def test_it_treats_the_same_nir_as_strong_evidence_for():
    nir = "285031234567848"
    existing = Traits("Dupont", given_names="Marie", birth_date=PartialDate(1985, 3, 21), nir=nir)
    without = score(Traits("Dupont", given_names="Marie", birth_date=MARCH_12), existing)
    with_nir = score(
        Traits("Dupont", given_names="Marie", birth_date=MARCH_12, nir="2 85 03 12 345 678 48"),
        existing,
    )
    assert without.score < LIKELY
    assert with_nir.score >= LIKELY
    assert "nir_same" in codes(with_nir)


def test_it_does_not_merge_a_child_registered_under_a_parent_nir():
    nir = "285031234567848"
    parent = Traits("Dupont", given_names="Marie", birth_date=MARCH_12, nir=nir)
    child = Traits("Dupont", given_names="Lucas", birth_date=PartialDate(2015, 6, 1), nir=nir)
    assert score(child, parent).score < POSSIBLE


def test_it_adds_phone_and_birth_place_evidence():
    existing = Traits("Dupont", given_names="Marie", birth_place="Lyon", phone="06 12 34 56 78")
    new = Traits("Dupont", given_names="Marie", birth_place="LYON", phone="+33 6 12 34 56 78")
    match = score(new, existing)
    assert "phone_same" in codes(match)
    assert "birth_place_same" in codes(match)
    assert match.score > score(Traits("Dupont", given_names="Marie"), existing).score


def test_it_reports_contributions_that_add_up_to_the_score():
    match = score(Traits("DUPOND", given_names="Marie", birth_date=MARCH_12, sex="F"), EXISTING)
    assert abs(sum(points for _, points in match.reasons) - match.score) < 0.2


def test_it_stays_within_bounds():
    nir = "285031234567848"
    best = score(
        Traits(
            "Dupont", given_names="Marie", birth_date=MARCH_12, sex="F", nir=nir, phone="0612345678"
        ),
        Traits(
            "Dupont", given_names="Marie", birth_date=MARCH_12, sex="F", nir=nir, phone="0612345678"
        ),
    )
    worst = score(
        Traits("Martin", given_names="Paul", birth_date=PartialDate(1970, 1, 1), sex="M", nir=nir),
        Traits(
            "Dupont",
            given_names="Marie",
            birth_date=MARCH_12,
            sex="F",
            nir=_valid_nir("1700175123456"),
        ),
    )
    assert best.score == 100.0
    assert worst.score == 0.0


def test_it_handles_missing_traits():
    match = score(Traits(""), Traits(""))
    assert match.score == 0.0
    assert score(Traits("Dupont"), Traits("Dupont")).score > 0


def test_it_is_fast_enough_for_hundreds_of_candidates():
    candidates = [
        Traits(
            f"Dupont{i}",
            given_names="Marie",
            birth_date=PartialDate(1950 + i % 50, 1 + i % 12, 1 + i % 28),
        )
        for i in range(200)
    ]
    new = Traits("Dupond", given_names="Marie", birth_date=MARCH_12)
    start = time.perf_counter()
    for _ in range(5):
        for candidate in candidates:
            score(new, candidate)
    assert (time.perf_counter() - start) / 1000 < 0.0005  # well under 0.5 ms per pair


def _valid_nir(first13: str) -> str:
    return first13 + f"{97 - int(first13) % 97:02d}"
