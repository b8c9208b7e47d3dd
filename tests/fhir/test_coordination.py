"""CareTeam, CarePlan, Goal, Task and ServiceRequest: the coordination section of the
record (circle of care, health project, tasks, referrals) through the FHIR interface."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from maillage.coordination.actions import circle as circle_actions
from maillage.coordination.actions import projects as project_actions
from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions import tasks as task_actions
from maillage.coordination.models import Referral, Task
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.people.actions import do_add_relation
from maillage.record.actions import do_add_to_care_team
from maillage.territory import actions as territory_actions
from maillage.territory import datainclusion as di
from maillage.territory.models import Service
from tests.conftest import make_member
from tests.fhir.conftest import fhir_as
from tests.fhir.examples import example, pointing_to
from tests.territory.data import as_json

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_A_WEEK = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def social(centre):
    return make_member(centre, "sophie", Role.SOCIAL_WORKER, "assistant_social")


@pytest.fixture
def dentist(centre):
    territory_actions.do_import_directory(centre, di.parse([("d.json", as_json())]))
    return Service.objects.select_related("organisation").get(di_id="essai--dentiste")


@pytest.fixture
def pharmacist(centre):
    return territory_actions.do_save_professional(
        centre, {"name": "Paul Pharmacien", "profession": "pharmacien", "commune": "Lyon"}
    )


@pytest.fixture
def situation(doctor, social, reception, person, dentist, pharmacist, make_person):
    """A person with a circle, a health project, referrals and tasks; and another person
    with none of them."""
    access = record_access(doctor, person)
    assert access is not None
    do_add_to_care_team(doctor, person, doctor, referent=True)
    sister = do_add_relation(
        reception, person, {"kind": "sibling", "name": "Jeanne Sœur", "team_may_contact": True}
    )
    circle_actions.do_add_to_circle(access, role="contributor", agreed_on=TODAY, member=social)
    circle_actions.do_add_to_circle(access, role="informed", agreed_on=TODAY, service=dentist)
    circle_actions.do_add_to_circle(access, role="coordinator", agreed_on=TODAY, relation=sister)
    ended, _changed = circle_actions.do_add_to_circle(
        access, role="informed", agreed_on=TODAY, professional=pharmacist
    )
    circle_actions.do_end_circle_member(access, ended)

    project = project_actions.do_open_project(access, next_review_on=IN_A_WEEK)
    project_actions.do_add_problematique(
        access,
        project,
        title="Logement",
        understanding="Hébergée chez sa sœur",
        person_words="Je veux un chez-moi",
    )
    goal = project_actions.do_add_goal(
        access,
        project,
        words="Trouver un logement",
        agreement="agrees",
        person_view="C'est le plus urgent",
        review_on=IN_A_WEEK,
    )
    reached = project_actions.do_add_goal(
        access, project, words="Ouvrir ses droits", proposed_by="member"
    )
    project_actions.do_goal_status(access, reached, "reached")
    project_actions.do_add_action(
        access,
        project,
        description="Appeler le bailleur",
        owner_kind="member",
        owner_member=doctor,
        due_on=IN_A_WEEK,
        goal=goal,
    )
    project_actions.do_add_action(
        access, project, description="Rassembler les papiers", owner_kind="person"
    )

    to_dentist = referral_actions.do_propose_referral(
        access, to_service=dentist, reason="Douleur dentaire", wishes="Un samedi"
    )
    to_pharmacist = referral_actions.do_propose_referral(
        access, to_professional=pharmacist, reason="Conciliation"
    )
    referral_actions.do_advance_referral(access, to_pharmacist, "not_done", note="Refus")
    to_social = referral_actions.do_propose_referral(
        access, to_member=social, reason="Droits", documents="Avis d'imposition"
    )
    for step in ("agreed", "sent"):
        referral_actions.do_advance_referral(access, to_social, step)

    task = task_actions.do_create_task(
        doctor,
        title="Rappeler le bailleur",
        details="Demander le dossier",
        assignees=[doctor, social],
        due_on=IN_A_WEEK,
        access=access,
        referral=to_dentist,
        project=project,
    )
    loose = task_actions.do_create_task(reception, title="Commander du papier", assignees=[social])
    return SimpleNamespace(
        access=access,
        sister=sister,
        project=project,
        goal=goal,
        reached=reached,
        to_dentist=to_dentist,
        to_pharmacist=to_pharmacist,
        to_social=to_social,
        task=task,
        loose=loose,
        someone_else=make_person(birth_name="AUTRE", given_names="Jean"),
    )


def ids(resources):
    return {r["id"] for r in resources}


def read_events(person, since_pk=0):
    return AccessEvent.objects.filter(
        person=person,
        pk__gt=since_pk,
        action="read",
        reason="fhir",
        section=Section.COORDINATION,
    )


# --- CareTeam ---------------------------------------------------------------------------------


def test_care_team_read(fhir_doctor, situation, person, doctor, social, dentist, pharmacist):
    team = fhir_doctor.read(f"CareTeam/{person.pk}")
    assert team["status"] == "active" and team["subject"]["reference"] == f"Patient/{person.pk}"
    assert team["period"]["start"] and team["name"].endswith(person.display_name)
    members = [
        (p["member"].get("reference"), p["role"][0]["coding"][0]["code"], p["period"].get("end"))
        for p in team["participant"]
    ]
    assert (f"PractitionerRole/{doctor.pk}", "referent", None) in members
    assert (f"PractitionerRole/{social.pk}", "member", None) in members  # joined the team
    assert (f"PractitionerRole/{social.pk}", "contributor", None) in members
    org = f"Organization/org-{dentist.organisation_id}"
    assert (org, "informed", None) in members
    assert (f"RelatedPerson/{situation.sister.pk}", "coordinator", None) in members
    [ended] = [m for m in members if m[0] == f"Practitioner/pro-{pharmacist.pk}"]
    assert ended[2] is not None  # left the circle: its period ends
    service = next(p for p in team["participant"] if p["member"].get("reference") == org)
    assert dentist.nom in service["member"]["display"]
    assert read_events(person).exists()


def test_care_team_search(fhir_doctor, situation, person, doctor, social, pharmacist, dentist):
    everyone = {str(person.pk), str(situation.someone_else.pk)}
    assert ids(fhir_doctor.search("CareTeam")) == everyone
    assert ids(fhir_doctor.search("CareTeam", patient=person.pk)) == {str(person.pk)}
    assert ids(fhir_doctor.search("CareTeam", subject=f"Patient/{person.pk}")) == {str(person.pk)}
    assert ids(fhir_doctor.search("CareTeam", _id=situation.someone_else.pk)) == {
        str(situation.someone_else.pk)
    }
    by_member = fhir_doctor.search("CareTeam", participant=f"PractitionerRole/{social.pk}")
    assert ids(by_member) == {str(person.pk)}
    assert ids(fhir_doctor.search("CareTeam", participant=f"Practitioner/pro-{pharmacist.pk}"))
    assert ids(fhir_doctor.search("CareTeam", **{"participant:RelatedPerson": situation.sister.pk}))
    assert fhir_doctor.search(
        "CareTeam", **{"participant:Organization": f"org-{dentist.organisation_id}"}
    )
    assert not fhir_doctor.search("CareTeam", participant="PractitionerRole/999999")
    # The type is named in the value or by the modifier; a value naming another type than
    # the modifier matches nothing; a type a circle cannot hold is refused.
    assert ids(fhir_doctor.search("CareTeam", participant=f"RelatedPerson/{situation.sister.pk}"))
    assert ids(
        fhir_doctor.search("CareTeam", participant=f"Organization/org-{dentist.organisation_id}")
    )
    assert not fhir_doctor.search(
        "CareTeam", **{"participant:RelatedPerson": f"PractitionerRole/{social.pk}"}
    )
    assert fhir_doctor.get("CareTeam", participant="Patient/1").status_code == 400
    assert ids(fhir_doctor.search("CareTeam", status="active")) == everyone
    assert not fhir_doctor.search("CareTeam", status="inactive")


def test_care_team_outsiders_and_the_person(
    fhir_other, fhir_anonymous, fhir_person, situation, person
):
    assert fhir_other.get(f"CareTeam/{person.pk}").status_code == 404
    assert fhir_other.search("CareTeam") == []
    assert fhir_anonymous.get("CareTeam").status_code == 401
    assert fhir_anonymous.get(f"CareTeam/{person.pk}").status_code == 401
    mine = fhir_person.read(f"CareTeam/{person.pk}")
    assert len(mine["participant"]) >= 5
    assert ids(fhir_person.search("CareTeam")) == {str(person.pk)}
    assert fhir_person.get(f"CareTeam/{situation.someone_else.pk}").status_code == 404


def test_a_refused_section_hides_the_circle(situation, person, doctor, person_user):
    from maillage.record.actions import do_record_choice

    do_record_choice(
        person, kind="refuse", section=Section.COORDINATION, user=person_user, member=doctor
    )
    client = fhir_as(doctor)
    assert client.get(f"CareTeam/{person.pk}").status_code == 404
    assert client.get(f"CarePlan/{situation.project.pk}").status_code == 404
    assert client.get(f"ServiceRequest/{situation.to_dentist.pk}").status_code == 404
    # The task about the person is hidden; the one about no one stays.
    assert ids(client.search("Task")) == {str(situation.loose.pk)}


# --- CarePlan and Goal --------------------------------------------------------------------------


def test_care_plan_read_and_include(fhir_doctor, situation, person, doctor):
    plan = fhir_doctor.read(f"CarePlan/{situation.project.pk}")
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["subject"]["reference"] == f"Patient/{person.pk}"
    assert plan["author"]["reference"] == f"PractitionerRole/{doctor.pk}"
    assert plan["description"] == "Logement"
    assert plan["careTeam"][0]["reference"] == f"CareTeam/{person.pk}"
    assert {g["reference"] for g in plan["goal"]} == {
        f"Goal/{situation.goal.pk}",
        f"Goal/{situation.reached.pk}",
    }
    call, papers = (a["detail"] for a in plan["activity"])
    assert call["status"] == "not-started" and call["kind"] == "Task"
    assert call["performer"][0]["reference"] == f"PractitionerRole/{doctor.pk}"
    assert call["scheduledPeriod"]["end"] == IN_A_WEEK.isoformat()
    assert call["goal"][0]["reference"] == f"Goal/{situation.goal.pk}"
    assert papers["performer"][0]["reference"] == f"Patient/{person.pk}"
    assert any("Je veux un chez-moi" in n["text"] for n in plan["note"])
    since = AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    found = fhir_doctor.search("CarePlan", patient=person.pk, _include="CarePlan:goal")
    assert [r["resourceType"] for r in found] == ["CarePlan", "Goal", "Goal"]
    assert read_events(person, since).exists()


def test_care_plan_search(fhir_doctor, situation, person, doctor):
    project = situation.project
    assert ids(fhir_doctor.search("CarePlan", subject=f"Patient/{person.pk}")) == {str(project.pk)}
    assert not fhir_doctor.search("CarePlan", patient=situation.someone_else.pk)
    assert ids(fhir_doctor.search("CarePlan", status="active")) == {str(project.pk)}
    assert not fhir_doctor.search("CarePlan", status="completed")
    assert fhir_doctor.search("CarePlan", date=TODAY.isoformat())
    assert fhir_doctor.search("CarePlan", date=f"ge{IN_A_WEEK.isoformat()}")  # still living
    assert not fhir_doctor.search("CarePlan", date=f"lt{TODAY.isoformat()}")
    project_actions.do_close_project(situation.access, project, reason="Déménagement")
    # Closed with a goal still in progress: stopped before it was settled.
    [closed] = fhir_doctor.search("CarePlan", status="revoked")
    assert closed["period"]["end"] and any("Déménagement" in n["text"] for n in closed["note"])
    assert not fhir_doctor.search("CarePlan", date=f"gt{IN_A_WEEK.isoformat()}")


def test_goal_read_and_search(fhir_doctor, situation, person, doctor):
    goal = fhir_doctor.read(f"Goal/{situation.goal.pk}")
    assert goal["lifecycleStatus"] == "active"
    assert goal["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert goal["description"]["text"] == "Trouver un logement"
    assert goal["expressedBy"]["reference"] == f"Patient/{person.pk}"
    assert goal["target"][0]["dueDate"] == IN_A_WEEK.isoformat()
    assert goal["statusDate"] == TODAY.isoformat()
    notes = [n["text"] for n in goal["note"]]
    assert "C'est le plus urgent" in notes and len(notes) == 2  # agreement and view
    reached = fhir_doctor.read(f"Goal/{situation.reached.pk}")
    assert reached["lifecycleStatus"] == "completed"
    assert reached["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert reached["expressedBy"]["reference"] == f"PractitionerRole/{doctor.pk}"
    assert reached["statusDate"] == TODAY.isoformat()

    both = {str(situation.goal.pk), str(situation.reached.pk)}
    assert ids(fhir_doctor.search("Goal", patient=person.pk)) == both
    assert ids(fhir_doctor.search("Goal", subject=f"Patient/{person.pk}")) == both
    assert not fhir_doctor.search("Goal", patient=situation.someone_else.pk)
    assert ids(fhir_doctor.search("Goal", **{"lifecycle-status": "completed"})) == {
        str(situation.reached.pk)
    }
    assert not fhir_doctor.search("Goal", **{"lifecycle-status": "cancelled"})
    assert ids(fhir_doctor.search("Goal", **{"achievement-status": "in-progress"})) == {
        str(situation.goal.pk)
    }
    assert not fhir_doctor.search("Goal", **{"achievement-status": "not-achieved"})


def test_project_outsiders_and_the_person(
    fhir_other, fhir_anonymous, fhir_person, situation, person
):
    project, goal = situation.project, situation.goal
    assert fhir_other.get(f"CarePlan/{project.pk}").status_code == 404
    assert fhir_other.get(f"Goal/{goal.pk}").status_code == 404
    assert fhir_other.search("CarePlan") == [] and fhir_other.search("Goal") == []
    assert fhir_anonymous.get("CarePlan").status_code == 401
    assert fhir_anonymous.get(f"Goal/{goal.pk}").status_code == 401
    assert fhir_person.read(f"CarePlan/{project.pk}")["id"] == str(project.pk)
    assert len(fhir_person.search("Goal")) == 2
    assert AccessEvent.objects.filter(
        person=person, actor_member__isnull=True, reason="fhir", section=Section.COORDINATION
    ).exists()


# --- Task -----------------------------------------------------------------------------------------


def test_task_read(fhir_doctor, situation, person, doctor, social):
    task = fhir_doctor.read(f"Task/{situation.task.pk}")
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["description"] == "Rappeler le bailleur"
    assert task["for"]["reference"] == f"Patient/{person.pk}"
    # The owner is the first assignee by name; the others are recipients.
    owner = {"docteur": doctor, "sophie": social}
    first, second = sorted(owner.values(), key=lambda m: (m.user.last_name, m.user.first_name))
    assert task["owner"]["reference"] == f"PractitionerRole/{first.pk}"
    assert task["restriction"]["recipient"][0]["reference"] == f"PractitionerRole/{second.pk}"
    assert task["restriction"]["period"]["end"] == IN_A_WEEK.isoformat()
    assert task["basedOn"][0]["reference"] == f"ServiceRequest/{situation.to_dentist.pk}"
    assert task["focus"]["reference"] == f"CarePlan/{situation.project.pk}"
    assert task["note"][0]["text"] == "Demander le dossier"
    assert read_events(person).exists()


def test_task_search(fhir_doctor, situation, person, doctor, social):
    both = {str(situation.task.pk), str(situation.loose.pk)}
    assert ids(fhir_doctor.search("Task")) == both  # a GP sees the team's tasks
    assert ids(fhir_doctor.search("Task", patient=person.pk)) == {str(situation.task.pk)}
    assert ids(fhir_doctor.search("Task", subject=f"Patient/{person.pk}")) == {
        str(situation.task.pk)
    }
    assert not fhir_doctor.search("Task", patient=situation.someone_else.pk)
    assert ids(fhir_doctor.search("Task", owner=f"PractitionerRole/{social.pk}")) == both
    assert ids(fhir_doctor.search("Task", owner=f"Practitioner/{doctor.pk}")) == {
        str(situation.task.pk)
    }
    assert ids(fhir_doctor.search("Task", status="requested")) == both
    assert not fhir_doctor.search("Task", status="completed")
    assert ids(fhir_doctor.search("Task", **{"authored-on": TODAY.isoformat()})) == both
    assert not fhir_doctor.search("Task", **{"authored-on": f"lt{TODAY.isoformat()}"})
    found = fhir_doctor.search("Task", _include="Task:patient")
    assert sorted(r["resourceType"] for r in found) == ["Patient", "Task", "Task"]


def test_task_visibility(
    fhir_reception, fhir_other, fhir_anonymous, fhir_person, situation, interpreter
):
    both = {str(situation.task.pk), str(situation.loose.pk)}
    assert ids(fhir_reception.search("Task")) == both  # reception reads coordination
    # An interpreter does not see the team's tasks: only those assigned to them.
    fhir_interpreter = fhir_as(interpreter)
    assert fhir_interpreter.search("Task") == []
    assert fhir_interpreter.get(f"Task/{situation.loose.pk}").status_code == 404
    mine = task_actions.do_create_task(interpreter, title="Traduire", assignees=[interpreter])
    assert ids(fhir_interpreter.search("Task")) == {str(mine.pk)}
    assert fhir_other.get(f"Task/{situation.task.pk}").status_code == 404
    assert fhir_other.search("Task") == []
    assert fhir_anonymous.get("Task").status_code == 401
    # The team's work lists are not shown in the person's own space.
    assert fhir_person.search("Task") == []


def new_task(person, owner, *recipients, **more):
    resource = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "description": "Appeler la CPAM",
        "for": {"reference": f"Patient/{person.pk}"},
        "owner": {"reference": f"PractitionerRole/{owner.pk}"},
        "restriction": {
            "period": {"end": IN_A_WEEK.isoformat()},
            "recipient": [{"reference": f"PractitionerRole/{m.pk}"} for m in recipients],
        },
        "note": [{"text": "Pour la complémentaire"}],
        "priority": "urgent",
    }
    resource.update(more)
    return resource


def test_task_create_and_status_round_trip(fhir_doctor, situation, person, doctor, social):
    response = fhir_doctor.post("Task", new_task(person, doctor, social))
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    task = Task.objects.get(pk=created["id"])
    assert set(task.assignees.all()) == {doctor, social} and task.person == person
    assert task.due_on == IN_A_WEEK and task.details == "Pour la complémentaire"
    assert AccessEvent.objects.filter(person=person, action="create", object_id=str(task.pk))
    read = fhir_doctor.read(f"Task/{task.pk}")
    assert read["priority"] == "urgent"  # kept beside the row

    done = dict(read, status="completed", statusReason={"text": "Appel passé"})
    response = fhir_doctor.put(f"Task/{task.pk}", done)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "completed"
    task.refresh_from_db()
    assert task.status == "done" and task.done_note == "Appel passé" and task.done_by == doctor

    reopened = dict(fhir_doctor.read(f"Task/{task.pk}"), status="requested")
    reopened.pop("statusReason")
    assert fhir_doctor.put(f"Task/{task.pk}", reopened).status_code == 200
    task.refresh_from_db()
    assert task.status == "open"


def test_task_writes_refused(fhir_doctor, fhir_reception, situation, person, doctor, partner):
    # Reception reads the coordination section but does not write in it.
    response = fhir_reception.post("Task", new_task(person, doctor))
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert fhir_as(partner).post("Task", new_task(person, doctor)).status_code == 403
    assert fhir_as(doctor, ("read",)).post("Task", new_task(person, doctor)).status_code == 403
    # Only the status changes after the task is created.
    read = fhir_doctor.read(f"Task/{situation.task.pk}")
    response = fhir_doctor.put(f"Task/{situation.task.pk}", dict(read, description="Autre"))
    assert response.status_code == 422
    assert "Task.description" in response.json()["issue"][0]["diagnostics"]
    # Cancelling says why.
    response = fhir_doctor.put(f"Task/{situation.task.pk}", dict(read, status="cancelled"))
    assert response.status_code == 422
    assert Task.objects.get(pk=situation.task.pk).status == "open"
    response = fhir_doctor.put(
        f"Task/{situation.task.pk}",
        dict(read, status="cancelled", statusReason={"text": "Plus utile"}),
    )
    assert response.status_code == 200
    response = fhir_doctor.put(f"Task/{situation.task.pk}", dict(read, status="requested"))
    assert response.status_code == 422  # a cancelled task is not reopened


def test_task_bad_input(fhir_doctor, situation, person, doctor, other_member):
    no_owner = new_task(person, doctor)
    no_owner.pop("owner")
    response = fhir_doctor.post("Task", no_owner)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Task.owner"]
    past = new_task(person, doctor)
    past["restriction"]["period"]["end"] = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert fhir_doctor.post("Task", past).status_code == 422
    assert fhir_doctor.post("Task", new_task(person, other_member)).status_code == 422
    assert fhir_doctor.post("Task", new_task(person, doctor, status="completed")).status_code == 422
    foreign = new_task(person, doctor, basedOn=[{"reference": "ServiceRequest/999999"}])
    assert fhir_doctor.post("Task", foreign).status_code == 422
    response = fhir_doctor.post("Task", new_task(person, doctor, description=12))
    assert response.status_code == 400  # not a FHIR Task
    assert response.json()["resourceType"] == "OperationOutcome"
    # The official example is in progress and owned by an organisation: refused, said why.
    official = fhir_doctor.post("Task", pointing_to(example("Task-example1"), person.pk, "for"))
    assert official.status_code == 422
    assert official.json()["issue"][0]["expression"] == ["Task.status"]


# --- ServiceRequest ---------------------------------------------------------------------------


def test_service_request_read(fhir_doctor, situation, person, doctor, dentist, social):
    referral = fhir_doctor.read(f"ServiceRequest/{situation.to_dentist.pk}")
    assert referral["status"] == "draft" and referral["intent"] == "order"
    assert referral["subject"]["reference"] == f"Patient/{person.pk}"
    assert referral["requester"]["reference"] == f"PractitionerRole/{doctor.pk}"
    assert referral["performer"][0]["reference"] == f"HealthcareService/{dentist.pk}"
    assert referral["reasonCode"][0]["text"] == "Douleur dentaire"
    notes = {n["id"]: n["text"] for n in referral["note"]}
    assert notes["wishes"] == "Un samedi" and any(k.startswith("step-") for k in notes)
    closed = fhir_doctor.read(f"ServiceRequest/{situation.to_pharmacist.pk}")
    assert closed["status"] == "revoked"
    assert {n["id"]: n["text"] for n in closed["note"]}["closing-reason"] == "Refus"
    sent = fhir_doctor.read(f"ServiceRequest/{situation.to_social.pk}")
    assert sent["status"] == "active"
    assert sent["performer"][0]["reference"] == f"PractitionerRole/{social.pk}"
    assert len([n for n in sent["note"] if n["id"].startswith("step-")]) == 3
    assert read_events(person).exists()


def test_service_request_search(
    fhir_doctor, situation, person, doctor, social, pharmacist, dentist
):
    three = {
        str(r.pk) for r in (situation.to_dentist, situation.to_pharmacist, situation.to_social)
    }
    assert ids(fhir_doctor.search("ServiceRequest", patient=person.pk)) == three
    assert ids(fhir_doctor.search("ServiceRequest", subject=f"Patient/{person.pk}")) == three
    assert not fhir_doctor.search("ServiceRequest", patient=situation.someone_else.pk)
    assert ids(fhir_doctor.search("ServiceRequest", status="active")) == {
        str(situation.to_social.pk)
    }
    assert ids(fhir_doctor.search("ServiceRequest", status="revoked,draft")) == {
        str(situation.to_pharmacist.pk),
        str(situation.to_dentist.pk),
    }
    assert not fhir_doctor.search("ServiceRequest", status="completed")
    assert ids(fhir_doctor.search("ServiceRequest", authored=TODAY.isoformat())) == three
    assert not fhir_doctor.search("ServiceRequest", authored=f"gt{TODAY.isoformat()}")
    assert (
        ids(fhir_doctor.search("ServiceRequest", requester=f"PractitionerRole/{doctor.pk}"))
        == three
    )
    assert not fhir_doctor.search("ServiceRequest", requester=f"PractitionerRole/{social.pk}")
    assert ids(fhir_doctor.search("ServiceRequest", performer=f"PractitionerRole/{social.pk}")) == {
        str(situation.to_social.pk)
    }
    assert ids(
        fhir_doctor.search("ServiceRequest", performer=f"Practitioner/pro-{pharmacist.pk}")
    ) == {str(situation.to_pharmacist.pk)}
    assert ids(
        fhir_doctor.search("ServiceRequest", **{"performer:HealthcareService": dentist.pk})
    ) == {str(situation.to_dentist.pk)}
    assert ids(
        fhir_doctor.search("ServiceRequest", performer=f"HealthcareService/{dentist.pk}")
    ) == {str(situation.to_dentist.pk)}
    assert not fhir_doctor.search("ServiceRequest", performer=f"PractitionerRole/{doctor.pk}")


def test_service_request_outsiders_and_the_person(
    fhir_other, fhir_anonymous, fhir_person, situation, person
):
    assert fhir_other.get(f"ServiceRequest/{situation.to_dentist.pk}").status_code == 404
    assert fhir_other.search("ServiceRequest") == []
    assert fhir_anonymous.get("ServiceRequest").status_code == 401
    assert len(fhir_person.search("ServiceRequest")) == 3


def new_referral(person, performer, **more):
    resource = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{person.pk}"},
        "performer": [{"reference": performer}],
        "reasonCode": [{"text": "Bilan social"}],
        "note": [
            {"id": "wishes", "text": "Le matin"},
            {"id": "documents", "text": "Carte vitale"},
            {"text": "Une remarque d'un autre système"},
        ],
    }
    resource.update(more)
    return resource


def test_service_request_create(fhir_doctor, situation, person, doctor, social, pharmacist):
    response = fhir_doctor.post(
        "ServiceRequest", new_referral(person, f"PractitionerRole/{social.pk}")
    )
    assert response.status_code == 201, response.content.decode()
    created = response.json()
    referral = Referral.objects.get(pk=created["id"])
    assert referral.to_member == social and referral.created_by == doctor
    assert (referral.reason, referral.wishes, referral.documents) == (
        "Bilan social",
        "Le matin",
        "Carte vitale",
    )
    assert referral.status == "proposed" and referral.events.count() == 1
    assert AccessEvent.objects.filter(person=person, action="create", object_id=str(referral.pk))
    read = fhir_doctor.read(f"ServiceRequest/{referral.pk}")
    assert read["status"] == "draft"
    assert "Une remarque d'un autre système" in [n["text"] for n in read["note"]]
    to_pro = fhir_doctor.post(
        "ServiceRequest", new_referral(person, f"Practitioner/pro-{pharmacist.pk}")
    )
    assert to_pro.status_code == 201
    assert Referral.objects.get(pk=to_pro.json()["id"]).to_professional == pharmacist


def test_service_request_writes_refused(fhir_reception, fhir_doctor, situation, person, social):
    response = fhir_reception.post(
        "ServiceRequest", new_referral(person, f"PractitionerRole/{social.pk}")
    )
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    assert (
        fhir_doctor.put(
            f"ServiceRequest/{situation.to_dentist.pk}",
            new_referral(person, f"PractitionerRole/{social.pk}", id=str(situation.to_dentist.pk)),
        ).status_code
        == 405
    )


def test_service_request_bad_input(fhir_doctor, situation, person, social, other_member):
    before = Referral.objects.count()
    no_reason = new_referral(person, f"PractitionerRole/{social.pk}")
    no_reason.pop("reasonCode")
    response = fhir_doctor.post("ServiceRequest", no_reason)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["ServiceRequest.reasonCode"]
    two = new_referral(person, f"PractitionerRole/{social.pk}")
    two["performer"].append({"reference": "HealthcareService/1"})
    assert fhir_doctor.post("ServiceRequest", two).status_code == 422
    elsewhere = new_referral(person, f"PractitionerRole/{other_member.pk}")
    assert fhir_doctor.post("ServiceRequest", elsewhere).status_code == 422
    active = new_referral(person, f"PractitionerRole/{social.pk}", status="active")
    assert fhir_doctor.post("ServiceRequest", active).status_code == 422
    unknown = new_referral(situation.someone_else, f"PractitionerRole/{social.pk}")
    unknown["subject"] = {"reference": "Patient/999999"}
    assert fhir_doctor.post("ServiceRequest", unknown).status_code == 422
    official = pointing_to(example("ServiceRequest-example"), person.pk, "subject")
    response = fhir_doctor.post("ServiceRequest", official)
    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"
    assert Referral.objects.count() == before


def test_searches_take_a_bounded_number_of_queries(fhir_doctor, situation, person, doctor, social):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    searches = ("CareTeam", "CarePlan", "Goal", "Task", "ServiceRequest")

    def counts():
        found = {}
        for name in searches:
            with CaptureQueriesContext(connection) as queries:
                fhir_doctor.search(name)
            found[name] = len(queries)
        return found

    counts()  # the token's first use is written down once
    before = counts()
    access = situation.access
    project_actions.do_add_goal(access, situation.project, words="Voir un dentiste")
    project_actions.do_add_action(
        access,
        situation.project,
        description="Prendre rendez-vous",
        owner_kind="member",
        owner_member=social,
    )
    referral_actions.do_propose_referral(access, to_member=social, reason="Encore")
    task_actions.do_create_task(doctor, title="Encore", assignees=[social], access=access)
    do_add_to_care_team(doctor, situation.someone_else, social)
    assert counts() == before


def test_the_capability_statement_lists_them(fhir_anonymous):
    statement = fhir_anonymous.read("metadata")
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    params = {
        name: {p["name"] for p in resources[name]["searchParam"]}
        for name in ("CareTeam", "CarePlan", "Goal", "Task", "ServiceRequest")
    }
    assert {"patient", "subject", "participant", "status"} <= params["CareTeam"]
    assert {"patient", "status", "date"} <= params["CarePlan"]
    assert {"lifecycle-status", "achievement-status"} <= params["Goal"]
    assert {"owner", "authored-on", "status"} <= params["Task"]
    assert {"authored", "requester", "performer"} <= params["ServiceRequest"]
    assert resources["CarePlan"]["searchInclude"] == ["CarePlan:goal"]
    interactions = {i["code"] for i in resources["Task"]["interaction"]}
    assert {"create", "update"} <= interactions
    assert "update" not in {i["code"] for i in resources["ServiceRequest"]["interaction"]}
