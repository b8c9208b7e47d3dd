"""Generated from the URL configuration: every view and endpoint, tried as every role of a
centre, as a deactivated member, as a member of another structure, as the person
themself, as an account with no structure and as an anonymous visitor. It fails on any
leak.

A distinctive marker is written in every section of a person's record, through the
applications' own actions, and others in the record of a person of another structure.
What each caller may read is not listed here: it is computed from the access policy
(``core.access``: ``record_access``, ``persons_readable_by``, ``persons_for_member``,
``can``), so that the test follows the policy. The person's choices (refusals to a role
and to a named member, a grant to an external partner) and an emergency access are part
of the world, so they are checked too. Then, for every route (one test per route and
variant of its URL values: the other structure's person, other entries and appointments,
a query string naming the person):

- GET as each caller, with the member's token on the API and FHIR (and their session,
  which FHIR refuses to members): no marker the caller may not read is in the answer or
  its headers (PDF streams inflated); anonymous visitors and accounts with no structure
  get only refusals (302 to the sign-in page, 401, 403, 404, 405), public pages aside.
- POST with an empty form and a CSRF token, as each caller who must not write (anonymous,
  no structure, another structure, deactivated, the person on the team's pages, observer,
  partner, interpreter): a refusal or the form's errors, no row created (every table but
  the access log, sign-in attempts and sessions) and no write in the access log.

What the policy lets through, each decided by it rather than listed (``may_read``):

- An interpreter reads the encounters they took part in, minus what the person refused
  to them (ACCESS.md, the interpreter's row: ``RecordAccess.reads_as_participant``).
- The members an appointment holds, its interpreter included, read its reason, notes and
  cancellation reason; so do those who read the person's coordination section, and, for
  someone not registered yet, those who may book (docs/access-matrix.md, Appointments).
- A member who opened the record in an emergency reads what their role reads despite a
  refusal (ACCESS.md, Break-glass: ``record_access`` says so).
- Identity and contact: every team role of the person's structure, and an external
  partner the person granted a section to (``persons_readable_by``). The person's sharing
  choices: the structure's team, a partner those naming them (as FHIR ``Consent``).
- The person reads everything written about them but what concerns a third party
  (ACCESS.md, Exceptions): their choices restrict the team, not themself.
- A member may create rows of their own that concern no person, such as an address for
  their phone's calendar (``own_rows``).
- Public pages: signing in, the language, the health page (503 until the worker reports),
  the API and FHIR descriptions, accepting an invitation to the team or to one's space.
"""

from __future__ import annotations

import base64
import datetime
import inspect
import itertools
import re
import shutil
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from maillage.agenda import actions as agenda_actions
from maillage.agenda.models import Interpreting, Room
from maillage.coordination.actions import meetings as meeting_actions
from maillage.coordination.actions import projects as project_actions
from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions import requests as request_actions
from maillage.coordination.actions import tasks as task_actions
from maillage.coordination.actions.circle import do_add_to_circle
from maillage.core import tokens
from maillage.core.access import can, persons_for_member, persons_readable_by, record_access
from maillage.core.actions import do_deactivate_member, do_set_export_right
from maillage.core.models import AccessEvent, Member, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.fhir import export
from maillage.fhir.registry import REGISTRY
from maillage.people.actions import do_add_relation, do_mark_arrived, do_register_person
from maillage.people.models import Person
from maillage.record import actions as record_actions
from maillage.rights import actions as rights_actions
from maillage.rights.models import RightKind, RightStatus
from tests.conftest import MARIE_DUPONT, make_member, national_catalogue
from tests.core.routes import (
    OWN_SPACE_PREFIXES,
    PUBLIC_PREFIXES,
    REFUSED,
    all_routes,
    fill,
    parameters,
    url_values,
)
from tests.record.files import remove_stored_documents, tiny_pdf

S = Section
CENTRE, OTHER = "centre", "other"

# --- The callers ------------------------------------------------------------------------

# Every role of the centre (a community health centre: one care team), and a second GP the
# person refused a section to by name.
TEAM: dict[str, tuple[str, str]] = {
    "reception": (Role.RECEPTION, "accueillant"),
    "gp": (Role.GP, "medecin_generaliste"),
    "gp_refused": (Role.GP, "medecin_generaliste"),
    "nurse": (Role.NURSE, "infirmier"),
    "midwife": (Role.MIDWIFE, "sage_femme"),
    "physiotherapist": (Role.PHYSIOTHERAPIST, "kinesitherapeute"),
    "other_clinician": (Role.OTHER_CLINICIAN, "dieteticien"),
    "psychologist": (Role.PSYCHOLOGIST, "psychologue"),
    "social_worker": (Role.SOCIAL_WORKER, "assistant_service_social"),
    "legal_adviser": (Role.LEGAL_ADVISER, "conseiller_juridique"),
    "mediator": (Role.MEDIATOR, "mediateur_sante"),
    "coordinator": (Role.COORDINATOR, "coordinateur"),
    "interpreter": (Role.INTERPRETER, "interprete"),
    "admin": (Role.ADMIN, "directeur"),
    "partner": (Role.PARTNER, "autre"),
    "observer": (Role.NETWORK_OBSERVER, "autre"),
}
# A GP of the centre deactivated after signing in and making a token: sees nothing.
DEACTIVATED = "gp_deactivated"
CALLERS = ("anonymous", "outsider", "person_user", "other_member", *TEAM, DEACTIVATED)
# Who must not write: those who read at most (observer, partner, interpreter), anyone of
# another structure or of none, and the person on the team's pages.
NON_WRITERS = frozenset(
    {
        "anonymous",
        "outsider",
        "other_member",
        "person_user",
        "observer",
        "partner",
        "interpreter",
        DEACTIVATED,
    }
)
# Pages anyone may open besides those of ``PUBLIC_PREFIXES``: activating one's own space
# with the code or the link of an invitation (portal/invite_views.py: "Person side, public").
PUBLIC = (*PUBLIC_PREFIXES, "mon-espace/activer")


@dataclass(frozen=True)
class Marker:
    """A distinctive text written in one section of one person's record."""

    text: str
    owner: str  # CENTRE or OTHER
    section: str  # a Section, or "" for identity and contact
    # Where a reader the policy allows finds it: (route name, reader, variant of the URL).
    shown: tuple[tuple[str, ...], ...]
    third_party: bool = False
    # Members who took part in the encounter it was written in: an interpreter reads
    # those entries (RecordAccess.reads_as_participant), minus what the person refused.
    took_part: tuple[str, ...] = ()
    # Members an appointment holds: they read its reason and notes for reception.
    held_by: tuple[str, ...] = ()
    # The note of a sharing choice: the structure's team reads the person's choices, an
    # external partner those that name them (``named``).
    choice: bool = False
    named: str = ""
    # Written for someone not registered yet (no record): who may book reads it.
    unregistered: bool = False


@dataclass
class World:
    members: dict[str, Member]
    users: dict[str, User]
    persons: dict[str, Person]
    markers: list[Marker]
    values: dict[str, dict[str, object]]  # URL values, by variant
    sessions: dict[str, str] = field(default_factory=dict)
    bearer: dict[str, str] = field(default_factory=dict)
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)
    fhir_ids: dict[str, list[str]] = field(default_factory=dict)


# --- The world: a centre, a person with a marker in every section, another structure ----


def build_world() -> World:
    national_catalogue()
    now, today = timezone.now(), timezone.localdate()
    centre = Structure.objects.create(name="Centre A", kind=StructureKind.CENTRE, is_care_team=True)
    elsewhere = Structure.objects.create(name="Centre B", kind=StructureKind.CENTRE)
    m = {name: make_member(centre, name, role, job) for name, (role, job) in TEAM.items()}
    m[DEACTIVATED] = make_member(centre, DEACTIVATED, Role.GP, "medecin_generaliste")
    m["other_member"] = make_member(elsewhere, "bob", Role.RECEPTION)
    m["other_gp"] = make_member(elsewhere, "bgp", Role.GP, "medecin_generaliste")
    m["other_social"] = make_member(elsewhere, "bsocial", Role.SOCIAL_WORKER, "autre")
    # The administrator exports in bulk; so does the nurse, given the right (ADR 0010).
    do_set_export_right(m["admin"], m["nurse"], may_export=True)
    outsider = User.objects.create_user(username="charlie", password="pw-charlie")
    person_user = User.objects.create_user(username="marie", password="pw-marie")
    markers: list[Marker] = []

    def mark(what: str, section: str, *shown: tuple[str, ...], **more: Any) -> str:
        owner = more.pop("owner", CENTRE)
        text = f"MARQUEUR-{what}-7f3" if owner == CENTRE else f"AUTRE-{what}-b21"
        markers.append(Marker(text, owner, section, shown, **more))
        return text

    # The person of centre A, and another person of centre A (duplicates, merge).
    person = do_register_person(
        m["reception"],
        {
            **MARIE_DUPONT,
            # The name the person uses: shown wherever the person is named.
            "used_name": mark(
                "IDENTITE", "", ("people:detail", "reception"), ("portal:home", "person_user")
            ),
        },
    )
    person.user = person_user
    person.save(update_fields=["user"])
    durand = do_register_person(
        m["reception"],
        {"birth_name": "DURAND", "given_names": "Jean", "sex": "M", "birth_year": 1970},
    )
    relation = do_add_relation(
        m["reception"], person, {"kind": "friend", "name": "Ami", "team_may_contact": True}
    )
    visit = do_mark_arrived(m["reception"], person)
    referent = record_actions.do_add_to_care_team(
        m["coordinator"], person, m["coordinator"], referent=True
    )
    timeline = ("record:timeline", "gp")
    mine = ("portal:record", "person_user")

    # Clinical: an encounter, an interpreted one, a note, a problem, a treatment,
    # documents, and what concerns a third party.
    gp = record_access(m["gp"], person)
    record_actions.do_record_encounter(
        gp,
        record_actions.EncounterInput(
            kind="consultation",
            section=S.CLINICAL,
            occurred_at=now - datetime.timedelta(days=3),
            reason=mark("CLINIQUE-MOTIF", S.CLINICAL, timeline, mine),
            note=mark("CLINIQUE-CONSULTATION", S.CLINICAL, timeline),
            observations=[record_actions.ObservationInput("weight", Decimal("61.5"))],
        ),
    )
    interpreted = ("record:entry", "interpreter", "encounter")
    encounter = record_actions.do_record_encounter(
        gp,
        record_actions.EncounterInput(
            kind="consultation",
            section=S.CLINICAL,
            occurred_at=now - datetime.timedelta(days=2),
            reason=mark("INTERPRETE-MOTIF", S.CLINICAL, interpreted, took_part=("interpreter",)),
            note=mark("INTERPRETE-NOTE", S.CLINICAL, interpreted, took_part=("interpreter",)),
            interpreter=m["interpreter"],
            interpreting_language="ar",
        ),
    )
    record_actions.do_add_note(
        gp, section=S.CLINICAL, text=mark("CLINIQUE", S.CLINICAL, timeline, mine)
    )
    record_actions.do_add_problem(gp, title=mark("CLINIQUE-PROBLEME", S.CLINICAL, timeline))
    record_actions.do_add_treatment(gp, text=mark("CLINIQUE-TRAITEMENT", S.CLINICAL, timeline))

    def document(access: Any, what: str, section: str, reader: str, variant: str, **more: Any):
        return record_actions.do_add_document(
            access,
            section=section,
            doc_type="letter",
            title=mark(what, section, ("record:documents", reader, variant), **more),
            content=tiny_pdf(
                mark(
                    f"{what}-FICHIER",
                    section,
                    ("record:document_download", reader, variant),
                    **more,
                )
            ),
            original_name=mark(
                f"{what}-NOM", section, ("record:document_download", reader, variant), **more
            )
            + ".pdf",
            content_type="application/pdf",
            concerns_third_party=more.get("third_party", False),
        )

    clinical_doc = document(gp, "CLINIQUE-DOC", S.CLINICAL, "gp", "")
    third_party_doc = document(
        gp, "TIERS-DOC", S.CLINICAL, "gp", "third-party-doc", third_party=True
    )
    record_actions.do_add_note(
        gp,
        section=S.CLINICAL,
        text=mark("TIERS-NOTE", S.CLINICAL, timeline, third_party=True),
        concerns_third_party=True,
    )
    # Mental health.
    psy = record_access(m["psychologist"], person)
    psy_timeline = ("record:timeline", "psychologist")
    record_actions.do_add_note(
        psy, section=S.MENTAL_HEALTH, text=mark("PSY", S.MENTAL_HEALTH, psy_timeline)
    )
    record_actions.do_add_problem(
        psy, section=S.MENTAL_HEALTH, title=mark("PSY-PROBLEME", S.MENTAL_HEALTH, psy_timeline)
    )
    # Social: a note, living conditions, a right, an application and its steps.
    social = record_access(m["social_worker"], person)
    rights = ("rights:overview", "social_worker")
    record_actions.do_add_note(
        social,
        section=S.SOCIAL,
        text=mark("SOCIAL", S.SOCIAL, ("record:timeline", "social_worker")),
    )
    rights_actions.do_record_living_conditions(
        social,
        today,
        {"housing": "hosted", "housing_details": mark("SOCIAL-LOGEMENT", S.SOCIAL, rights)},
    )
    kinds = {k.code: k for k in RightKind.objects.filter(structure=None)}
    right = rights_actions.do_add_right(
        social,
        rights_actions.RightInput(
            kind=kinds["css"],
            status=RightStatus.OPEN,
            starts_on=today - datetime.timedelta(days=300),
            ends_on=today + datetime.timedelta(days=30),
            reference=mark("SOCIAL-DROIT", S.SOCIAL, rights),
            notes=mark("SOCIAL-DROIT-NOTE", S.SOCIAL, ("rights:right_edit", "social_worker")),
        ),
    )
    application = rights_actions.do_open_application(social, kinds["rsa"], organisation="CAF")
    rights_actions.do_add_step(
        social,
        application,
        today,
        mark("SOCIAL-DEMARCHE", S.SOCIAL, ("rights:application", "social_worker")),
    )
    # Administrative: a note and a document.
    record_actions.do_add_note(
        social,
        section=S.ADMINISTRATIVE,
        text=mark("ADMIN", S.ADMINISTRATIVE, ("record:timeline", "reception"), mine),
    )
    admin_doc = document(social, "ADMIN-DOC", S.ADMINISTRATIVE, "reception", "admin-doc")
    # Coordination: a note, a request, a referral, the health project, the circle, a task,
    # a meeting's notes and decision, an appointment.
    coord = record_access(m["coordinator"], person)
    project_page = ("coordination:project", "coordinator")
    meeting_page = ("coordination:meeting", "coordinator")
    record_actions.do_add_note(
        coord,
        section=S.COORDINATION,
        text=mark("COORD", S.COORDINATION, ("record:timeline", "coordinator")),
    )
    # Two requests about the person: one waiting (the list shows it first), one in
    # triage, with what was heard at the first contact.
    request_page = ("coordination:request", "coordinator")
    for words, page in (("COORD-DEMANDE", "coordination:requests"), ("COORD-TRI", "")):
        request = request_actions.do_receive_request(
            m["coordinator"],
            concerns="registered",
            person=person,
            source="person",
            channel="desk",
            first_words=mark(
                words, S.COORDINATION, (page, "coordinator") if page else request_page
            ),
        )
    request_actions.do_first_contact(
        m["coordinator"],
        request,
        listening_notes=mark("COORD-ECOUTE", S.COORDINATION, request_page),
        at_stake=mark("COORD-ENJEU", S.COORDINATION, request_page),
    )
    referral = referral_actions.do_propose_referral(
        coord,
        to_member=m["gp"],
        reason=mark("COORD-ORIENTATION", S.COORDINATION, ("coordination:referral", "coordinator")),
    )
    project = project_actions.do_open_project(coord)
    problematique = project_actions.do_add_problematique(
        coord,
        project,
        title=mark(
            "COORD-PROBLEMATIQUE", S.COORDINATION, project_page, ("portal:project", "person_user")
        ),
        understanding=mark("COORD-COMPREHENSION", S.COORDINATION, project_page),
        person_words=mark("COORD-SES-MOTS", S.COORDINATION, project_page),
    )
    need = project_actions.do_add_need(
        coord,
        project,
        domain="health",
        description=mark("COORD-BESOIN", S.COORDINATION, project_page),
    )
    goal = project_actions.do_add_goal(
        coord,
        project,
        words=mark("COORD-OBJECTIF", S.COORDINATION, project_page),
        problematique=problematique,
    )
    action = project_actions.do_add_action(
        coord,
        project,
        goal=goal,
        description=mark("COORD-ACTION", S.COORDINATION, project_page),
        owner_kind="member",
        owner_member=m["coordinator"],
    )
    review = project_actions.do_add_review(
        coord, project, held_on=today, summary=mark("COORD-ETAPE", S.COORDINATION, project_page)
    )
    # The external partner is in the circle (which opens nothing by itself), the GP too.
    do_add_to_circle(coord, role="contributor", agreed_on=today, member=m["partner"])
    circle, _changed = do_add_to_circle(
        coord,
        role="contributor",
        agreed_on=today,
        member=m["gp"],
        note=mark("COORD-CERCLE", S.COORDINATION, ("coordination:circle", "coordinator")),
    )
    task_page = ("coordination:task", "coordinator")
    task = task_actions.do_create_task(
        m["coordinator"],
        title=mark("COORD-TACHE", S.COORDINATION, task_page, ("coordination:tasks", "gp", "query")),
        details=mark("COORD-TACHE-DETAIL", S.COORDINATION, task_page),
        assignees=[m["coordinator"]],
        access=coord,
    )
    meeting = meeting_actions.do_plan_meeting(
        m["coordinator"],
        kind="concertation",
        title="Concertation du jeudi",
        starts_at=now + datetime.timedelta(days=1),
    )
    attendees = meeting_actions.do_invite_members(
        m["coordinator"], meeting, [m["coordinator"], m["gp"]]
    )
    item = meeting_actions.do_add_situation(m["coordinator"], meeting, person, coord)
    meeting_actions.do_write_notes(
        m["coordinator"],
        item,
        mark(
            "COORD-REUNION",
            S.COORDINATION,
            meeting_page,
            ("coordination:meeting_minutes_pdf", "gp"),
        ),
        coord,
    )
    meeting_actions.do_record_decision(
        m["coordinator"],
        item,
        text=mark("COORD-DECISION", S.COORDINATION, meeting_page),
        outcome="task",
        assignees=[m["coordinator"]],
        access=coord,
    )
    room = Room.objects.create(structure=centre, name="Salle 1")
    # Appointments in the coming hour (today's agendas and desk list show them).
    soon = (now + datetime.timedelta(minutes=10)).replace(second=0, microsecond=0)
    held = {"held_by": ("gp", "interpreter")}
    appointment = agenda_actions.do_book_appointment(
        m["reception"],
        agenda_actions.Booking(
            kind="consultation",
            members=[m["gp"]],
            starts_at=soon,
            duration=datetime.timedelta(minutes=30),
            person=person,
            room=room,
            reason=mark(
                "COORD-RDV",
                S.COORDINATION,
                ("agenda:appointment", "interpreter"),
                ("agenda:week", "reception", "query"),
                **held,
            ),
            reception_notes=mark(
                "COORD-RDV-ACCUEIL", S.COORDINATION, ("agenda:appointment", "reception"), **held
            ),
            interpreting=Interpreting.ON_SITE,
            language="ar",
            interpreter=m["interpreter"],
            outside_hours_ok=True,
        ),
    )

    cancelled = agenda_actions.do_book_appointment(
        m["reception"],
        agenda_actions.Booking(
            kind="consultation",
            members=[m["gp"]],
            starts_at=soon + datetime.timedelta(minutes=40),
            duration=datetime.timedelta(minutes=30),
            person=person,
            outside_hours_ok=True,
        ),
    )
    # Why it was cancelled follows the reason's rule (the appointment's page showed it to
    # every member who sees agendas; FHIR already kept it to the reason's readers).
    agenda_actions.do_cancel_appointment(
        cancelled,
        reason=mark(
            "COORD-RDV-ANNULATION",
            S.COORDINATION,
            ("agenda:appointment", "gp", "cancelled"),
            held_by=("gp",),
        ),
        author=m["reception"],
    )

    # Someone not registered yet: who may book reads why they come (no record yet).
    unregistered = agenda_actions.do_book_appointment(
        m["reception"],
        agenda_actions.Booking(
            kind="consultation",
            members=[m["gp"]],
            starts_at=soon + datetime.timedelta(minutes=80),
            duration=datetime.timedelta(minutes=30),
            unregistered_name="M. Petit",
            reason=mark(
                "RDV-SANS-DOSSIER",
                S.COORDINATION,
                ("agenda:appointment", "reception", "unregistered"),
                held_by=("gp",),
                unregistered=True,
            ),
            outside_hours_ok=True,
        ),
    )

    # The person's choices, recorded in their space: refusals to a role and to a named
    # member, a grant to the external partner of their circle.
    def choose(kind: str, section: str, note: str = "", **target: Any) -> Any:
        return record_actions.do_record_choice(
            person, kind=kind, section=section, user=person_user, note=note, **target
        )

    refusal = choose(
        "refuse",
        S.SOCIAL,
        role=Role.NURSE,
        note=mark(
            "CHOIX", "", ("record:sharing", "nurse"), ("portal:sharing", "person_user"), choice=True
        ),
    )
    choose("refuse", S.CLINICAL, role=Role.MIDWIFE)
    choose("refuse", S.ADMINISTRATIVE, role=Role.PHYSIOTHERAPIST)
    choose("refuse", S.COORDINATION, role=Role.LEGAL_ADVISER)
    choose("refuse", S.MENTAL_HEALTH, member=m["gp_refused"])
    choose(
        "grant",
        S.SOCIAL,
        member=m["partner"],
        note=mark(
            "CHOIX-PARTENAIRE", "", ("record:sharing", "partner"), choice=True, named="partner"
        ),
    )
    # The midwife, refused the clinical section, opens the record in an emergency.
    record_actions.do_break_glass(
        record_access(m["midwife"], person), "Malaise en salle d'attente, urgence"
    )

    # The person of centre B (not one care team), followed by a GP and a social worker.
    other = do_register_person(
        m["other_member"],
        {
            "birth_name": "BERNARD",
            "given_names": "Luc",
            "used_name": mark(
                "IDENTITE", "", ("people:detail", "other_member", "other"), owner=OTHER
            ),
            "sex": "M",
            "birth_year": 1990,
        },
    )
    for someone in (m["other_gp"], m["other_social"]):
        record_actions.do_add_to_care_team(m["other_member"], other, someone)
    b_gp = record_access(m["other_gp"], other)
    b_social = record_access(m["other_social"], other)
    b_timeline = ("record:timeline", "other_gp", "other")
    b_social_timeline = ("record:timeline", "other_social", "other")
    for access, section, what, page in (
        (b_gp, S.CLINICAL, "CLINIQUE", b_timeline),
        (b_gp, S.MENTAL_HEALTH, "PSY", b_timeline),
        (b_gp, S.COORDINATION, "COORD", b_timeline),
        (b_social, S.SOCIAL, "SOCIAL", b_social_timeline),
        (b_social, S.ADMINISTRATIVE, "ADMIN", b_social_timeline),
    ):
        record_actions.do_add_note(
            access, section=section, text=mark(what, section, page, owner=OTHER)
        )
    other_doc = record_actions.do_add_document(
        b_gp,
        section=S.CLINICAL,
        doc_type="letter",
        title=mark(
            "CLINIQUE-DOC", S.CLINICAL, ("record:documents", "other_gp", "other"), owner=OTHER
        ),
        content=tiny_pdf(
            mark(
                "CLINIQUE-DOC-FICHIER",
                S.CLINICAL,
                ("record:document_download", "other_gp", "other"),
                owner=OTHER,
            )
        ),
        original_name="lettre.pdf",
        content_type="application/pdf",
    )
    rights_actions.do_record_living_conditions(
        b_social,
        today,
        {
            "housing": "tenant",
            "housing_details": mark(
                "SOCIAL-LOGEMENT",
                S.SOCIAL,
                ("rights:overview", "other_social", "other"),
                owner=OTHER,
            ),
        },
    )
    other_request = request_actions.do_receive_request(
        m["other_gp"],
        concerns="registered",
        person=other,
        source="person",
        channel="phone",
        first_words=mark(
            "COORD-DEMANDE",
            S.COORDINATION,
            ("coordination:request", "other_gp", "other"),
            owner=OTHER,
        ),
    )
    other_project = project_actions.do_open_project(b_gp)
    other_goal = project_actions.do_add_goal(
        b_gp,
        other_project,
        words=mark(
            "COORD-OBJECTIF",
            S.COORDINATION,
            ("coordination:project", "other_gp", "other"),
            owner=OTHER,
        ),
    )

    base = url_values(
        person=person,
        other=durand,
        relation=relation,
        visit=visit,
        entry=clinical_doc,
        member=m["reception"],
    )
    base.update(
        {
            "choice_pk": refusal.pk,
            "row_pk": referent.pk,
            "referral_pk": referral.pk,
            "request_pk": request.pk,
            "project_pk": project.pk,
            "problematique_pk": problematique.pk,
            "need_pk": need.pk,
            "goal_pk": goal.pk,
            "action_pk": action.pk,
            "review_pk": review.pk,
            "circle_pk": circle.pk,
            "task_pk": task.pk,
            "meeting_pk": meeting.pk,
            "attendee_pk": attendees[0].pk,
            "agenda_pk": item.pk,
            "appointment_pk": appointment.pk,
            "room_pk": room.pk,
            "right_pk": right.pk,
            "application_pk": application.pk,
            "resource_id": person.pk,
        }
    )
    values = {
        "": base,
        # The same views on the person of another structure, and their objects.
        "other": {
            **base,
            **dict.fromkeys(("pk", "person_pk", "person_id", "id", "resource_id"), other.pk),
            "entry_pk": other_doc.pk,
            "request_pk": other_request.pk,
            "project_pk": other_project.pk,
            "goal_pk": other_goal.pk,
        },
        # Entries read one by one: the administrative and the third-party documents, the
        # encounter the interpreter took part in.
        "admin-doc": {**base, "entry_pk": admin_doc.pk},
        "third-party-doc": {**base, "entry_pk": third_party_doc.pk},
        "encounter": {**base, "entry_pk": encounter.pk},
        # A cancelled appointment, with the reason it was cancelled.
        "cancelled": {**base, "appointment_pk": cancelled.pk},
        "unregistered": {**base, "appointment_pk": unregistered.pk},
        # The pages without a parameter, with the person in their query string (a search,
        # a booking or a task for them), the team's tasks and the GP's agenda.
        "query": {
            **base,
            "?": f"q=DUPONT&personne={person.pk}&person={person.pk}&membre={m['gp'].pk}&vue=equipe",
        },
    }
    users = {name: member.user for name, member in m.items()}
    users.update({"outsider": outsider, "person_user": person_user})
    return World(
        members=m,
        users=users,
        persons={CENTRE: person, OTHER: other},
        markers=markers,
        values=values,
    )


def may_read(world: World, caller: str, mark: Marker) -> bool:
    """Whether the access policy lets ``caller`` read what ``mark`` is written in."""
    if caller in {"anonymous", "outsider"}:
        return False
    person = world.persons[mark.owner]
    if caller == "person_user":
        return (
            person.user_id == world.users[caller].pk
            and not mark.third_party
            and not mark.unregistered
        )
    member = world.members[caller]
    if mark.unregistered:
        centre = person.structure
        return caller in mark.held_by or can(member, "book_appointment", centre)
    if mark.choice:
        return persons_for_member(member).filter(pk=person.pk).exists() or caller == mark.named
    if not mark.section:
        return persons_readable_by(member).filter(pk=person.pk).exists()
    access = record_access(member, person)
    if access is None:
        return False
    if access.can_read(mark.section) or caller in mark.held_by:
        return True
    return (
        access.reads_as_participant
        and caller in mark.took_part
        and mark.section not in access.refused
    )


def fhir_ids(world: World) -> dict[str, list[str]]:
    """FHIR ids to read one by one, type by type: one row of each (person, section,
    third party or not) of both persons' records; the first row of the types that hold
    nobody's record."""
    persons = [p.pk for p in world.persons.values()]
    found: dict[str, list[str]] = {}
    for name, resource_type in REGISTRY.items():
        picked: dict[tuple[Any, ...], str] = {}
        for index, part in enumerate(resource_type.parts()):
            lookup = part.compartment_lookup()
            rows = part.stored().order_by("pk")
            rows = rows.filter(**{f"{lookup}__in": persons}) if lookup else rows[:1]
            for row in rows:
                key = (
                    index,
                    part.person_id_of(row),
                    part.section_of(row),
                    getattr(row, "concerns_third_party", False),
                )
                picked.setdefault(key, part.fhir_id(row))
        found[name] = list(picked.values())
    return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, in a transaction rolled back at its end: each test runs
    in its own savepoint inside it (pytest-django's ``db``)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            for name, user in built.users.items():
                client = Client()
                client.force_login(user)
                built.sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
            for name, member in built.members.items():
                _token, built.bearer[name] = tokens.do_create_token(
                    member, name="sweep", scopes=tokens.scopes_for(member)
                )
            do_deactivate_member(built.members["admin"], built.members[DEACTIVATED])
            built.fhir_ids = fhir_ids(built)
            built.allowed = {
                caller: frozenset(m.text for m in built.markers if may_read(built, caller, m))
                for caller in (*CALLERS, "other_gp", "other_social")
            }
            yield built
        finally:
            remove_stored_documents()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- Requests and what answers may hold --------------------------------------------------

CSRF = "c" * 32


def client_for(world: World, caller: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    if caller in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[caller]
    return client


def _inflate(stream: bytes) -> bytes:
    try:
        return zlib.decompress(stream)
    except zlib.error:
        return zlib.decompress(base64.a85decode(stream.strip(), adobe=True))


def body_of(response: Any) -> str:
    """The answer as lower-case text; the compressed streams of a PDF inflated (a streamed
    answer is read once, and kept on the response)."""
    if hasattr(response, "sweep_text"):
        return str(response.sweep_text)
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    text = raw.decode("latin-1")
    if raw.startswith(b"%PDF"):
        for stream in re.findall(rb"stream\r?\n(.*?)\s*endstream", raw, re.DOTALL):
            try:
                text += _inflate(stream).decode("latin-1")
            except (zlib.error, ValueError):
                continue  # not compressed: already in the text
    response.sweep_text = text.lower()
    return str(response.sweep_text)


def check(
    world: World, caller: str, route: str, where: tuple[Any, ...], response: Any
) -> list[Any]:
    found: list[Any] = []
    status = response.status_code
    # The health page answers 503 while the background worker has not reported.
    if status >= 500 and not (status == 503 and route == "sante/"):
        found.append((*where, status, "server error"))
    body = body_of(response) + str(response.headers).lower()
    leaks = [
        m.text
        for m in world.markers
        if m.text.lower() in body and m.text not in world.allowed[caller]
    ]
    if leaks:
        found.append((*where, status, "leak", sorted(leaks)))
    if caller in {"anonymous", "outsider"} and not route.startswith(PUBLIC):
        if status not in REFUSED:
            found.append((*where, status, "not refused"))
        elif (
            caller == "anonymous"
            and status == 302
            and not response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        ):
            found.append((*where, status, "redirected elsewhere", response["Location"]))
    return found


# --- Rows created, writes logged ---------------------------------------------------------

# Rows any request may add: the access log (reads and denials are logged), sign-in
# attempts, sessions.
NOT_WRITES = frozenset(
    {
        "core.accessevent",
        "axes.accessattempt",
        "axes.accesslog",
        "axes.accessfailurelog",
        "sessions.session",
    }
)
WRITE_ACTIONS = [
    AccessEvent.Action.CREATE,
    AccessEvent.Action.UPDATE,
    AccessEvent.Action.MERGE,
    AccessEvent.Action.BREAK_GLASS,
]


def counted_models() -> dict[str, Any]:
    """Every table of the application but those of ``NOT_WRITES``, with its model."""
    tables: dict[str, Any] = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if not (opts.proxy or not opts.managed or opts.label_lower in NOT_WRITES):
            tables.setdefault(opts.db_table, model)
    return tables


def row_counts(tables: dict[str, Any]) -> dict[str, int]:
    quote = connection.ops.quote_name
    # The tables' names come from the models, quoted: one query for all the counts.
    counts = (f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    sql = "SELECT " + ", ".join(counts)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = cursor.fetchone()
    return dict(zip(tables, counts, strict=True))


def last_event() -> int:
    return AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def own_rows(member: Member | None, model: Any, created: int) -> str:
    """The model's label when the rows just created are the member's own and concern no
    person (an address for their phone's calendar, a token); "" otherwise."""
    names = {f.name for f in model._meta.get_fields()}
    if member is None or created < 0 or "member" not in names or "person" in names:
        return ""
    latest = model._default_manager.order_by("-pk").values_list("member_id", flat=True)[:created]
    return model._meta.label_lower if set(latest) == {member.pk} else ""


def post_problems(
    world: World, caller: str, tables: dict[str, Any], before: dict[str, int], since: int
) -> list[Any]:
    """Rows created and writes logged by an empty POST that must change nothing."""
    member = world.members.get(caller)
    after = row_counts(tables)
    created = {t: after[t] - before[t] for t in tables if after[t] != before[t]}
    own = {t: own_rows(member, tables[t], n) for t, n in created.items()}
    found: list[Any] = []
    if not all(own.values()):
        found.append(("rows added or removed", created))
    writes = AccessEvent.objects.filter(pk__gt=since, action__in=WRITE_ACTIONS)
    for action, object_type, person_id, actor in writes.values_list(
        "action", "object_type", "person_id", "actor_member_id"
    ):
        mine = member is not None and actor == member.pk
        if not (mine and person_id is None and object_type in own.values()):
            found.append(("write logged", action, object_type, person_id))
    return found


# --- The sweep ---------------------------------------------------------------------------

# Variants of the URL values each route is also tried with, by the parameters it has.
VARIANTS = {
    "pk": ("other",),
    "person_pk": ("other",),
    "person_id": ("other",),
    "entry_pk": ("other", "admin-doc", "third-party-doc", "encounter"),
    "resource_id": ("other",),
    "appointment_pk": ("cancelled", "unregistered"),
}


def reads_query(route: str) -> bool:
    """Whether the view's module reads the query string (searches, forms for a person)."""
    view = inspect.unwrap(resolve("/" + route).func)
    return "request.GET" in inspect.getsource(inspect.getmodule(view))


def sweep_cases() -> list[Any]:
    cases = []
    for route, name in all_routes():
        if "static" in route or "<path:" in route:
            continue
        params = parameters(route)
        variants = list(dict.fromkeys(["", *(v for p in params for v in VARIANTS.get(p, ()))]))
        if not params and not route.startswith(PUBLIC) and reads_query(route):
            variants.append("query")
        if name == "fhir:instance":
            variants = [""]  # every type's ids are read in the test
        types = sorted(REGISTRY) if "resource_type" in params else [""]
        for variant in variants:
            for resource_type in types:
                label = "-".join(p for p in (name, variant, resource_type) if p)
                cases.append(pytest.param(route, name, variant, resource_type, id=label))
    return cases


def ways(world: World, route: str, caller: str, first: bool) -> list[tuple[str, dict[str, str]]]:
    """How the caller calls: their session; on the API and FHIR, also their token (the
    session only on the first URL of a route there: it is refused to members)."""
    if not route.startswith(("api/", "fhir/")) or caller not in world.bearer:
        return [("session", {})]
    token = ("token", {"Authorization": f"Bearer {world.bearer[caller]}"})
    return [token, ("session", {})] if first else [token]


# What an empty POST by someone who must not write may get: a refusal, or the form again
# with its errors (200; from the API and FHIR, 400 or 422, and 415 for a form where a
# JSON resource is wanted).
REFUSED_OR_FORM_ERROR = REFUSED | {200, 400, 415, 422}

# Routes read with a POST (a FHIR search with its parameters as a form).
READ_BY_POST = frozenset({"fhir:search"})


def post_data(route: str) -> dict[str, str]:
    """An empty form, with the CSRF token the pages need (the API and FHIR take tokens and
    no CSRF token: a form field would be read as a search parameter)."""
    return {} if route.startswith(("api/", "fhir/")) else {"csrfmiddlewaretoken": CSRF}


@pytest.mark.parametrize(("route", "name", "variant", "resource_type"), sweep_cases())
def test_no_route_leaks(world, db, route, name, variant, resource_type):
    values = world.values[variant]
    if resource_type:
        values = {**values, "resource_type": resource_type}
    if name == "fhir:instance":
        urls = [fill(route, {**values, "resource_id": i}) for i in world.fhir_ids[resource_type]]
    else:
        urls = [fill(route, values) + (f"?{values['?']}" if "?" in values else "")]
    tables = counted_models()
    problems: list[Any] = []
    for index, url in enumerate(urls):
        for caller in CALLERS:
            watched = index == 0 and must_not_write(caller, route, variant)
            methods = ["POST"] if name in READ_BY_POST else ["GET", "POST"] if watched else ["GET"]
            for (how, headers), method in itertools.product(
                ways(world, route, caller, index == 0), methods
            ):
                client = client_for(world, caller)
                if method == "GET":
                    response = client.get(url, headers=headers)
                    problems += check(world, caller, route, (url, caller, method, how), response)
                    continue
                before, since = (row_counts(tables), last_event()) if watched else ({}, 0)
                response = client.post(url, post_data(route), headers=headers)
                where = (url, caller, method, how)
                problems += check(world, caller, route, where, response)
                if watched:
                    problems += [
                        (*where, response.status_code, *problem)
                        for problem in post_problems(world, caller, tables, before, since)
                    ]
                    if response.status_code not in REFUSED_OR_FORM_ERROR:
                        problems.append(
                            (*where, response.status_code, "neither refused nor invalid")
                        )
    if problems:
        pytest.fail("\n".join(map(repr, problems)), pytrace=False)


def must_not_write(caller: str, route: str, variant: str) -> bool:
    # The pages of the other structure's person are read (GET) by everyone; what a POST
    # to them may do is the base variant's question, on the centre's person.
    if caller not in NON_WRITERS or variant == "other":
        return False
    if caller == "person_user":
        return not route.startswith(OWN_SPACE_PREFIXES)  # their own space is theirs
    return True


# --- The sweep is not blind --------------------------------------------------------------


def test_every_section_is_marked(world, db):
    for owner in (CENTRE, OTHER):
        sections = {m.section for m in world.markers if m.owner == owner}
        assert sections >= {"", *Section.values}, owner


def test_markers_are_shown_to_their_readers(world, db):
    """Each marker is found where a reader the policy allows looks for it (the sweep
    would see a leak), the PDF of a meeting's minutes included."""
    routes = {name: route for route, name in all_routes()}
    missing = []
    for mark in world.markers:
        assert mark.shown, mark.text
        for name, reader, *variant in mark.shown:
            assert mark.text in world.allowed[reader], (mark.text, reader)
            values = world.values[variant[0] if variant else ""]
            url = fill(routes[name], values) + (f"?{values['?']}" if "?" in values else "")
            client = client_for(world, reader)
            response = client.get(url)
            if mark.text.lower() not in body_of(response) + str(response.headers).lower():
                missing.append((mark.text, name, reader, url))
    assert missing == []


def test_the_policy_decides_who_reads(world, db):
    """The world exercises the policy's cases: refusals to a role and to a member, a
    grant, an emergency access, an interpreter, the third-party exception."""

    def allowed(caller: str, what: str) -> bool:
        return f"MARQUEUR-{what}-7f3" in world.allowed[caller]

    assert allowed("gp", "PSY") and not allowed("gp_refused", "PSY")
    assert allowed("other_clinician", "SOCIAL") and not allowed("nurse", "SOCIAL")
    assert allowed("midwife", "CLINIQUE")  # refused to midwives, opened in an emergency
    assert allowed("reception", "ADMIN") and not allowed("physiotherapist", "ADMIN")
    assert allowed("mediator", "COORD-TACHE") and not allowed("legal_adviser", "COORD-TACHE")
    assert allowed("partner", "SOCIAL") and not allowed("partner", "COORD")
    assert allowed("interpreter", "INTERPRETE-NOTE") and not allowed("interpreter", "CLINIQUE")
    assert allowed("interpreter", "COORD-RDV") and not allowed("interpreter", "COORD-TACHE")
    assert allowed("gp", "TIERS-NOTE") and not allowed("person_user", "TIERS-NOTE")
    for caller in ("anonymous", "outsider", "observer", DEACTIVATED):
        assert world.allowed[caller] == frozenset(), caller
    for caller in CALLERS:
        others = {t for t in world.allowed[caller] if t.startswith("AUTRE-")}
        assert others == ({"AUTRE-IDENTITE-b21"} if caller == "other_member" else set()), caller


@pytest.mark.parametrize(
    ("exporter", "level"), [("admin", "$export"), ("nurse", "Patient/$export")]
)
def test_bulk_exports_carry_what_the_exporter_reads(world, db, exporter, level):
    """A bulk export (FHIR ``$export``) holds what its member reads, type by type; its
    files are the member's alone."""
    token = {"Authorization": f"Bearer {world.bearer[exporter]}"}
    client = client_for(world, exporter)
    kickoff = client.get(f"/fhir/R4/{level}", headers={**token, "Prefer": "respond-async"})
    assert kickoff.status_code == 202, kickoff.content.decode()
    location = kickoff["Content-Location"]
    job_id = location.rsplit("/", 1)[1]
    try:
        assert export.run_export(job_id) == "done"
        manifest = client.get(location, headers=token).json()
        urls = [location] + [item["url"] for item in manifest["output"]]
        assert len(urls) > 3
        problems: list[Any] = []
        exported = ""
        for index, url in enumerate(urls):
            for caller in CALLERS if index < 2 else (exporter,):
                for how, headers in ways(world, "fhir/", caller, first=True):
                    response = client_for(world, caller).get(url, headers=headers)
                    problems += check(world, caller, "fhir/", (url, caller, "GET", how), response)
                    if caller == exporter and how == "token":
                        exported += body_of(response)
                    elif caller != exporter and response.status_code not in REFUSED:
                        problems.append((url, caller, how, response.status_code, "not refused"))
        assert problems == []
        # Not blind: the files hold what the exporter reads.
        assert {m.text for m in world.markers if m.text.lower() in exported} >= {
            "MARQUEUR-IDENTITE-7f3",
            "MARQUEUR-ADMIN-DOC-7f3",
        }
    finally:
        shutil.rmtree(export.export_folder(export.BulkExport.objects.get(pk=job_id)), True)
