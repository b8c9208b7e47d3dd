"""The demo's social situations and rights: living conditions and EPICES answers for some
persons, health coverage and other rights (some ending within two months, one lapsed),
and applications at every step — through the actions, as the team would. No estimate is
made here (it would load OpenFisca while the demo loads); the team runs one from a
person's page."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from maillage.core.access import RecordAccess, record_access
from maillage.core.models import Member
from maillage.lib import epices
from maillage.people.models import Person
from maillage.rights import actions
from maillage.rights.models import RightKind, RightStatus

HOUSING = ["tenant", "social_tenant", "hosted", "emergency", "hotel", "chrs", "street"]
STATUS = ["french", "eu", "permit", "receipt", "asylum_seeker", "undocumented"]


def load_rights(social: Member, persons: list[Person], seed: int = 2026) -> int:
    """Record the situation and rights of up to 60 persons; how many."""
    rng = random.Random(seed)
    today = timezone.localdate()
    kinds = {k.code: k for k in RightKind.objects.filter(structure=None)}
    done = 0
    for index, person in enumerate(persons[:60]):
        access = record_access(social, person)
        if access is None or not access.can_write("social"):
            continue
        status = rng.choice(STATUS)
        actions.do_record_living_conditions(
            access,
            today - datetime.timedelta(days=rng.randint(0, 200)),
            {
                "housing": rng.choice(HOUSING),
                "adults": rng.choice([1, 1, 2]),
                "children": rng.choice([0, 0, 1, 2, 3]),
                "work": rng.choice(["unemployed", "employed", "not_allowed", "at_home"]),
                "income_sources": rng.sample(["wages", "rsa", "family", "none"], 1),
                "food_insecurity": rng.choice(["none", "some", "severe"]),
                "isolation": rng.choice(["none", "some", "severe"]),
                "digital": rng.choice(["autonomous", "with_help", "no_access"]),
                "administrative_status": status,
            },
        )
        answers = {code: rng.random() < 0.4 for code in epices.CODES}
        actions.do_record_epices(
            access, today - datetime.timedelta(days=rng.randint(0, 300)), answers
        )
        coverage = (
            "ame" if status == "undocumented" else rng.choice(["css", "css_participation", "puma"])
        )
        ends = today + datetime.timedelta(days=rng.randint(-10, 330))
        actions.do_add_right(
            access,
            actions.RightInput(
                kind=kinds[coverage],
                status=RightStatus.OPEN,
                starts_on=ends - datetime.timedelta(days=365),
                ends_on=ends,
                reference=f"DEMO-{1000 + index}",
                follower=social if rng.random() < 0.6 else None,
            ),
        )
        if index % 5 == 0:
            _application(access, kinds[rng.choice(["rsa", "apl", "aah", "domiciliation"])], rng)
        done += 1
    return done


def _application(access: RecordAccess, kind: RightKind, rng: random.Random) -> None:
    today = timezone.localdate()
    opened = today - datetime.timedelta(days=rng.randint(10, 90))
    application = actions.do_open_application(
        access, kind, opened_on=opened, organisation="CAF" if kind.code != "aah" else "MDPH"
    )
    actions.do_add_step(access, application, opened, "Premier rendez-vous : liste des pièces")
    actions.do_receive_documents(
        access, application, list(application.documents.values_list("pk", flat=True))[:2], opened
    )
    step = rng.random()
    if step < 0.3:
        return
    submitted = opened + datetime.timedelta(days=7)
    actions.do_submit_application(access, application, submitted)
    if step < 0.6:
        return
    decided = min(today, submitted + datetime.timedelta(days=rng.randint(10, 60)))
    actions.do_decide_application(
        access,
        application,
        actions.Decision(
            granted=step < 0.9,
            decided_on=decided,
            starts_on=decided,
            ends_on=decided + datetime.timedelta(days=365),
            outcome="Notification reçue",
        ),
    )
