"""The estimate page: a social worker enters the household, the estimate is computed and
kept, and a likely right not claimed becomes an application in one step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maillage.core.models import AccessEvent
from maillage.rights.models import Application, RightsEstimate, RightStatus

SINGLE_LOW_WAGE = {
    "birth_date": "01/05/1990",
    "p_wages": "800",
    "p_wages_months": "12",
    "housing": "tenant",
    "rent": "500",
    "commune": "75056",
    "stay": "regular",
}


def url(person, name="rights:estimate"):
    return reverse(name, args=[person.pk])


def test_a_social_worker_estimates_and_starts_an_application(as_social, social_worker, person):
    form = as_social.get(url(person))
    assert form.status_code == 200 and form.context["latest"] is None
    response = as_social.post(url(person), SINGLE_LOW_WAGE)
    assert response.status_code == 302
    estimate = RightsEstimate.objects.get(person=person)
    lines = {line["code"]: line for line in estimate.lines}
    assert lines["ppa"]["likely"] and float(lines["ppa"]["monthly"]) > 0
    assert lines["css"]["likely"] is False and lines["css_participation"]["likely"]
    assert estimate.inputs["members"][0]["resources"] == {"wages": ["800", 12]}
    assert AccessEvent.objects.filter(
        person=person, action="create", section="social", object_id=str(estimate.pk)
    ).exists()

    page = as_social.get(url(person))
    shown = {line["code"]: line for line in page.context["lines"]}
    assert shown["ppa"]["not_claimed"] and shown["housing_aid"]["not_claimed"]
    text = page.content.decode()
    assert f'action="{url(person, "rights:estimate_apply")}"' in text
    assert "176." in text or "OpenFisca" in text  # the legislation applied is said
    # The form is prefilled from the estimate.
    assert page.context["form"].initial["p_wages"] == 800

    started = as_social.post(url(person, "rights:estimate_apply"), {"right": "ppa"})
    application = Application.objects.get(person=person)
    assert started.status_code == 302
    assert started["Location"] == reverse("rights:application", args=[person.pk, application.pk])
    assert application.from_estimate and application.kind.code == "ppa"
    assert application.right.status == RightStatus.IN_PROGRESS
    again = as_social.get(url(person)).context["lines"]
    assert not next(line for line in again if line["code"] == "ppa")["not_claimed"]
    # Not twice, and only a right the estimate finds likely and not claimed.
    assert as_social.post(url(person, "rights:estimate_apply"), {"right": "ppa"}).status_code == 404
    assert as_social.post(url(person, "rights:estimate_apply"), {"right": "rsa"}).status_code == 404
    assert as_social.post(url(person, "rights:estimate_apply"), {"right": "x"}).status_code == 404


def test_prefilled_from_the_record(as_social, person):
    person.commune_code = "69123"
    person.save(update_fields=["commune_code"])
    assert as_social.get(url(person)).context["form"].initial["commune"] == "69123"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"p_wages": "-10"}, "p_wages"),
        ({"p_wages_months": "13"}, "p_wages_months"),
        ({"child_1": "01/01/2099"}, "child_1"),
        ({"commune": "ABCDE"}, "commune"),
        ({"rent": ""}, "rent"),
        ({"c_wages": "500"}, "couple"),
        ({"p_wages": "beaucoup"}, "p_wages"),
    ],
)
def test_bad_input_is_refused_in_words_and_kept(as_social, person, changes, field):
    response = as_social.post(url(person), {**SINGLE_LOW_WAGE, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert response.context["form"].data["birth_date"] == "01/05/1990"
    assert not RightsEstimate.objects.exists()


def test_who_may_estimate(as_doctor, as_reception, as_other, as_outsider, as_person, person):
    # A GP reads the social section: the page, without the form; no estimate.
    assert as_doctor.get(url(person)).status_code == 200
    assert not as_doctor.get(url(person)).context["writes"]
    assert as_doctor.post(url(person), SINGLE_LOW_WAGE).status_code == 404
    for client in (as_reception, as_other, as_outsider, as_person):
        assert client.get(url(person)).status_code in {302, 404}
        assert client.post(url(person), SINGLE_LOW_WAGE).status_code in {302, 404}
    assert not RightsEstimate.objects.exists()
