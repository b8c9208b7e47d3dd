from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from maillage.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_is_loaded, load_demo


class Command(BaseCommand):
    help = "Load the synthetic demo centre if the database is empty, and print the accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        if demo_is_loaded():
            self.stdout.write(_("The database already holds data: nothing loaded."))
        else:
            self.stdout.write(_("Loading the demo centre (synthetic data)…"))
            load_demo(persons=options["persons"])
        self.stdout.write("")
        self.stdout.write(
            _("Demo accounts (password: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for username, first, last, role, _profession, _where in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<14} {first} {last} — {role.label}")
        self.stdout.write(f"  {'usager':<14} " + _("a person using their own space"))
