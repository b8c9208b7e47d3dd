"""``maillage restore FILE``: restore a backup made by ``maillage backup`` into an empty
database and documents folder, after checking it against its manifest;
``--check`` only opens and checks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from maillage.core import backup


class Command(BaseCommand):
    help = "Restore a backup into an empty database, after checking it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file")
        parser.add_argument(
            "--check",
            action="store_true",
            help="only open the backup and check it against its manifest; change nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        try:
            summary = backup.restore(
                options["file"], check_only=options["check"], progress=self._say
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        message = (
            _(
                "Backup of %(created)s checked: %(tables)s tables, %(rows)s rows, "
                "%(documents)s documents, all as the manifest says (%(seconds)s s)."
            )
            if options["check"]
            else _(
                "Backup of %(created)s restored and checked: %(tables)s tables, %(rows)s "
                "rows, %(documents)s documents (%(seconds)s s)."
            )
        )
        self.stdout.write(
            message
            % {
                "created": _when(summary.manifest["created"]),
                "tables": summary.tables,
                "rows": number_format(summary.rows, force_grouping=True),
                "documents": number_format(summary.documents, force_grouping=True),
                "seconds": number_format(summary.seconds, 1),
            }
        )

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stderr.write(message)


def _when(created: str) -> str:
    moment = parse_datetime(created)
    if moment is None:
        return created
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
