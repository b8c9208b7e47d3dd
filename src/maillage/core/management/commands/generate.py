from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from maillage.core.models import Structure
from maillage.core.roles import StructureKind
from maillage.people.synthetic import generate_persons


class Command(BaseCommand):
    help = "Generate synthetic persons for scale tests, in a dedicated structure."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--structure", default="Centre de santé (données de volume)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["persons"]
        if count < 1:
            raise CommandError(_("--persons must be at least 1."))
        structure, _created = Structure.objects.get_or_create(
            name=options["structure"], defaults={"kind": StructureKind.CENTRE}
        )
        start = time.perf_counter()
        made = generate_persons(structure, count, seed=options["seed"])
        seconds = time.perf_counter() - start
        self.stdout.write(
            _("%(count)d persons generated in %(seconds).1f s (structure n° %(pk)d).")
            % {"count": made, "seconds": seconds, "pk": structure.pk}
        )
