from maillage.people.models import Person
from maillage.people.templatetags.people_tags import birth_date, language_names, nir, phone


def test_it_groups_a_french_phone_number():
    assert phone("+33612345678") == "06 12 34 56 78"
    assert phone("0612345678") == "06 12 34 56 78"
    assert phone("+44 20 7946 0958") == "+44 20 7946 0958"
    assert phone("") == ""


def test_it_groups_a_nir_as_on_the_card():
    assert nir("285037505612345") == "2 85 03 75 056 123 45"
    assert nir("") == ""


def test_it_writes_partial_birth_dates_in_french():
    assert birth_date(Person(birth_year=1985, birth_month=3, birth_day=12)) == "12 mars 1985"
    assert birth_date(Person(birth_year=1985, birth_month=3)) == "mars 1985"
    assert birth_date(Person(birth_year=1985)) == "1985"
    assert birth_date(Person()) == "inconnue"


def test_it_names_languages():
    assert language_names(["fr", "ar"]) == "Français, Arabe"
