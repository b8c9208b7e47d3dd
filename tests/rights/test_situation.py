"""Living conditions (a new dated snapshot at each change, the earlier ones kept) and the
EPICES questionnaire: who may read and write them, what is stored, what is refused."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AccessEvent
from maillage.lib import epices
from maillage.rights.models import EpicesScore, LivingConditions

TODAY = timezone.localdate


def living_url(person):
    return reverse("rights:living", args=[person.pk])


def history_url(person):
    return reverse("rights:living_history", args=[person.pk])


def epices_url(person):
    return reverse("rights:epices", args=[person.pk])


def overview_url(person):
    return reverse("rights:overview", args=[person.pk])


def situation(**fields):
    data = {
        "as_of": TODAY().isoformat(),
        "housing": "hosted",
        "housing_details": "Chez sa sœur",
        "adults": "2",
        "children": "1",
        "work": "unemployed",
        "income_sources": ["rsa", "family"],
        "monthly_income": "820.50",
        "food_insecurity": "some",
        "transport": "none",
        "isolation": "severe",
        "digital": "with_help",
        "administrative_status": "permit",
        "permit_type": "Carte de séjour temporaire",
        "permit_expires_on": (TODAY() + datetime.timedelta(days=90)).isoformat(),
        "in_france_since": "2019-05-01",
        "domiciliation": "CCAS",
        "notes": "",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


ANSWERS = {
    "social_worker": True,
    "complementary_insurance": False,
    "couple": False,
    "home_owner": False,
    "financial_difficulties": True,
    "sport": False,
    "show": True,
    "holidays": False,
    "family_contacts": True,
    "someone_to_host": True,
    "someone_to_help": False,
}


def epices_post(answers=ANSWERS, day=None):
    data = {code: "yes" if value else "no" for code, value in answers.items()}
    data["answered_on"] = (day or TODAY()).isoformat()
    return data


# --- Living conditions ------------------------------------------------------------------


def test_it_records_a_new_snapshot_each_time_and_keeps_the_earlier(as_social, person):
    earlier = TODAY() - datetime.timedelta(days=30)
    response = as_social.post(living_url(person), situation(as_of=earlier.isoformat()))
    assert response.status_code == 302
    assert response.url == overview_url(person)
    response = as_social.post(living_url(person), situation(housing="social_tenant", adults="1"))
    assert response.status_code == 302

    rows = list(LivingConditions.objects.filter(person=person))
    assert [(r.as_of, r.housing) for r in rows] == [
        (TODAY(), "social_tenant"),
        (earlier, "hosted"),
    ]
    first = rows[1]
    assert first.adults == 2 and first.children == 1
    assert first.income_sources == ["rsa", "family"]
    assert first.monthly_income == Decimal("820.50")
    assert first.in_france_since == datetime.date(2019, 5, 1)

    page = as_social.get(overview_url(person))
    assert page.status_code == 200
    assert page.context["living"].pk == rows[0].pk
    keys = [fact["key"] for fact in page.context["living_facts"]]
    assert keys[:5] == ["housing", "household", "work", "income", "food"]
    assert "notes" not in keys  # nothing said, nothing shown

    history = as_social.get(history_url(person))
    assert history.status_code == 200
    assert [s["lc"].pk for s in history.context["snapshots"]] == [r.pk for r in rows]
    body = history.content.decode()
    for row in rows:
        assert f'id="situation-{row.pk}"' in body


def test_the_form_starts_from_the_current_situation_dated_today(as_social, person):
    as_social.post(
        living_url(person),
        situation(as_of=(TODAY() - datetime.timedelta(days=10)).isoformat()),
    )
    form = as_social.get(living_url(person)).context["form"]
    assert form.initial["as_of"] == TODAY()
    assert form.initial["housing"] == "hosted"
    assert form.initial["income_sources"] == ["rsa", "family"]
    # Editing is a new snapshot, never a change of the old one.
    as_social.post(living_url(person), situation(housing="street"))
    assert LivingConditions.objects.filter(person=person).count() == 2


def test_an_empty_situation_is_still_a_dated_snapshot(as_social, person):
    response = as_social.post(living_url(person), {"as_of": TODAY().isoformat()})
    assert response.status_code == 302
    made = LivingConditions.objects.get(person=person)
    assert made.housing == "" and made.adults is None and made.income_sources == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"as_of": (TODAY() + datetime.timedelta(days=1)).isoformat()}, "as_of"),
        ({"as_of": ""}, "as_of"),
        (
            {"in_france_since": (TODAY() + datetime.timedelta(days=1)).isoformat()},
            "in_france_since",
        ),
        ({"in_france_since": "1850-01-01"}, "in_france_since"),
        ({"permit_expires_on": "2250-01-01"}, "permit_expires_on"),
        ({"monthly_income": "-1"}, "monthly_income"),
        ({"monthly_income": "douze"}, "monthly_income"),
        ({"monthly_income": "NaN"}, "monthly_income"),
        ({"monthly_income": "99999999999999999999999"}, "monthly_income"),
        ({"adults": "-2"}, "adults"),
        ({"adults": "deux"}, "adults"),
        ({"children": "100000"}, "children"),
        ({"income_sources": ["none", "rsa"]}, "income_sources"),
        ({"income_sources": ["lottery"]}, "income_sources"),
        ({"housing": "castle"}, "housing"),
    ],
)
def test_it_refuses_a_wrong_situation_and_keeps_what_was_typed(as_social, person, fields, error):
    response = as_social.post(living_url(person), situation(**fields))
    assert response.status_code == 400
    form = response.context["form"]
    assert error in form.errors
    assert form.data["domiciliation"] == "CCAS"
    assert 'value="CCAS"' in response.content.decode()
    assert not LivingConditions.objects.exists()


HOSTILE = [
    "x" * 5000,
    "\x00",
    "<script>alert(1)</script>",
    "1e309",
    "-1",
    "NaN",
    "２０２６-１１-２４",
    "31/02/2026",
    "%s%n{0}",
]
# Also posted one field at a time, where one bad value could hide behind another's error.
ONE_BY_ONE = ["99999999999999999999999", "\x00", "<script>alert(1)</script>"]


def test_no_hostile_value_breaks_the_forms(as_social, person):
    for url in (living_url(person), epices_url(person)):
        fields = list(as_social.get(url).context["form"].fields)
        for value in HOSTILE:
            response = as_social.post(url, dict.fromkeys(fields, value))
            assert response.status_code == 400, (url, value)
            assert "<script>alert(1)" not in response.content.decode()
        for value in ONE_BY_ONE:
            for name in fields:
                response = as_social.post(url, {name: value})
                assert response.status_code == 400, (url, name, value)
                assert "<script>alert(1)" not in response.content.decode()
    assert not LivingConditions.objects.exists() and not EpicesScore.objects.exists()


def test_the_doctor_reads_the_history_but_cannot_record(as_doctor, as_social, person):
    as_social.post(living_url(person), situation())
    assert as_doctor.get(history_url(person)).status_code == 200
    assert as_doctor.get(living_url(person)).status_code == 404
    assert as_doctor.post(living_url(person), situation(housing="street")).status_code == 404
    assert as_doctor.get(epices_url(person)).status_code == 404
    assert as_doctor.post(epices_url(person), epices_post()).status_code == 404
    assert LivingConditions.objects.count() == 1
    assert not EpicesScore.objects.exists()


def test_reception_sees_nothing_social(as_reception, reception, person):
    for url in (living_url(person), history_url(person), epices_url(person)):
        assert as_reception.get(url).status_code == 404
    assert as_reception.post(living_url(person), situation()).status_code == 404
    assert as_reception.post(epices_url(person), epices_post()).status_code == 404
    assert not LivingConditions.objects.exists() and not EpicesScore.objects.exists()
    assert AccessEvent.objects.filter(
        actor_member=reception, person=person, section="social", action="deny"
    ).exists()


@pytest.mark.parametrize("who", ["as_other", "as_outsider", "as_person", "anonymous"])
def test_outsiders_are_refused(who, request, client, person):
    browser = client if who == "anonymous" else request.getfixturevalue(who)
    for url in (living_url(person), history_url(person), epices_url(person)):
        assert browser.get(url).status_code in {302, 404}
    assert browser.post(living_url(person), situation()).status_code in {302, 404}
    assert browser.post(epices_url(person), epices_post()).status_code in {302, 404}
    assert not LivingConditions.objects.exists() and not EpicesScore.objects.exists()


def test_recording_and_reading_the_situation_are_logged(as_social, social_worker, person):
    as_social.post(living_url(person), situation())
    made = LivingConditions.objects.get()
    events = AccessEvent.objects.filter(actor_member=social_worker, person=person, section="social")
    assert events.filter(
        action="create", object_type="rights.livingconditions", object_id=str(made.pk)
    ).exists()
    before = events.filter(action="read").count()
    as_social.get(history_url(person))
    as_social.get(living_url(person))  # the form shows the current situation
    assert events.filter(action="read").count() == before + 2


# --- EPICES -----------------------------------------------------------------------------


def test_it_scores_the_answers_and_shows_the_score(as_social, social_worker, person):
    page = as_social.get(epices_url(person))
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.fields) == {"answered_on", *epices.CODES}
    assert form.fields["answered_on"].initial == TODAY()
    body = page.content.decode()
    assert body.count("<fieldset>") == len(epices.CODES)
    assert body.count("<legend>") == len(epices.CODES)
    for code in epices.CODES:
        assert f'name="{code}" value="yes"' in body and f'name="{code}" value="no"' in body

    response = as_social.post(epices_url(person), epices_post())
    assert response.status_code == 302
    assert response.url.startswith(overview_url(person))
    expected = epices.score(ANSWERS)
    stored = EpicesScore.objects.get(person=person)
    assert stored.score == expected
    assert stored.answers == ANSWERS
    assert stored.answered_on == TODAY()
    assert stored.recorded_by == social_worker
    assert AccessEvent.objects.filter(
        actor_member=social_worker,
        section="social",
        action="create",
        object_type="rights.epicesscore",
        object_id=str(stored.pk),
    ).exists()

    overview = as_social.get(overview_url(person))
    latest = overview.context["latest_score"]
    assert latest["score"] == expected
    assert latest["precarious"] == epices.is_precarious(expected)

    again = as_social.get(epices_url(person))
    assert [row["score"] for row in again.context["scores"]] == [expected]


def test_precarity_follows_the_published_threshold(as_social, person):
    everything_wrong = dict.fromkeys(epices.CODES, False) | {
        "social_worker": True,
        "financial_difficulties": True,
    }
    all_well = dict.fromkeys(epices.CODES, True) | {
        "social_worker": False,
        "financial_difficulties": False,
    }
    earlier = TODAY() - datetime.timedelta(days=200)
    as_social.post(epices_url(person), epices_post(all_well, earlier))
    as_social.post(epices_url(person), epices_post(everything_wrong))
    scores = as_social.get(overview_url(person)).context["scores"]
    assert [row["score"] for row in scores] == [
        epices.score(everything_wrong),
        epices.score(all_well),
    ]
    assert [row["precarious"] for row in scores] == [True, False]


def test_an_incomplete_questionnaire_is_refused_and_kept(as_social, person):
    answered = dict(list(ANSWERS.items())[:6])
    response = as_social.post(epices_url(person), epices_post(answered))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == set(epices.CODES) - set(answered)
    body = response.content.decode()
    for code, value in answered.items():
        checked = "yes" if value else "no"
        assert re.search(rf'<input type="radio" name="{code}" value="{checked}"[^>]*checked', body)
    assert not EpicesScore.objects.exists()


def test_a_future_or_odd_date_is_refused(as_social, person):
    tomorrow = TODAY() + datetime.timedelta(days=1)
    response = as_social.post(epices_url(person), epices_post(day=tomorrow))
    assert response.status_code == 400
    assert "answered_on" in response.context["form"].errors
    data = epices_post() | {"answered_on": "1890-01-01"}
    assert as_social.post(epices_url(person), data).status_code == 400
    data = epices_post() | {"social_worker": "maybe"}
    response = as_social.post(epices_url(person), data)
    assert response.status_code == 400
    assert "social_worker" in response.context["form"].errors
    assert not EpicesScore.objects.exists()
