"""``maillage communes load [FILE]``: the communes of the official geographic code, from
the npm package ``@etalab/decoupage-administratif`` (installed by ``./dev setup``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from maillage.territory.actions import do_load_communes

DEFAULT = (
    Path(settings.PROJECT_DIR) / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
)
DEFAULT_FILE = DEFAULT / "communes.json"


class Command(BaseCommand):
    help = "Load or refresh the communes (COG) from @etalab/decoupage-administratif."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="load communes.json (default: the npm package)")
        load.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(
                _("Cannot read %(file)s (run ./dev setup to install it): %(error)s")
                % {"file": path, "error": error}
            ) from error
        if not isinstance(rows, list):
            raise CommandError(_("%(file)s is not a list of communes.") % {"file": path})
        count = do_load_communes(rows)
        self.stdout.write(_("%(count)d communes loaded.") % {"count": count})
