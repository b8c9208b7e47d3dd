"""FHIR QuestionnaireResponse: the EPICES score, read as part of the social section and
recorded through the rights app's action."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Section
from maillage.lib import epices
from maillage.rights import actions
from maillage.rights.models import EpicesScore
from tests.fhir.conftest import assert_outcome, fhir_as, valid

EPICES = "urn:maillage:questionnaire:epices"
A = AccessEvent.Action


def all_answers(value: bool = False) -> dict[str, bool]:
    return dict.fromkeys(epices.CODES, value)


@pytest.fixture
def score(social_worker, person) -> EpicesScore:
    answers = all_answers() | {"social_worker": True, "financial_difficulties": True}
    return actions.do_record_epices(
        record_access(social_worker, person), datetime.date(2024, 3, 1), answers
    )


def social_reads(person):
    return AccessEvent.objects.filter(person=person, reason="fhir", section=Section.SOCIAL).count()


def test_read_and_search(social_worker, fhir_doctor, person, score):
    before = social_reads(person)
    resource = fhir_doctor.read(f"QuestionnaireResponse/{score.pk}")
    assert resource["questionnaire"] == EPICES
    assert resource["status"] == "completed"
    assert resource["subject"] == {"reference": f"Patient/{person.pk}"}
    assert resource["authored"] == "2024-03-01"
    assert resource["author"]["reference"] == f"PractitionerRole/{social_worker.pk}"
    items = {item["linkId"]: item for item in resource["item"]}
    assert list(items) == [*epices.CODES, "score"]
    assert items["social_worker"]["answer"] == [{"valueBoolean": True}]
    assert items["couple"]["answer"] == [{"valueBoolean": False}]
    assert items["score"]["answer"] == [{"valueDecimal": float(score.score)}]
    assert social_reads(person) == before + 1
    assert [r["id"] for r in fhir_doctor.search("QuestionnaireResponse")] == [str(score.pk)]


def test_search_parameters(fhir_doctor, social_worker, make_person, person, score):
    other = make_person()
    later = actions.do_record_epices(
        record_access(social_worker, other), timezone.localdate(), all_answers(True)
    )

    def ids(**params):
        return {r["id"] for r in fhir_doctor.search("QuestionnaireResponse", **params)}

    assert ids(patient=person.pk) == {str(score.pk)}
    assert ids(subject=f"Patient/{other.pk}") == {str(later.pk)}
    assert ids(authored="2024-03") == {str(score.pk)}
    assert ids(authored="ge2025-01-01") == {str(later.pk)}
    assert ids(status="completed") == {str(score.pk), str(later.pk)}
    assert ids(status="in-progress") == set()
    assert ids(questionnaire=EPICES) == {str(score.pk), str(later.pk)}
    assert ids(questionnaire="urn:other:questionnaire") == set()
    bundle = fhir_doctor.read(
        "QuestionnaireResponse", _id=score.pk, _include="QuestionnaireResponse:subject"
    )
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "QuestionnaireResponse",
        "Patient",
    ]


def test_who_reads(fhir_reception, fhir_other, fhir_anonymous, fhir_person, score):
    # Reception does not read the social section.
    assert fhir_reception.search("QuestionnaireResponse") == []
    assert_outcome(fhir_reception.get(f"QuestionnaireResponse/{score.pk}"), 404)
    assert_outcome(fhir_other.get(f"QuestionnaireResponse/{score.pk}"), 404)
    assert fhir_other.search("QuestionnaireResponse") == []
    assert_outcome(fhir_anonymous.get("QuestionnaireResponse"), 401)
    # The person reads their own answers.
    assert [r["id"] for r in fhir_person.search("QuestionnaireResponse")] == [str(score.pk)]


def response_resource(person, answers=None, **extra):
    answers = all_answers() if answers is None else answers
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": EPICES,
        "status": "completed",
        "subject": {"reference": f"Patient/{person.pk}"},
        "authored": "2024-05-02T10:30:00+02:00",
        "item": [
            {"linkId": code, "answer": [{"valueBoolean": value}]} for code, value in answers.items()
        ]
        + [{"linkId": "score", "answer": [{"valueDecimal": 1}]}],
        "language": "fr",
    }
    resource.update(extra)
    return resource


def test_create(social_worker, person):
    client = fhir_as(social_worker)
    answers = all_answers() | {"financial_difficulties": True}
    response = client.post("QuestionnaireResponse", response_resource(person, answers))
    assert response.status_code == 201, response.content.decode()
    created = valid(response.json())
    made = EpicesScore.objects.get(pk=created["id"])
    assert made.answered_on == datetime.date(2024, 5, 2)
    assert made.score == epices.score(answers)  # computed, not the one sent
    assert made.recorded_by == social_worker
    assert created["language"] == "fr"  # kept beside the row
    assert AccessEvent.objects.filter(
        person=person, action=A.CREATE, section=Section.SOCIAL, object_id=str(made.pk)
    ).exists()


def test_create_refused_and_bad(social_worker, fhir_doctor, fhir_other, person):
    # A GP reads the social section but does not write it.
    assert_outcome(fhir_doctor.post("QuestionnaireResponse", response_resource(person)), 403)
    assert_outcome(fhir_other.post("QuestionnaireResponse", response_resource(person)), 403)
    client = fhir_as(social_worker)
    missing = all_answers()
    del missing["sport"]
    body = assert_outcome(
        client.post("QuestionnaireResponse", response_resource(person, missing)), 422
    )
    assert body["issue"][0]["expression"] == ["QuestionnaireResponse.item.where(linkId='sport')"]
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert_outcome(
        client.post("QuestionnaireResponse", response_resource(person, authored=future)), 422
    )
    assert_outcome(
        client.post("QuestionnaireResponse", response_resource(person, questionnaire="urn:other")),
        422,
    )
    assert_outcome(
        client.post("QuestionnaireResponse", response_resource(person, status="in-progress")),
        422,
    )
    unknown = response_resource(person)
    unknown["item"].append({"linkId": "pets", "answer": [{"valueBoolean": True}]})
    assert_outcome(client.post("QuestionnaireResponse", unknown), 422)
    assert_outcome(
        client.post("QuestionnaireResponse", response_resource(person, authored="mardi")), 400
    )
    assert not EpicesScore.objects.exists()
