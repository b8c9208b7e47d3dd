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
