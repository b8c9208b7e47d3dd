"""``maillage backup [FILE]``: an encrypted backup of the database and the documents
(``core/backup.py``); ``maillage backup --new-key`` prints a key for
``MAILLAGE_BACKUP_KEY``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from maillage.core import backup


class Command(BaseCommand):
    help = "Write an encrypted backup of the database and the uploaded documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            help="where to write it (default: MAILLAGE_BACKUP_DIR/maillage-DATE-TIME.backup)",
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="after the backup, remove the backups of its folder older than this many "
            "days (never the one just written)",
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="print a new key for MAILLAGE_BACKUP_KEY and stop",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        if options["new_key"]:
            self.stdout.write(backup.new_key_text())
            return
        keep_days = options["keep_days"]
        if keep_days is not None and keep_days < 1:
            raise CommandError(_("--keep-days must be at least 1."))
        try:
            summary = backup.backup(options["file"], progress=self._say)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _(
                "Backup written: %(path)s (%(size)s MB, %(tables)s tables, %(rows)s rows, "
                "%(documents)s documents) in %(seconds)s s."
            )
            % {
                "path": summary.path,
                "size": number_format(summary.bytes / 1e6, 1),
                "tables": summary.tables,
                "rows": number_format(summary.rows, force_grouping=True),
                "documents": number_format(summary.documents, force_grouping=True),
                "seconds": number_format(summary.seconds, 1),
            }
        )
        if keep_days is not None:
            for old in backup.prune(summary.path.parent, keep_days, summary.path):
                self.stdout.write(_("Old backup removed: %(path)s") % {"path": old})

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stderr.write(message)
