"""``maillage referrals follow-up``: a follow-up task for every referral without news for
MAILLAGE_REFERRAL_OVERDUE_DAYS days that has none open yet. Meant to run daily (cron);
running it twice makes nothing twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maillage.coordination.actions.tasks import create_follow_up_tasks
from maillage.core.models import Structure


class Command(BaseCommand):
    help = "Follow-up tasks for referrals without news."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        follow = sub.add_parser(
            "follow-up", help="create the follow-up tasks of referrals without news (daily)"
        )
        follow.add_argument(
            "--structure", type=int, help="id of one structure (default: every structure)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        structure_id = options.get("structure")
        if structure_id is not None and not Structure.objects.filter(pk=structure_id).exists():
            raise CommandError(_("No structure with the id %(id)d.") % {"id": structure_id})
        created = create_follow_up_tasks(structure_id=structure_id)
        self.stdout.write(
            ngettext("%(n)d follow-up task created.", "%(n)d follow-up tasks created.", created)
            % {"n": created}
        )
