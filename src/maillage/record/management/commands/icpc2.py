"""``maillage icpc2 load FILE`` / ``maillage icpc2 status``: the searchable list of
ICPC-2 (CISP-2) rubrics, loaded from the instance's own licensed copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.lib import icpc2
from maillage.record.actions import do_load_icpc2_rubrics
from maillage.record.models import Icpc2Rubric

MAX_FILE_BYTES = 10 * 1024 * 1024


def problem_message(problem: icpc2.Problem) -> str:
    """A line of the loader's report, in words."""
    messages = {
        "no_columns": _(
            "no column of codes and titles found: give a header (code, titre) or two "
            "columns, code then title"
        ),
        "too_many_lines": _("too many lines for ICPC-2 (at most %(n)d): is it the right file?")
        % {"n": icpc2.MAX_ROWS},
        "bad_code": _("“%(value)s” is not an ICPC-2 code (a letter and two digits)"),
        "no_title": _("code %(value)s has no title"),
        "too_long": _("the title or the inclusions of %(value)s are too long"),
        "duplicate": _("code %(value)s is given a second time"),
        "generic_process": _(
            "%(value)s is a process code common to every chapter: ignored, the file's "
            "chapter codes are used"
        ),
        "empty": _("the file is empty"),
    }
    text = messages[problem.message] % {"value": problem.value}
    if problem.line:
        return _("line %(line)d: %(text)s") % {"line": problem.line, "text": text}
    return text


class Command(BaseCommand):
    help = "Load the list of ICPC-2 (CISP-2) rubrics from a licensed file, or show it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="replace the list by the rubrics of a CSV file")
        load.add_argument("file", help="CSV (comma, semicolon or tab), UTF-8 or Windows-1252")
        load.add_argument(
            "--source",
            default="",
            help="edition and licence, shown to the team (default: file name)",
        )
        load.add_argument(
            "--skip-bad", action="store_true", help="load the good lines even if some are bad"
        )
        sub.add_parser("status", help="say which list is loaded")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self._status()
        else:
            self._load(Path(options["file"]), options["source"], options["skip_bad"])

    def _status(self) -> None:
        count = Icpc2Rubric.objects.count()
        if not count:
            self.stdout.write(_("No ICPC-2 list is loaded: codes are checked for form only."))
            return
        first = Icpc2Rubric.objects.order_by("code").first()
        loaded = Icpc2Rubric.objects.aggregate(at=Max("loaded_at"))["at"]
        self.stdout.write(
            ngettext(
                "%(count)d rubric from “%(source)s”, loaded on %(at)s.",
                "%(count)d rubrics from “%(source)s”, loaded on %(at)s.",
                count,
            )
            % {
                "count": count,
                "source": first.source if first else "",
                "at": date_format(timezone.localtime(loaded), "DATETIME_FORMAT") if loaded else "",
            }
        )

    def _load(self, path: Path, source: str, skip_bad: bool) -> None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(_("This file is too big for a list of rubrics."))
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror}
            ) from error
        parsed = icpc2.parse_rubric_file(data)
        for problem in parsed.ignored:
            self.stdout.write(problem_message(problem))
        for problem in parsed.problems:
            self.stderr.write(problem_message(problem))
        if not parsed.rubrics:
            raise CommandError(_("No rubric to load: the list is unchanged."))
        if parsed.problems and not skip_bad:
            raise CommandError(
                ngettext(
                    "%(bad)d bad line: nothing loaded, the list is unchanged. Correct the "
                    "file, or load the %(good)d good lines with --skip-bad.",
                    "%(bad)d bad lines: nothing loaded, the list is unchanged. Correct the "
                    "file, or load the %(good)d good lines with --skip-bad.",
                    len(parsed.problems),
                )
                % {"bad": len(parsed.problems), "good": len(parsed.rubrics)}
            )
        count = do_load_icpc2_rubrics(parsed.rubrics, source or path.name)
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("%(count)d rubric loaded.", "%(count)d rubrics loaded.", count)
                % {"count": count}
            )
        )
