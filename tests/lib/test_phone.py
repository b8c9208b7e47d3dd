import pytest

from maillage.lib.phone import normalize_phone, phone_digits_for_search


@pytest.mark.parametrize(
    "text",
    [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "0033612345678",
        "+33612345678",
        "6 12 34 56 78",
    ],
)
def test_it_normalizes_french_numbers_to_national_form(text):
    assert normalize_phone(text) == "0612345678"


def test_it_normalizes_overseas_departments_to_national_form():
    assert normalize_phone("+262 692 12 34 56") == "0692123456"
    assert normalize_phone("00590 590 12 34 56") == "0590123456"


def test_it_keeps_other_international_numbers_with_plus():
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("0049 30 123456") == "+4930123456"


def test_it_returns_empty_for_empty_or_digitless_input():
    assert normalize_phone("") == ""
    assert normalize_phone("   ") == ""
    assert normalize_phone("n/a") == ""


def test_it_keeps_short_numbers_as_digits():
    assert normalize_phone("15") == "15"


def test_it_gives_the_same_search_digits_for_every_spelling():
    expected = "612345678"
    for text in ("06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"):
        assert phone_digits_for_search(text) == expected


def test_it_gives_the_last_nine_digits_of_international_numbers():
    assert phone_digits_for_search("+44 20 7946 0958") == "079460958"
    assert phone_digits_for_search("") == ""
