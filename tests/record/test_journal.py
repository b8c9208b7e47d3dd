"""The journal: encounters, notes, measures, problems, treatments, corrections, timeline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent, Structure
from maillage.core.roles import Role, Section, StructureKind
from maillage.record import actions
from maillage.record.models import CareTeamMember, Entry, EntryVersion, Participant
from maillage.record.views.journal import PAGE_SIZE
from tests.conftest import client_for, make_member


@pytest.fixture
def social(centre):
    return make_member(centre, "sandrine", Role.SOCIAL_WORKER, "assistant_service_social")


def access_of(member, person):
    access = record_access(member, person)
    assert access is not None
    return access


def page_pks(response):
    """The entries listed on a timeline page, in order."""
    return [row[0] for row in response.context["page"].object_list]


def encounter_post(**overrides):
    now = timezone.localtime()
    data = {
        "kind": "consultation",
        "date": now.date().isoformat(),
        "time": (now - timezone.timedelta(minutes=10)).strftime("%H:%M"),
        "duration_minutes": "30",
        "place": "centre",
        "section": "clinical",
        "note_section": "clinical",
        "reason": "Toux depuis dix jours",
        "reason_codes": "r05",
        "note": "Auscultation normale.",
    }
    data.update(overrides)
    return data


def test_it_records_a_co_consultation_with_an_interpreter(
    as_doctor, doctor, social, interpreter, person
):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_doctor.post(
        url,
        encounter_post(
            kind="co_consultation",
            members=[str(social.pk)],
            interpreter=str(interpreter.pk),
            interpreting_language="ar",
            weight="72,5",
            bp_systolic="135",
            bp_diastolic="85",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    encounter = Entry.objects.get(person=person, kind="encounter")
    assert encounter.encounter.kind == "co_consultation"
    assert encounter.encounter.interpreter_used
    assert encounter.encounter.reason_codes == ["R05"]
    kinds = set(Participant.objects.filter(entry=encounter).values_list("kind", "member_id"))
    assert kinds == {("member", doctor.pk), ("member", social.pk), ("interpreter", interpreter.pk)}
    children = encounter.children.all()
    assert {c.kind for c in children} == {"note", "observation"}
    bp = children.get(observation__kind="blood_pressure").observation
    assert (bp.value, bp.value2) == (135, 85)
    assert AccessEvent.objects.filter(person=person, action="create", section="clinical").exists()


def test_it_keeps_what_was_typed_on_an_implausible_measure(as_doctor, person):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_doctor.post(url, encounter_post(weight="725", temperature="3,7"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "weight" in errors and "temperature" in errors
    assert "Auscultation normale." in response.content.decode()
    assert not Entry.objects.filter(person=person).exists()


def test_a_co_consultation_needs_another_professional(as_doctor, person):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_doctor.post(url, encounter_post(kind="co_consultation"))
    assert response.status_code == 200
    assert "members" in response.context["form"].errors


def test_reception_cannot_file_in_clinical(as_reception, person):
    url = reverse("record:encounter_add", args=[person.pk])
    response = as_reception.post(url, encounter_post())
    assert response.status_code == 200
    assert "section" in response.context["form"].errors


def test_the_timeline_shows_only_readable_sections(
    as_reception, reception, doctor, social, person, django_assert_max_num_queries
):
    gp = access_of(doctor, person)
    actions.do_add_note(gp, section=Section.CLINICAL, text="Secret médical")
    actions.do_add_note(access_of(social, person), section=Section.SOCIAL, text="Dossier APL")
    actions.do_add_note(access_of(reception, person), section=Section.ADMINISTRATIVE, text="Carte")
    url = reverse("record:timeline", args=[person.pk])
    with django_assert_max_num_queries(24):
        response = as_reception.get(url)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Carte" in content
    assert "Secret médical" not in content and "Dossier APL" not in content
    logged = set(
        AccessEvent.objects.filter(
            person=person, action="read", actor_member=reception
        ).values_list("section", flat=True)
    )
    assert logged == {"administrative"}


def test_the_timeline_filters_by_section_and_paginates(as_doctor, doctor, person):
    gp = access_of(doctor, person)
    for i in range(30):
        actions.do_add_note(gp, section=Section.CLINICAL, text=f"Note clinique {i}")
    psy = actions.do_add_note(gp, section=Section.MENTAL_HEALTH, text="Note psy")
    url = reverse("record:timeline", args=[person.pk])
    response = as_doctor.get(url, {"section": "mental_health"})
    assert page_pks(response) == [psy.pk]
    response = as_doctor.get(url, {"page": "2"})
    assert len(response.context["entries"]) == 31 - PAGE_SIZE
    assert as_doctor.get(url, {"start": "pas une date"}).status_code == 200


def test_an_interpreter_reads_only_the_encounters_they_took_part_in(doctor, interpreter, person):
    gp = access_of(doctor, person)
    now = timezone.now()
    with_them = actions.do_record_encounter(
        gp,
        actions.EncounterInput(
            kind="interpreted",
            section=Section.CLINICAL,
            occurred_at=now,
            interpreter=interpreter,
            interpreting_language="ar",
            note="Consultation interprétée",
        ),
    )
    actions.do_record_encounter(
        gp,
        actions.EncounterInput(
            kind="consultation", section=Section.CLINICAL, occurred_at=now, note="Sans interprète"
        ),
    )
    response = client_for(interpreter.user).get(reverse("record:timeline", args=[person.pk]))
    content = response.content.decode()
    assert page_pks(response) == [with_them.pk]
    assert "Consultation interprétée" in content and "Sans interprète" not in content


def test_recording_an_encounter_joins_the_care_team(db, person):
    site = Structure.objects.create(name="Coordination", kind=StructureKind.COORDINATION)
    coordinator = make_member(site, "coralie", Role.COORDINATOR, "coordinateur")
    from maillage.people.actions import do_register_person

    someone = do_register_person(
        coordinator, {"birth_name": "LI", "given_names": "Wei", "sex": "F"}
    )
    access = access_of(coordinator, someone)
    assert not access.in_care_team and not access.readable
    CareTeamMember.objects.create(
        person=someone, member=coordinator, source="added", added_by=coordinator
    )
    access = access_of(coordinator, someone)
    assert access.can_write(Section.COORDINATION)
    mediator = make_member(site, "medi", Role.MEDIATOR, "mediateur_sante")
    actions.do_record_encounter(
        access,
        actions.EncounterInput(
            kind="home_visit",
            section=Section.COORDINATION,
            occurred_at=timezone.now(),
            members=[mediator],
        ),
    )
    assert access_of(mediator, someone).in_care_team


def test_a_correction_keeps_the_earlier_version(as_doctor, doctor, person):
    note = actions.do_add_note(
        access_of(doctor, person), section=Section.CLINICAL, text="Tension 14/9"
    )
    url = reverse("record:entry_correct", args=[person.pk, note.pk])
    assert as_doctor.post(url, {"text": "Tension 13/8", "reason": ""}).status_code == 200
    response = as_doctor.post(url, {"text": "Tension 13/8", "reason": "Erreur de saisie"})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "Tension 13/8" and note.version == 2
    version = EntryVersion.objects.get(entry=note)
    assert version.data["text"] == "Tension 14/9" and version.reason == "Erreur de saisie"
    detail = as_doctor.get(reverse("record:entry", args=[person.pk, note.pk])).content.decode()
    assert "Tension 14/9" in detail and "Erreur de saisie" in detail


def test_problems_and_treatments_show_in_the_summary(as_doctor, person):
    problem_url = reverse("record:problem_add", args=[person.pk])
    bad = as_doctor.post(
        problem_url,
        {"title": "Diabète", "code_system": "icd10", "code": "Z99.99", "section": "clinical"},
    )
    assert "code" in bad.context["form"].errors
    ok = as_doctor.post(
        problem_url,
        {
            "title": "Diabète de type 2",
            "code_system": "icpc2",
            "code": "t90",
            "section": "clinical",
        },
    )
    assert ok.status_code == 302
    as_doctor.post(
        reverse("record:treatment_add", args=[person.pk]), {"text": "Metformine 1000 mg x2/j"}
    )
    response = as_doctor.get(reverse("record:timeline", args=[person.pk]))
    content = response.content.decode()
    assert "Diabète de type 2" in content and "Metformine" in content and "T90" in content


@pytest.mark.parametrize(
    "name",
    ["timeline", "encounter_add", "note_add", "observations_add", "problem_add", "treatment_add"],
)
def test_outsiders_and_other_teams_get_404(name, as_outsider, as_other, as_person, person):
    url = reverse(f"record:{name}", args=[person.pk])
    for client in (as_outsider, as_other, as_person):
        assert client.get(url).status_code == 404
    assert client_for_anonymous(url).status_code == 302


def client_for_anonymous(url):
    from django.test import Client

    return Client().get(url)


def test_entry_urls_of_another_person_are_404(as_doctor, doctor, person, make_person):
    other = make_person(birth_name="AUTRE")
    note = actions.do_add_note(access_of(doctor, other), section=Section.CLINICAL, text="x")
    assert as_doctor.get(reverse("record:entry", args=[person.pk, note.pk])).status_code == 404
    assert as_doctor.get(reverse("record:entry", args=[other.pk, note.pk])).status_code == 200


def test_a_rendered_entry_is_never_shared_with_someone_who_reads_less(
    as_doctor, as_reception, doctor, reception, person
):
    """The encounter is in the coordination part (reception reads it); its clinical note
    is not. Rendered once for the GP, the cached HTML must not reach reception."""
    gp = access_of(doctor, person)
    encounter = actions.do_record_encounter(
        gp,
        actions.EncounterInput(
            kind="consultation",
            section=Section.COORDINATION,
            occurred_at=timezone.now(),
            note="Souffle cardiaque",
            note_section=Section.CLINICAL,
        ),
    )
    url = reverse("record:timeline", args=[person.pk])
    assert "Souffle cardiaque" in as_doctor.get(url).content.decode()
    as_doctor.get(url)  # served from the cache
    seen_by_reception = as_reception.get(url).content.decode()
    assert f"entry-{encounter.pk}-title" in seen_by_reception
    assert "Souffle cardiaque" not in seen_by_reception


def test_a_correction_shows_at_once_on_the_timeline(as_doctor, doctor, person):
    gp = access_of(doctor, person)
    note = actions.do_add_note(gp, section=Section.CLINICAL, text="Première version")
    url = reverse("record:timeline", args=[person.pk])
    assert "Première version" in as_doctor.get(url).content.decode()
    actions.do_correct_entry(gp, note, {"text": "Seconde version"}, "Faute de frappe")
    content = as_doctor.get(url).content.decode()
    assert "Seconde version" in content and "Première version" not in content


def test_a_weight_brings_the_body_mass_index(doctor, person):
    gp = access_of(doctor, person)
    actions.do_add_observations(gp, [actions.ObservationInput("weight", Decimal("70"))])
    assert not Entry.objects.filter(person=person, observation__kind="bmi").exists()
    actions.do_add_observations(
        gp,
        [
            actions.ObservationInput("weight", Decimal("70")),
            actions.ObservationInput("height", Decimal("175")),
        ],
    )
    actions.do_add_observations(gp, [actions.ObservationInput("weight", Decimal("80"))])
    values = list(
        Entry.objects.filter(person=person, observation__kind="bmi")
        .order_by("pk")
        .values_list("observation__value", flat=True)
    )
    assert values == [Decimal("22.9"), Decimal("26.1")]


def test_an_encounter_and_a_measure_are_corrected_with_versions(as_doctor, doctor, person):
    gp = access_of(doctor, person)
    encounter = actions.do_record_encounter(
        gp,
        actions.EncounterInput(
            kind="consultation",
            section=Section.CLINICAL,
            occurred_at=timezone.now(),
            duration_minutes=15,
            reason="Toux",
            observations=[actions.ObservationInput("weight", Decimal("72"))],
        ),
    )
    url = reverse("record:entry_correct", args=[person.pk, encounter.pk])
    form_page = as_doctor.get(url).content.decode()
    assert 'name="encounter_kind"' in form_page and 'name="text"' not in form_page
    response = as_doctor.post(
        url,
        {
            "encounter_kind": "home_visit",
            "place": "home",
            "duration_minutes": "40",
            "encounter_reason": "Toux et fièvre",
            "reason": "Visite à domicile, pas au centre",
        },
    )
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert (encounter.encounter.kind, encounter.encounter.duration_minutes) == ("home_visit", 40)
    assert encounter.versions.get().data["encounter.kind"] == "consultation"
    weight = encounter.children.get(kind="observation")
    url = reverse("record:entry_correct", args=[person.pk, weight.pk])
    bad = as_doctor.post(url, {"value": "720", "reason": "virgule oubliée"})
    assert "value" in bad.context["form"].errors
    assert as_doctor.post(url, {"value": "72,5", "reason": "virgule oubliée"}).status_code == 302
    weight.refresh_from_db()
    assert weight.observation.value == Decimal("72.5") and weight.version == 2


def test_the_summary_shows_the_latest_value_of_each_measure(doctor, person):
    from maillage.record.queries import entries_for_member, latest_observations

    gp = access_of(doctor, person)
    now = timezone.now()
    for days, weight in ((30, "80"), (2, "78"), (10, "79")):
        actions.do_add_observations(
            gp,
            [actions.ObservationInput("weight", Decimal(weight))],
            occurred_at=now - timezone.timedelta(days=days),
        )
    actions.do_add_observations(
        gp, [actions.ObservationInput("blood_pressure", Decimal(130), Decimal(80))]
    )
    latest = latest_observations(entries_for_member(gp))
    assert [(e.observation.kind, e.observation.value) for e in latest] == [
        ("weight", Decimal("78")),
        ("blood_pressure", Decimal("130")),
    ]
