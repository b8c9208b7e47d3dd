import pytest

from maillage.lib.nir import check_nir, clean_nir, nir_birth_hints, nir_consistency


def reference_key(first13: str) -> str:
    """Documented algorithm: 97 - (number mod 97), Corsica 2A -> 19, 2B -> 18."""
    number = first13.replace("2A", "19", 1) if first13[5:7] == "2A" else first13
    number = number.replace("2B", "18", 1) if first13[5:7] == "2B" else number
    return f"{97 - int(number) % 97:02d}"


# 13 first characters and the key computed by hand with the algorithm above.
VALID = [
    ("1850375123456", "41"),  # man born in Paris, March 1985
    ("2850312345678", "48"),
    ("2920699999001", "92"),  # born abroad (99)
    ("185032A123456", "01"),  # Corse-du-Sud
    ("285032B123456", "75"),  # Haute-Corse
    ("7850375123456", "32"),  # temporary number
]


@pytest.mark.parametrize(("first13", "key"), VALID)
def test_it_accepts_valid_nirs_including_corsica(first13, key):
    assert reference_key(first13) == key
    result = check_nir(first13 + key)
    assert result.valid
    assert result.problem is None
    assert result.nir == first13 + key


def test_it_cleans_spaces_dots_dashes_and_uppercases_corsica():
    assert clean_nir(" 1 85 03 2a 123.456-01 ") == "185032A12345601"
    assert check_nir("1 85 03 2a 123 456 01").valid


def test_it_reports_expected_and_given_key_when_the_key_is_wrong():
    result = check_nir("1 85 03 75 123 456 40")
    assert not result.valid
    assert result.problem == "key"
    assert result.expected_key == "41"
    assert result.given_key == "40"
    assert result.nir == "185037512345640"


def test_it_uses_corsican_substitution_for_the_key():
    # Without substitution the key could not even be computed; 2A and 2B
    # give different keys for otherwise identical numbers.
    assert check_nir("185032B12345601").expected_key == reference_key("185032B123456")
    assert reference_key("185032B123456") != "01"


@pytest.mark.parametrize("value", ["", "1850375123456", "18503751234564", "1850375123456410"])
def test_it_rejects_wrong_length(value):
    result = check_nir(value)
    assert result.problem == "length"
    assert result.expected_key is None
    assert result.given_key is None


@pytest.mark.parametrize(
    "value",
    [
        "18503751234A641",  # letter outside the department
        "185032C12345601",  # only 2A/2B are allowed
        "585037512345641",  # leading digit 5 is not used
        "085037512345641",
    ],
)
def test_it_rejects_wrong_format(value):
    assert check_nir(value).problem == "format"


def test_it_finds_no_inconsistency_when_traits_match():
    assert nir_consistency("185037512345641", sex="M", birth_year=1985, birth_month=3) == []


def test_it_reports_sex_year_and_month_mismatches():
    problems = nir_consistency("185037512345641", sex="F", birth_year=1986, birth_month=4)
    assert problems == ["nir_sex_mismatch", "nir_year_mismatch", "nir_month_mismatch"]


def test_it_compares_only_the_last_two_digits_of_the_year():
    assert nir_consistency("185037512345641", sex=None, birth_year=2085, birth_month=None) == []


def test_it_skips_the_sex_check_for_temporary_numbers_and_indeterminate_sex():
    assert nir_consistency("785037512345632", sex="F", birth_year=None, birth_month=None) == []
    assert nir_consistency("185037512345641", sex="I", birth_year=None, birth_month=None) == []


def test_it_skips_the_month_check_for_fictitious_months():
    nir = "1853075123456" + reference_key("1853075123456")  # month 30
    assert check_nir(nir).valid
    assert nir_consistency(nir, sex="M", birth_year=1985, birth_month=7) == []


def test_it_skips_unknown_traits_and_invalid_nirs():
    assert nir_consistency("185037512345641", sex=None, birth_year=None, birth_month=None) == []
    assert nir_consistency("185037512345640", sex="F", birth_year=1900, birth_month=1) == []


def test_it_gives_birth_hints_for_prefill():
    assert nir_birth_hints("1 85 03 75 123 456 41") == {
        "sex": "M",
        "yy": "85",
        "mm": "03",
        "department": "75",
        "commune": "123",
        "born_abroad": False,
    }


def test_it_gives_overseas_and_abroad_birth_hints():
    overseas = nir_birth_hints("185039710512329")
    assert (overseas["department"], overseas["commune"]) == ("971", "05")
    abroad = nir_birth_hints("292069999900192")
    assert abroad["born_abroad"]
    assert (abroad["department"], abroad["commune"], abroad["sex"]) == ("99", "999", "F")


def test_it_hides_fictitious_month_and_temporary_sex_in_hints():
    nir = "7853075123456" + reference_key("7853075123456")
    hints = nir_birth_hints(nir)
    assert hints["mm"] is None
    assert hints["sex"] is None


def test_it_refuses_hints_for_invalid_nir():
    with pytest.raises(ValueError, match="nir_invalid"):
        nir_birth_hints("185037512345640")
