"""The JSON API: tokens, the same policy and audit as the web pages, precise errors."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core import tokens
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record.models import Entry, Observation, Participant
from tests.api.conftest import Api, token_for
from tests.conftest import make_member

A = AccessEvent.Action
MAX = 2**63 - 1


def timeline_url(person):
    return f"/persons/{person.pk}/timeline"


# --- Reading ---------------------------------------------------------------------------------


def test_the_timeline_gives_what_the_member_may_read(api_doctor, doctor, person, record):
    response = api_doctor.get(timeline_url(person))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["person_id"] == person.pk and data["count"] == 3
    admin_note, document, encounter = data["entries"]
    assert admin_note["section"] == "administrative" and admin_note["text"] == "Carte Vitale vue."
    assert document["document"]["content_type"] == "application/pdf"
    assert document["document"]["download_url"].endswith(
        f"/api/persons/{person.pk}/documents/{record['document'].pk}/file"
    )
    assert encounter["kind"] == "encounter" and encounter["version"] == 1
    assert encounter["encounter"]["reason_codes"] == ["R05"]
    assert encounter["encounter"]["interpreting_language"] == "ar"
    kinds = {p["kind"] for p in encounter["participants"]}
    assert kinds == {"member", "interpreter"}
    assert encounter["author"] == {"id": doctor.pk, "name": "Docteur Test", "role": "gp"}
    children = {c["kind"]: c for c in encounter["children"]}
    assert children["note"]["text"] == "Auscultation normale."
    assert Decimal(str(children["observation"]["observation"]["value"])) == Decimal("72.5")
    assert children["observation"]["observation"]["unit"] == "kg"


def test_each_call_logs_one_read_per_section_shown(api_doctor, doctor, person, record):
    api_doctor.get(timeline_url(person), section="administrative")
    reads = AccessEvent.objects.filter(action=A.READ, actor_member=doctor, person=person)
    assert list(reads.values_list("section", flat=True)) == [Section.ADMINISTRATIVE]
    api_doctor.get(timeline_url(person))
    assert set(reads.values_list("section", flat=True)) == {
        Section.ADMINISTRATIVE,
        Section.CLINICAL,
    }


def test_the_timeline_follows_the_policy_for_each_member(reception, person, record):
    data = Api(token_for(reception)).get(timeline_url(person)).json()
    assert [e["section"] for e in data["entries"]] == ["administrative"]


def test_an_interpreter_reads_only_the_encounter_they_took_part_in(interpreter, person, record):
    data = Api(token_for(interpreter)).get(timeline_url(person)).json()
    assert [e["id"] for e in data["entries"]] == [record["encounter"].pk]


def test_the_timeline_filters_and_pages(api_doctor, doctor, person, record):
    data = api_doctor.get(timeline_url(person), kind="consultation").json()
    assert [e["id"] for e in data["entries"]] == [record["encounter"].pk]
    data = api_doctor.get(timeline_url(person), page_size=1, page=2).json()
    assert data["count"] == 3 and [e["id"] for e in data["entries"]] == [record["document"].pk]
    data = api_doctor.get(timeline_url(person), page=99).json()
    assert data["entries"] == [] and data["count"] == 3
    today = timezone.localdate()
    data = api_doctor.get(timeline_url(person), start=today.isoformat()).json()
    assert [e["id"] for e in data["entries"]] == [record["admin_note"].pk]
    data = api_doctor.get(timeline_url(person), author=doctor.pk).json()
    assert data["count"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 101}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "abc"}, "page"),
        ({"section": "secret"}, "section"),
        ({"kind": "pizza"}, "kind"),
        ({"start": "12/03/2025"}, "start"),
        ({"end": "0"}, "end"),  # not a Unix time
        ({"end": "1.7953260565174587e-40"}, "end"),
        ({"author": MAX + 1}, "author"),
    ],
)
def test_bad_filters_are_422_with_a_precise_detail(api_doctor, person, params, field):
    response = api_doctor.get(timeline_url(person), **params)
    assert response.status_code == 422
    data = response.json()
    assert isinstance(data["detail"], str) and field in data["detail"]
    assert [e["field"] for e in data["errors"]] == [field]


def test_the_api_downloads_a_document_and_logs_it(api_doctor, doctor, person, record):
    entry = record["document"]
    response = api_doctor.get(f"/persons/{person.pk}/documents/{entry.pk}/file")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AccessEvent.objects.filter(
        action=A.READ, actor_member=doctor, object_id=str(entry.pk), section="clinical"
    ).exists()
    other = record["admin_note"]
    assert api_doctor.get(f"/persons/{person.pk}/documents/{other.pk}/file").status_code == 404


# --- Who is refused --------------------------------------------------------------------------


def test_missing_and_forbidden_persons_look_the_same(
    api_doctor, other_member, person, other_person, record
):
    missing = api_doctor.get("/persons/999999/timeline")
    forbidden = api_doctor.get(timeline_url(other_person))
    assert missing.status_code == forbidden.status_code == 404
    assert missing.json() == forbidden.json() and missing.json()["detail"]
    # A member of another structure does not see centre A's person either.
    response = Api(token_for(other_member)).get(timeline_url(person))
    assert response.status_code == 404
    assert AccessEvent.objects.filter(action=A.DENY, actor_member=other_member).exists()


def test_a_member_without_record_access_gets_404(observer, admin_member, person, record):
    for member in (observer, admin_member):
        response = Api(token_for(member)).get(timeline_url(person))
        assert response.status_code in {200, 404}
        if response.status_code == 200:  # the administrator reads administrative entries
            assert {e["section"] for e in response.json()["entries"]} <= {"administrative"}
    assert Api(token_for(observer)).get(timeline_url(person)).status_code == 404


ENDPOINTS = [
    ("get", "/persons/{pk}/timeline", None),
    ("get", "/persons/{pk}/documents/{doc}/file", None),
    ("post", "/persons/{pk}/entries", {"type": "note", "section": "clinical", "text": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_outsiders_are_denied_on_every_endpoint(
    method, path, body, doctor, person, record, person_user, outsider, other_member
):
    url = path.format(pk=person.pk, doc=record["document"].pk)
    revoked, revoked_text = tokens.do_create_token(doctor, name="old", scopes=["read", "write"])
    tokens.do_revoke_token(revoked)
    _expired, expired_text = tokens.do_create_token(
        doctor,
        name="expired",
        scopes=["read", "write"],
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    person_client = Client()
    person_client.force_login(person_user)  # the person: a session, not a member token
    outsider_client = Client()
    outsider_client.force_login(outsider)
    callers = {
        "no token": (Api(None), 401),
        "garbage": (Api("garbage"), 401),
        "revoked": (Api(revoked_text), 401),
        "expired": (Api(expired_text), 401),
        "person": (Api(None, person_client), 401),
        "outsider": (Api(None, outsider_client), 401),
        "other structure": (Api(token_for(other_member)), 404),
    }
    entries_before = Entry.objects.count()
    for who, (caller, status) in callers.items():
        response = caller.get(url) if method == "get" else caller.post(url, body)
        assert response.status_code == status, (who, response.content)
        data = response.json()
        assert data["detail"] and "DUPONT" not in response.content.decode()
        if status == 401:
            assert response["WWW-Authenticate"] == "Bearer"
    assert Entry.objects.count() == entries_before


def test_a_deactivated_member_token_stops_working(doctor, person):
    api = Api(token_for(doctor))
    assert api.get(timeline_url(person)).status_code == 200
    doctor.is_active = False
    doctor.save(update_fields=["is_active"])
    assert api.get(timeline_url(person)).status_code == 401


def test_a_read_only_token_cannot_write(doctor, person):
    api = Api(token_for(doctor, scopes=("read",)))
    response = api.post(
        f"/persons/{person.pk}/entries", {"type": "note", "section": "clinical", "text": "x"}
    )
    assert response.status_code == 403 and response.json()["detail"]
    assert not Entry.objects.exists()
    write_only = Api(token_for(doctor, scopes=("write",)))
    assert write_only.get(timeline_url(person)).status_code == 403


# --- Writing ---------------------------------------------------------------------------------


def entries_url(person):
    return f"/persons/{person.pk}/entries"


def test_it_writes_a_note(api_doctor, doctor, person):
    response = api_doctor.post(
        entries_url(person),
        {"type": "note", "section": "clinical", "text": "  Revu ce jour.  "},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    entry = Entry.objects.get(pk=data["id"])
    assert entry.text == "Revu ce jour." and entry.author == doctor
    assert data["text"] == "Revu ce jour." and data["section"] == "clinical"
    assert AccessEvent.objects.filter(action=A.CREATE, object_id=str(entry.pk)).exists()


def test_it_adds_a_note_to_an_encounter(api_doctor, person, record):
    encounter = record["encounter"]
    response = api_doctor.post(
        entries_url(person),
        {"type": "note", "section": "clinical", "text": "Complément", "encounter_id": encounter.pk},
    )
    assert response.status_code == 201
    assert Entry.objects.get(pk=response.json()["id"]).parent == encounter
    response = api_doctor.post(
        entries_url(person),
        {"type": "note", "section": "clinical", "text": "x", "encounter_id": record["document"].pk},
    )
    assert response.status_code == 404


def test_it_refuses_a_section_the_member_may_not_write(reception, person):
    response = Api(token_for(reception)).post(
        entries_url(person), {"type": "note", "section": "clinical", "text": "Avis"}
    )
    assert response.status_code == 403 and response.json()["detail"]
    assert not Entry.objects.exists()


def encounter_body(**overrides):
    body = {
        "type": "encounter",
        "kind": "consultation",
        "section": "clinical",
        "occurred_at": (timezone.localtime() - datetime.timedelta(hours=1)).isoformat(),
        "duration_minutes": 20,
        "place": "centre",
        "reason": "Fièvre",
        "reason_codes": ["a03", "R05"],
        "note": "Examen rassurant.",
        "observations": [
            {"kind": "temperature", "value": "38,2"},
            {"kind": "blood_pressure", "value": 135, "value2": 85},
        ],
    }
    body.update(overrides)
    return body


def test_it_records_an_encounter_with_its_note_and_measures(
    api_doctor, doctor, interpreter, centre, person
):
    nurse = make_member(centre, "nina", Role.NURSE, "infirmier")
    response = api_doctor.post(
        entries_url(person),
        encounter_body(
            kind="co_consultation",
            member_ids=[nurse.pk, doctor.pk],
            interpreter_id=interpreter.pk,
            interpreting_language="ar",
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["encounter"]["kind"] == "co_consultation"
    assert data["encounter"]["reason_codes"] == ["A03", "R05"]
    assert {c["kind"] for c in data["children"]} == {"note", "observation"}
    entry = Entry.objects.get(pk=data["id"])
    assert Observation.objects.get(entry__parent=entry, kind="temperature").value == Decimal("38.2")
    members = set(Participant.objects.filter(entry=entry).values_list("member_id", flat=True))
    assert members == {doctor.pk, nurse.pk, interpreter.pk}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "co_consultation"}, "member_ids"),
        ({"kind": "interpreted"}, "interpreter_id"),
        ({"interpreter_name": "ISM"}, "interpreting_language"),
        ({"interpreting_language": "zz", "interpreter_name": "ISM"}, "interpreting_language"),
        ({"occurred_at": "2999-01-01T10:00:00+01:00"}, "occurred_at"),
        ({"occurred_at": "0001-01-01T00:00:00"}, "occurred_at"),
        ({"occurred_at": "hier"}, "occurred_at"),
        ({"occurred_at": 1735689600}, "occurred_at"),  # not a Unix time
        ({"reason_codes": ["R5"]}, "reason_codes"),
        ({"observations": [{"kind": "weight", "value": 700}]}, "observations.0.value"),
        ({"observations": [{"kind": "weight", "value": "lourd"}]}, "observations.0.value"),
        (
            {"observations": [{"kind": "blood_pressure", "value": 120, "value2": 130}]},
            "observations.0.value",
        ),
        ({"observations": [{"kind": "mood", "value": 1}]}, "observations.0.kind"),
        ({"member_ids": [MAX]}, "member_ids"),
        ({"member_ids": [MAX + 1]}, "member_ids.0"),
        ({"interpreter_id": 999_999}, "interpreter_id"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"kind": "visite"}, "kind"),
        ({"place": "lune"}, "place"),
        ({"note": "a\x00b"}, "note"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_encounters_are_422_with_the_field_and_a_message(api_doctor, person, overrides, field):
    response = api_doctor.post(entries_url(person), encounter_body(**overrides))
    assert response.status_code == 422, response.content
    data = response.json()
    assert [e["field"] for e in data["errors"]][:1] == [field]
    assert all(e["message"] for e in data["errors"])
    assert field in data["detail"]
    assert not Entry.objects.exists()


def test_members_of_another_structure_cannot_be_named(api_doctor, other_member, person):
    response = api_doctor.post(entries_url(person), encounter_body(member_ids=[other_member.pk]))
    assert response.status_code == 422


def test_measures_need_the_clinical_write_right(centre, person):
    social = make_member(centre, "sandrine", Role.SOCIAL_WORKER, "assistant_service_social")
    response = Api(token_for(social)).post(
        entries_url(person), encounter_body(section="social", note_section="social")
    )
    assert response.status_code == 403
    response = Api(token_for(social)).post(
        entries_url(person), encounter_body(section="social", observations=[])
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        "null",
        '"note"',
        "{}",
        '{"type": "letter"}',
        '{"type": "note"}',
        '{"type": "note", "section": "clinical", "text": ""}',
        '{"type": "note", "section": "clinical", "text": "   "}',
        '{"type": "note", "section": "clinical", "text": 12}',
        '{"type": "note", "section": "clinical", "text": "x", "encounter_id": -1}',
        '{"type": "note", "section": "clinical", "text": "x", "encounter_id": 1e400}',
        '{"type": "note", "section": "clinical", "text": "x", "concerns_third_party": "maybe"}',
        '{"type": "encounter", "observations": "many"}',
        '{"type": "encounter", "kind": "consultation", "section": "clinical", '
        '"occurred_at": "9999-12-31T23:59:59-14:00"}',
        "\udcff",
    ],
)
def test_no_input_gives_a_server_error(api_doctor, person, body):
    try:
        raw = body.encode("utf-8")
    except UnicodeEncodeError:
        raw = b"\xff\xfe"
    response = api_doctor.post(entries_url(person), raw, raw=True)
    assert response.status_code in {400, 422}, response.content
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("person_id", ["0", "-1", "abc", str(MAX + 1), "1e3"])
def test_bad_person_ids_are_refused_cleanly(api_doctor, person_id):
    response = api_doctor.get(f"/persons/{person_id}/timeline")
    assert response.status_code in {404, 422}
    assert response.json()["detail"]


def test_csrf_does_not_apply_to_token_requests(doctor, person):
    api = Api(token_for(doctor), Client(enforce_csrf_checks=True))
    response = api.post(entries_url(person), {"type": "note", "section": "clinical", "text": "x"})
    assert response.status_code == 201


# --- Documentation -------------------------------------------------------------------------


def test_the_openapi_schema_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Maillage API"
    assert "/api/persons/{person_id}/timeline" in schema["paths"]
    assert "/api/persons/{person_id}/entries" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_documentation_page_works_offline(client):
    response = client.get(reverse("api:openapi-view"))
    assert response.status_code == 200
    html = response.content.decode().lower()
    for external in ("cdn", "unpkg", "jsdelivr", "http://", "https://", "//fonts"):
        assert external not in html, external
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert '"validatorurl": null' in html
