"""The demo's referrals: persons of the centre referred to services of its directory, at
every step of the path, so that follow-up and the lived territory have something to show."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from maillage.coordination.actions import referrals as actions
from maillage.coordination.models import Referral
from maillage.core.access import record_access
from maillage.core.models import Member
from maillage.lib import referrals as path
from maillage.people.models import Person
from maillage.territory.models import Service

REASONS = [
    ("Douleurs dentaires depuis trois semaines", "Un rendez-vous le samedi matin"),
    ("Renouvellement de la complémentaire santé solidaire", "Être accompagnée pour le dossier"),
    ("Troubles du sommeil, anxiété", "Parler à quelqu'un en arabe"),
    ("Suivi de grossesse", "Une sage-femme près de chez elle"),
    ("Aide alimentaire en attendant l'ouverture des droits", ""),
    ("Recherche d'un hébergement temporaire", "Rester à Saint-Denis pour l'école des enfants"),
]
PATHS = [
    [path.AGREED, path.SENT, path.RECEIVED, path.APPOINTMENT, path.DONE],
    [path.AGREED, path.SENT, path.APPOINTMENT],
    [path.AGREED, path.SENT],
    [path.AGREED],
    [],
    [path.NOT_DONE],
]


def load_referrals(
    persons: list[Person], author: Member, seed: int = 2026, count: int = 40
) -> None:
    rng = random.Random(seed)
    services = list(Service.objects.filter(owner=author.structure).order_by("pk"))
    if not services:
        return
    for person in rng.sample(persons, min(count, len(persons))):
        access = record_access(author, person)
        if access is None or not access.can_write("coordination"):
            continue
        reason, wishes = rng.choice(REASONS)
        referral = actions.do_propose_referral(
            access, to_service=rng.choice(services), reason=reason, wishes=wishes
        )
        for step in rng.choice(PATHS):
            note = "La personne préfère attendre" if step == path.NOT_DONE else ""
            when = timezone.now() + datetime.timedelta(days=rng.randint(2, 20))
            actions.do_advance_referral(
                access,
                referral,
                step,
                note=note,
                appointment_at=when if step == path.APPOINTMENT else None,
                feedback="Vu(e) en consultation, suivi en place." if step == path.DONE else "",
            )
        # Some were sent weeks ago, with no news since: they are overdue.
        if referral.status == path.SENT and rng.random() < 0.5:
            Referral.objects.filter(pk=referral.pk).update(
                last_news_at=timezone.now() - datetime.timedelta(days=rng.randint(20, 40))
            )


# --- Requests, projects, circle, tasks and meetings -------------------------------------

REQUESTS = [
    # (concerns, source, source name, channel, first words, urgency, hours ago)
    ("unregistered", "relative", "Mme Lopez, voisine", "phone",
     "Son voisin de 84 ans ne sort plus de chez lui depuis deux semaines, "
     "il a l'air perdu et ne mange plus beaucoup.", "soon", 3),
    ("collective", "institution", "École élémentaire Jean-Jaurès", "email",
     "Plusieurs familles de l'école n'ont pas de médecin traitant depuis le départ "
     "du médecin du quartier.", "routine", 30),
    ("registered", "professional", "Pharmacie de la Gare", "phone",
     "Le patient ne vient plus chercher son traitement depuis un mois.", "urgent", 5),
    ("registered", "person", "", "desk",
     "Je voudrais de l'aide pour mon dossier de logement, je ne comprends pas les courriers.",
     "routine", 50),
]  # fmt: skip
PROJECTS = [
    # (problématique title, person's words, team's understanding, needs, goals)
    ("Isolement et santé qui se dégrade",
     "Je n'ai plus la force de descendre les escaliers, je reste seul.",
     "Vit seul au 4e sans ascenseur ; perte de poids ; pas de médecin traitant.",
     [("health", "Retrouver un médecin traitant"), ("housing", "Logement accessible"),
      ("food", "Repas livrés en attendant")],
     ["Pouvoir sortir de chez moi au moins une fois par semaine",
      "Avoir un médecin qui vient me voir"]),
    ("Droits et papiers en retard",
     "Je reçois des lettres que je ne comprends pas et j'ai peur de perdre mes droits.",
     "Renouvellement de la complémentaire santé solidaire non fait ; courriers en attente.",
     [("rights", "Renouveler la complémentaire santé solidaire"),
      ("administrative", "Trier les courriers avec quelqu'un")],
     ["Que mes papiers soient à jour avant l'été", "Comprendre mes courriers"]),
    ("Fatigue et inquiétude pour les enfants",
     "Je dors mal, je pense tout le temps à l'école des enfants.",
     "Épuisement, troubles du sommeil ; famille hébergée à l'hôtel social.",
     [("psychological", "Un espace pour parler"), ("family", "Soutien scolaire des enfants")],
     ["Dormir mieux", "Que les enfants restent dans la même école"]),
]  # fmt: skip


def load_coordination(persons: list[Person], coordinator: Member, seed: int = 2027) -> None:
    """Requests at every stage, health projects (one with review points) with their circle
    of care, tasks, and meetings: today's team meeting, a past synthesis meeting with the
    person, a case meeting next week."""
    from maillage.coordination.actions import meetings as meeting_actions
    from maillage.coordination.actions import projects as project_actions
    from maillage.coordination.actions import requests as request_actions
    from maillage.coordination.actions import tasks as task_actions
    from maillage.coordination.actions.circle import do_add_to_circle
    from maillage.core.roles import Role

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    team = list(
        Member.objects.active()
        .filter(structure=coordinator.structure)
        .exclude(role__in=[Role.PARTNER, Role.NETWORK_OBSERVER, Role.ADMIN, Role.INTERPRETER])
        .select_related("user", "structure")
    )
    doctor = next(m for m in team if m.role == Role.GP)
    social = next(m for m in team if m.role == Role.SOCIAL_WORKER)
    chosen = [p for p in persons if not p.merged_into_id]
    accesses = {p.pk: record_access(coordinator, p) for p in chosen[:40]}

    # Requests: two waiting, one being triaged, one closed with a project opened.
    for index, (concerns, source, name, channel, words, urgency, hours) in enumerate(REQUESTS):
        person = chosen[10 + index] if concerns == "registered" else None
        request = request_actions.do_receive_request(
            coordinator,
            concerns=concerns,
            person=person,
            unregistered_name="M. Petit" if concerns == "unregistered" else "",
            source=source,
            source_name=name,
            channel=channel,
            first_words=words,
            urgency=urgency,
            received_at=now - datetime.timedelta(hours=hours),
        )
        if index >= 2:
            request_actions.do_first_contact(
                coordinator,
                request,
                at=request.received_at + datetime.timedelta(hours=2),
                listening_notes="Échange au téléphone, la personne est d'accord pour être aidée.",
                at_stake="Rupture de traitement ; isolement.",
            )
        if index == 3 and person is not None:
            request_actions.do_close_request(
                coordinator, request, outcome="project", note="Projet ouvert avec la personne."
            )

    # Health projects, co-written: the first ones for the persons of the referrals.
    for index, person in enumerate(chosen[:12]):
        access = accesses[person.pk]
        if access is None or not access.can_write("coordination"):
            continue
        title, words, understanding, needs, goals = PROJECTS[index % len(PROJECTS)]
        project = project_actions.do_open_project(
            access, next_review_on=today + datetime.timedelta(days=rng.randint(-20, 60))
        )
        problem = project_actions.do_add_problematique(
            access, project, title=title, understanding=understanding, person_words=words
        )
        for domain, description in needs:
            project_actions.do_add_need(access, project, domain=domain, description=description)
        made = [
            project_actions.do_add_goal(
                access,
                project,
                words=goal,
                problematique=problem,
                agreement="agrees" if i == 0 else "",
                review_on=today + datetime.timedelta(days=30 * (i + 1)),
            )
            for i, goal in enumerate(goals)
        ]
        project_actions.do_add_action(
            access,
            project,
            goal=made[0],
            description="Appeler le service de soins infirmiers à domicile",
            owner_kind="member",
            owner_member=coordinator,
            due_on=today + datetime.timedelta(days=7),
        )
        project_actions.do_add_action(
            access,
            project,
            goal=made[-1],
            description="Apporter les derniers courriers reçus",
            owner_kind="person",
            owner_name=person.first_given_name,
            due_on=today + datetime.timedelta(days=14),
        )
        do_add_to_circle(
            access, role="coordinator", agreed_on=today - datetime.timedelta(days=20),
            member=coordinator,
        )  # fmt: skip
        do_add_to_circle(
            access, role="contributor", agreed_on=today - datetime.timedelta(days=20),
            member=doctor if index % 2 else social,
        )  # fmt: skip
        relation = person.relations.filter(ended_at__isnull=True).first()
        if relation is not None:
            do_add_to_circle(
                access, role="informed", agreed_on=today - datetime.timedelta(days=10),
                relation=relation,
            )  # fmt: skip
        if index < 4:
            project_actions.do_add_review(
                access,
                project,
                held_on=today - datetime.timedelta(days=5),
                summary="Premier point : la personne a rencontré l'infirmière, "
                "les repas sont livrés depuis lundi.",
                who_was_there=f"{person.first_given_name}, {coordinator.display_name}",
                what_changed="Les repas ; un premier rendez-vous médical pris.",
                next_review_on=today + datetime.timedelta(days=45),
            )

    # Tasks, some overdue; referrals without news get their follow-up task.
    for i in range(10):
        person = chosen[i]
        access = accesses[person.pk]
        task_actions.do_create_task(
            coordinator,
            title=rng.choice(
                [
                    "Rappeler la personne pour faire le point",
                    "Envoyer le dossier au service",
                    "Préparer la réunion de synthèse",
                    "Vérifier que le rendez-vous a bien eu lieu",
                ]
            ),
            assignees=[coordinator] if i % 3 else [coordinator, rng.choice(team)],
            due_on=today + datetime.timedelta(days=rng.randint(-5, 10)),
            access=access if i % 2 else None,
        )
    task_actions.create_follow_up_tasks(structure_id=coordinator.structure_id)

    # Meetings: today's team meeting, a past synthesis meeting, a case meeting next week.
    noon = timezone.localtime(now).replace(hour=12, minute=30, second=0, microsecond=0)
    team_meeting = meeting_actions.do_plan_meeting(
        coordinator, kind="team", title="Réunion d'équipe du mardi", starts_at=noon,
        place="Salle du premier étage",
    )  # fmt: skip
    meeting_actions.do_invite_members(coordinator, team_meeting, team[:6])
    for person in chosen[:2]:
        meeting_actions.do_add_situation(coordinator, team_meeting, person, accesses[person.pk])
    meeting_actions.do_add_theme(coordinator, team_meeting, "Accès aux médecins traitants")
    synthesis = meeting_actions.do_plan_meeting(
        coordinator, kind="synthesis", title="Synthèse avec la personne et sa fille",
        starts_at=noon - datetime.timedelta(days=7), place="Bureau de la coordination",
    )  # fmt: skip
    person = chosen[0]
    meeting_actions.do_invite_members(coordinator, synthesis, [coordinator, doctor])
    item = meeting_actions.do_add_situation(coordinator, synthesis, person, accesses[person.pk])
    meeting_actions.do_invite_person(coordinator, synthesis, person)
    meeting_actions.do_write_notes(
        coordinator,
        item,
        "La personne souhaite rester chez elle. Sa fille passera le mercredi.",
        accesses[person.pk],
    )
    meeting_actions.do_record_decision(
        coordinator, item, text="Demander un passage infirmier deux fois par semaine",
        outcome="action", owner_kind="member", assignees=[coordinator],
        due_on=today + datetime.timedelta(days=3), access=accesses[person.pk],
    )  # fmt: skip
    meeting_actions.do_record_presence(
        coordinator, synthesis, {a.pk: True for a in synthesis.attendees.all()}
    )
    meeting_actions.do_set_status(coordinator, synthesis, "held")
    case = meeting_actions.do_plan_meeting(
        coordinator, kind="concertation", title="Concertation pluriprofessionnelle",
        starts_at=noon + datetime.timedelta(days=7),
    )  # fmt: skip
    meeting_actions.do_invite_members(coordinator, case, [coordinator, doctor, social])
    meeting_actions.do_add_situation(coordinator, case, chosen[1], accesses[chosen[1].pk])
