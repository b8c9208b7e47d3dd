from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from maillage.core.models import Member, Structure, User
from maillage.core.roles import Role, StructureKind
from maillage.people.models import Person
from maillage.people.synthetic import generate_persons
from maillage.record.synthetic import Plan, generate_journal

# The team that writes the synthetic journal of a scale structure.
SCALE_TEAM = [
    (Role.GP, "medecin_generaliste"),
    (Role.GP, "medecin_generaliste"),
    (Role.NURSE, "infirmier"),
    (Role.PSYCHOLOGIST, "psychologue"),
    (Role.SOCIAL_WORKER, "assistant_service_social"),
    (Role.MEDIATOR, "mediateur_sante"),
    (Role.RECEPTION, "accueillant"),
    (Role.INTERPRETER, "interprete"),
]
# About how many entries one encounter brings (its note and its measures), with the
# problems and treatments that come with a record, and without them for a long record.
ENTRIES_PER_ENCOUNTER = 2.6
ENTRIES_PER_ENCOUNTER_LONG_RECORD = 2.4
HEAVY_RECORD = 2000


class Command(BaseCommand):
    help = "Generate synthetic persons (and journal entries) for scale tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True)
        parser.add_argument(
            "--entries",
            type=int,
            default=0,
            help="About how many journal entries to write; the first person gets about 2,000.",
        )
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--structure", default="Centre de santé (données de volume)")

    def handle(self, *args: Any, **options: Any) -> None:
        count, entries = options["persons"], options["entries"]
        if count < 1:
            raise CommandError(_("--persons must be at least 1."))
        if entries < 0:
            raise CommandError(_("--entries cannot be negative."))
        structure, _created = Structure.objects.get_or_create(
            name=options["structure"], defaults={"kind": StructureKind.CENTRE, "is_care_team": True}
        )
        start = time.perf_counter()
        made = generate_persons(structure, count, seed=options["seed"])
        seconds = time.perf_counter() - start
        self.stdout.write(
            _("%(count)d persons generated in %(seconds).1f s (structure n° %(pk)d).")
            % {"count": made, "seconds": seconds, "pk": structure.pk}
        )
        if entries:
            start = time.perf_counter()
            written = generate_entries(structure, entries, seed=options["seed"])
            self.stdout.write(
                _("%(count)d journal entries written in %(seconds).1f s.")
                % {"count": written, "seconds": time.perf_counter() - start}
            )


def scale_team(structure: Structure) -> list[Member]:
    team = list(Member.objects.filter(structure=structure, is_active=True))
    if len(team) >= len(SCALE_TEAM):
        return team
    for index, (role, profession) in enumerate(SCALE_TEAM):
        user, _created = User.objects.get_or_create(
            username=f"volume-{structure.pk}-{index}",
            defaults={"first_name": profession.replace("_", " ").title(), "last_name": "Volume"},
        )
        member, _created = Member.objects.get_or_create(
            user=user, structure=structure, defaults={"role": role, "profession": profession}
        )
        team.append(member)
    return team


def generate_entries(structure: Structure, entries: int, *, seed: int = 42) -> int:
    """About ``entries`` journal entries over the structure's persons: the first person
    gets about 2,000 (the benchmark's heavy record), the others share the rest."""
    rng = random.Random(seed)
    persons = list(Person.objects.filter(structure=structure).order_by("pk"))
    encounters = max(1, round(entries / ENTRIES_PER_ENCOUNTER))
    heavy = min(encounters, round(HEAVY_RECORD / ENTRIES_PER_ENCOUNTER_LONG_RECORD))
    counts = [0] * len(persons)
    counts[0] = heavy
    for _index in range(encounters - heavy):
        counts[rng.randrange(1, len(persons)) if len(persons) > 1 else 0] += 1
    plans = [
        Plan(p, n, days=3650 if i == 0 else 730)
        for i, (p, n) in enumerate(zip(persons, counts, strict=True))
        if n
    ]
    team = scale_team(structure)
    written = 0
    for offset in range(0, len(plans), 2000):
        written += generate_journal(
            plans[offset : offset + 2000], team, seed=seed + offset, document_metadata=True
        )
    return written
