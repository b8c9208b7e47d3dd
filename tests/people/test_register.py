"""Registration: identity-vigilance rules, duplicate warning, audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.people.models import DuplicateDismissal, Person, PersonSearchKey
from tests.people.helpers import input_value, links, nir_with_key, nir_with_wrong_key

URL = reverse("people:register")

PAUL = {
    "birth_name": "Martin",
    "given_names": "Paul  Henri",
    "sex": "M",
    "birth_date": "01/02/1970",
    "identity_status": "prov",
    "document_type": "none",
    "phone": "06 98 76 54 32",
    "languages": ["fr", "ar"],
}


def post(client, **changes):
    data = {**PAUL, **changes}
    return client.post(URL, {k: v for k, v in data.items() if v is not None})


def test_it_registers_a_person_with_search_keys_and_an_audit_event(as_reception, reception):
    response = post(as_reception)
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    assert person.structure == reception.structure
    assert person.created_by == reception
    assert (person.birth_name, person.given_names) == ("MARTIN", "Paul Henri")
    assert (person.birth_year, person.birth_month, person.birth_day) == (1970, 2, 1)
    assert person.languages == ["fr", "ar"]
    assert person.phone_digits == "698765432"
    keys = set(PersonSearchKey.objects.filter(person=person).values_list("key", flat=True))
    assert {"t:martin", "t:paul", "t:henri"} <= keys
    assert PersonSearchKey.objects.filter(person=person, structure=reception.structure).exists()
    event = AccessEvent.objects.get(action="create", person=person)
    assert event.actor_member == reception
    assert event.actor_user == reception.user
    assert event.structure == reception.structure


def test_it_shows_an_empty_form_prefilled_from_the_search(as_reception):
    response = as_reception.get(URL, {"nom": "Lefèvre"})
    assert response.status_code == 200
    assert input_value(response, "birth_name") == "Lefèvre"


def test_it_registers_a_valid_nir(as_reception):
    nir = nir_with_key("1700275056123")
    response = post(as_reception, nir=nir[:5] + " " + nir[5:])
    assert response.status_code == 302
    assert Person.objects.get().nir == nir


@pytest.mark.parametrize("first13", ["170022A004123", "170022B033123"])
def test_it_accepts_a_corsican_nir(as_reception, first13):
    nir = nir_with_key(first13)
    response = post(as_reception, nir=nir.lower())
    assert response.status_code == 302
    assert Person.objects.get().nir == nir


def assert_rejected(response, field: str | None = None):
    assert response.status_code == 200
    assert Person.objects.count() == 0
    form = response.context["form"]
    assert form.errors
    if field:
        assert field in form.errors, form.errors


def test_it_rejects_a_nir_with_a_wrong_key_and_keeps_the_typed_values(as_reception):
    bad = nir_with_wrong_key("1700275056123")
    response = post(as_reception, nir=bad)
    assert_rejected(response, "nir")
    assert input_value(response, "nir") == bad
    assert input_value(response, "given_names") == "Paul  Henri"
    assert input_value(response, "birth_date") == "01/02/1970"
    assert 'class="error-summary"' in response.content.decode()


def test_it_rejects_a_corsican_nir_with_a_wrong_key(as_reception):
    assert_rejected(post(as_reception, nir=nir_with_wrong_key("170022A004123")), "nir")


def test_it_rejects_a_nir_that_contradicts_sex_or_birth_date(as_reception):
    assert_rejected(post(as_reception, nir=nir_with_key("2700275056123")), "nir")
    assert_rejected(post(as_reception, nir=nir_with_key("1710275056123")), "nir")
    assert_rejected(post(as_reception, nir=nir_with_key("1700375056123")), "nir")


@pytest.mark.parametrize("text", ["31/02/1990", "12/03/85", "12/03", "hier", "01/01/2999"])
def test_it_rejects_bad_dates_and_keeps_the_typed_date(as_reception, text):
    response = post(as_reception, birth_date=text)
    assert_rejected(response, "birth_date")
    assert input_value(response, "birth_date") == text
    assert input_value(response, "birth_name") == "Martin"


def test_it_accepts_a_partial_date(as_reception):
    assert post(as_reception, birth_date="00/00/1970").status_code == 302
    person = Person.objects.get()
    assert (person.birth_year, person.birth_month, person.birth_day) == (1970, None, None)


def test_it_rejects_a_qualified_status_without_document_or_ins(as_reception):
    assert_rejected(post(as_reception, identity_status="qual"), "identity_status")


def test_it_rejects_a_qualified_status_without_ins_even_with_a_document(as_reception):
    response = post(as_reception, identity_status="qual", document_type="passport")
    assert_rejected(response, "identity_status")


def test_it_accepts_a_qualified_status_with_document_nir_and_ins(as_reception, reception):
    response = post(
        as_reception,
        identity_status="qual",
        document_type="passport",
        nir=nir_with_key("1700275056123"),
        ins_retrieved="on",
    )
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.identity_status == "qual"
    assert person.ins_retrieved_at is not None
    assert person.document_checked_by == reception
    assert person.document_checked_at is not None


def test_it_rejects_a_validated_declared_identity(as_reception):
    response = post(
        as_reception, identity_status="vali", document_type="id_card", declared_identity="on"
    )
    assert_rejected(response, "identity_status")


def test_it_rejects_ins_retrieved_without_nir(as_reception):
    response = post(as_reception, ins_retrieved="on")
    assert_rejected(response, "nir")


def test_it_rejects_a_missing_birth_name_and_sex(as_reception):
    response = post(as_reception, birth_name="", sex=None)
    assert_rejected(response)
    assert {"birth_name", "sex"} <= set(response.context["form"].errors)


def test_it_requires_a_language_for_the_interpreter(as_reception):
    assert_rejected(post(as_reception, interpreter_needed="on"), "interpreting_language")


# --- Duplicate warning -----------------------------------------------------------------


def assert_warned_about(response, person):
    assert response.status_code == 200
    detail = reverse("people:detail", args=[person.pk])
    assert detail in links(response)
    assert [c.person for c, _reasons in response.context["candidates"]] == [person]
    assert input_value(response, "confirm_new") == "1"


@pytest.mark.parametrize(
    ("birth_name", "given_names"),
    [
        ("DUPOND", "Marie"),
        ("dupont", "marie louise"),
        ("Dupônt", "Marié"),
        ("MARIE", "Dupont"),
        ("marie", "dupont"),
    ],
)
def test_it_warns_about_a_likely_duplicate_and_creates_nothing(
    as_reception, person, birth_name, given_names
):
    data = {"birth_name": birth_name, "given_names": given_names, "sex": "F"}
    response = post(as_reception, birth_date="12/03/1985", phone="", **data)
    assert_warned_about(response, person)
    assert Person.objects.count() == 1
    assert input_value(response, "birth_name") == birth_name
    assert not DuplicateDismissal.objects.exists()


def test_it_registers_after_confirmation_and_remembers_the_dismissal(
    as_reception, person, reception
):
    data = {"birth_name": "DUPOND", "given_names": "Marie", "sex": "F", "phone": ""}
    first = post(as_reception, birth_date="12/03/1985", **data)
    assert_warned_about(first, person)
    response = post(as_reception, birth_date="12/03/1985", confirm_new="1", **data)
    assert response.status_code == 302
    new = Person.objects.exclude(pk=person.pk).get()
    assert response["Location"] == reverse("people:detail", args=[new.pk])
    dismissal = DuplicateDismissal.objects.get()
    assert {dismissal.person_a, dismissal.person_b} == {person, new}
    assert dismissal.dismissed_by == reception
    assert AccessEvent.objects.filter(action="create", person=new).count() == 1


def test_it_does_not_warn_about_someone_else(as_reception, person):
    response = post(as_reception)
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_it_does_not_warn_about_a_person_of_another_structure(as_other, person):
    data = {"birth_name": "DUPOND", "given_names": "Marie", "sex": "F"}
    response = post(as_other, birth_date="12/03/1985", **data)
    assert response.status_code == 302
    assert Person.objects.count() == 2
    assert not DuplicateDismissal.objects.exists()


def test_it_validates_a_minor_with_a_family_record_book_and_the_parents_document(as_reception):
    data = {
        "birth_date": "05/06/2015",
        "identity_status": "vali",
        "document_type": "family_record_book",
    }
    assert_rejected(post(as_reception, **data), "identity_status")
    response = post(as_reception, legal_representative_document_checked="on", **data)
    assert response.status_code == 302
    assert Person.objects.get().identity_status == "vali"


def test_it_does_not_validate_an_adult_with_a_family_record_book(as_reception):
    response = post(
        as_reception,
        identity_status="vali",
        document_type="family_record_book",
        legal_representative_document_checked="on",
    )
    assert_rejected(response, "identity_status")


@pytest.mark.parametrize("flag", ["doubtful_identity", "fictitious_identity"])
def test_it_keeps_doubtful_and_fictitious_identities_provisional(as_reception, flag):
    response = post(as_reception, identity_status="vali", document_type="id_card", **{flag: "on"})
    assert_rejected(response, "identity_status")
    assert post(as_reception, **{flag: "on"}).status_code == 302
