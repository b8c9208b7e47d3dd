"""``maillage directory import|export``: the directory of a structure's territory, in
the data·inclusion format, from and to files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.core.models import Structure
from maillage.territory import actions
from maillage.territory import datainclusion as di


class Command(BaseCommand):
    help = "Import or export a structure's directory in the data·inclusion format."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="import data·inclusion JSON or CSV files")
        load.add_argument("files", nargs="+", help="JSON (structures and services) or CSV files")
        load.add_argument("--structure", type=int, required=True, help="id of the structure")
        load.add_argument(
            "--skip-bad", action="store_true", help="import the valid lines even if some are bad"
        )
        dump = sub.add_parser("export", help="write the directory as data·inclusion")
        dump.add_argument("--structure", type=int, required=True, help="id of the structure")
        dump.add_argument("--kind", choices=["structures", "services"], required=True)
        dump.add_argument("--format", choices=["json", "csv"], default="json")

    def _structure(self, pk: int) -> Structure:
        try:
            return Structure.objects.get(pk=pk)
        except Structure.DoesNotExist:
            raise CommandError(_("No structure with the id %(id)d.") % {"id": pk}) from None

    def handle(self, *args: Any, **options: Any) -> None:
        structure = self._structure(options["structure"])
        if options["action"] == "export":
            self._export(structure, options["kind"], options["format"])
            return
        files = []
        for name in options["files"]:
            try:
                files.append((name, Path(name).read_bytes()))
            except OSError as error:
                raise CommandError(
                    _("Cannot read %(file)s: %(error)s") % {"file": name, "error": error.strerror}
                ) from error
        report = actions.do_import_directory(
            structure, di.parse(files), keep_valid=options["skip_bad"]
        )
        for bad in report.errors:
            self.stderr.write(
                _("%(kind)s, line %(line)d (%(id)s): %(reasons)s")
                % {
                    "kind": bad.kind,
                    "line": bad.line,
                    "id": bad.identifier or "—",
                    "reasons": "; ".join(bad.reasons),
                }
            )
        if not report.applied:
            raise CommandError(
                ngettext(
                    "%(bad)d bad line: nothing imported. Correct the files, or import the "
                    "%(good)d valid lines with --skip-bad.",
                    "%(bad)d bad lines: nothing imported. Correct the files, or import the "
                    "%(good)d valid lines with --skip-bad.",
                    len(report.errors),
                )
                % {"bad": len(report.errors), "good": report.valid}
            )
        self.stdout.write(
            _("Imported: %(c)d new, %(u)d updated, %(n)d unchanged.")
            % {"c": report.created, "u": report.updated, "n": report.unchanged}
        )

    def _export(self, structure: Structure, kind: str, fmt: str) -> None:
        rows = actions.export_rows(structure, "structure" if kind == "structures" else "service")
        out = self.stdout
        if fmt == "csv":
            for chunk in di.to_csv("structure" if kind == "structures" else "service", rows):
                out.write(chunk)
            return
        out.write("[")
        for index, row in enumerate(rows):
            out.write(("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
