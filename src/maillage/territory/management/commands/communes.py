"""``maillage communes load [FILE]``: the communes of the official geographic code, from
the npm package ``@etalab/decoupage-administratif`` (installed by ``./dev setup``).
``maillage communes centres FILE``: their centres, from a CSV (that package has none)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.lib import geo
from maillage.territory.actions import do_load_communes, do_set_commune_centres
from maillage.territory.models import Commune

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
        centres = sub.add_parser(
            "centres", help="set centres from a CSV: code, latitude, longitude"
        )
        centres.add_argument("file")
        centres.add_argument(
            "--skip-bad", action="store_true", help="set the good lines even if some are bad"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "centres":
            self._centres(Path(options["file"]), options["skip_bad"])
            return
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

    def _centres(self, path: Path, skip_bad: bool) -> None:
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
            ) from error
        points, problems = geo.read_points_csv(text)
        known = set(
            Commune.objects.filter(code__in=[p[0] for p in points]).values_list("code", flat=True)
        )
        messages = {
            "no_columns": _("no columns code, latitude and longitude in the header"),
            "bad_point": _("not a latitude and a longitude"),
            "no_code": _("no INSEE code"),
        }
        report = [(line, messages[key]) for line, key in problems]
        report += [
            (
                0,
                _("%(code)s is not a known commune: load the communes first.") % {"code": code},
            )
            for code, _lat, _lon in points
            if code not in known
        ]
        for line, message in report:
            where = _("line %(line)d: %(text)s") % {"line": line, "text": message}
            self.stderr.write(where if line else message)
        good = [p for p in points if p[0] in known]
        if report and not skip_bad:
            raise CommandError(
                ngettext(
                    "%(bad)d bad line: nothing set. Correct the file, or set the %(good)d good "
                    "ones with --skip-bad.",
                    "%(bad)d bad lines: nothing set. Correct the file, or set the %(good)d good "
                    "ones with --skip-bad.",
                    len(report),
                )
                % {"bad": len(report), "good": len(good)}
            )
        count = do_set_commune_centres(good)
        self.stdout.write(_("%(count)d commune centres set.") % {"count": count})
