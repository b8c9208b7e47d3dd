"""``maillage token create|revoke|list``: personal access tokens to the API, from the
command line (for scripts and for accounts that never open the web pages)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from maillage.core import tokens
from maillage.core.models import ApiToken, Member, User


class Command(BaseCommand):
    help = "Create, list or revoke personal access tokens to the API."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it (shown once)")
        create.add_argument("--user", required=True, help="username of the account")
        create.add_argument(
            "--scopes",
            default="read",
            help="comma-separated: read, write, export (export: administrators; default: read)",
        )
        create.add_argument(
            "--structure",
            type=int,
            help="id of the structure the token acts in (needed with several memberships)",
        )
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument(
            "--expires-days", type=int, default=None, help="days before it expires (default: never)"
        )
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix", help="the 8 characters after “mlg_”")
        listing = sub.add_parser("list", help="list the tokens of an account")
        listing.add_argument("--user", required=True, help="username of the account")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "revoke":
            self._revoke(options["prefix"])
        else:
            self._list(options["user"])

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No account named “%(name)s”.") % {"name": username})
        if not user.is_active:
            raise CommandError(_("The account “%(name)s” is deactivated.") % {"name": username})
        return user

    def _member(self, user: User, structure_id: int | None) -> Member:
        memberships = Member.objects.active().filter(user=user).select_related("structure")
        if structure_id is not None:
            member = memberships.filter(structure_id=structure_id).first()
            if member is None:
                raise CommandError(
                    _("“%(name)s” has no active membership in structure %(id)s.")
                    % {"name": user.username, "id": structure_id}
                )
            return member
        found = list(memberships.order_by("structure_id")[:10])
        if not found:
            raise CommandError(
                _("“%(name)s” has no active membership: a token acts as one.")
                % {"name": user.username}
            )
        if len(found) > 1:
            choices = ", ".join(f"{m.structure_id} ({m.structure.name})" for m in found)
            raise CommandError(
                _(
                    "“%(name)s” is a member of several structures; "
                    "choose one with --structure: %(choices)s."
                )
                % {"name": user.username, "choices": choices}
            )
        return found[0]

    def _create(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        member = self._member(user, options["structure"])
        try:
            scopes = tokens.clean_scopes(options["scopes"].split(","))
        except ValueError as exc:
            raise CommandError(
                _("Unknown scope “%(scope)s”: use read, write, export or a list (read,write).")
                % {"scope": exc.args[0]}
                if exc.args[0]
                else _("Give at least one scope: read, write or read,write.")
            ) from None
        days = options["expires_days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError(_("--expires-days must be between 1 and 3650."))
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        name = options["name"].strip() or _("command line, %(date)s") % {
            "date": f"{timezone.localdate():%Y-%m-%d}"
        }
        try:
            token, text = tokens.do_create_token(
                member, name=name, scopes=scopes, expires_at=expires_at
            )
        except PermissionDenied:
            raise CommandError(
                _("Only the structure's administrator may hold the export scope.")
            ) from None
        self.stderr.write(
            _("Token %(prefix)s for %(name)s in %(structure)s (%(scopes)s), shown only once:")
            % {
                "prefix": token.prefix,
                "name": user.username,
                "structure": member.structure.name,
                "scopes": ", ".join(scopes),
            }
        )
        self.stdout.write(text)

    def _revoke(self, prefix: str) -> None:
        token = ApiToken.objects.filter(prefix=prefix.strip().removeprefix("mlg_")[:16]).first()
        if token is None:
            raise CommandError(_("No token with the prefix “%(prefix)s”.") % {"prefix": prefix})
        if not tokens.do_revoke_token(token):
            raise CommandError(
                _("The token %(prefix)s was already revoked.") % {"prefix": token.prefix}
            )
        self.stdout.write(
            _("Token %(prefix)s (%(name)s) revoked.") % {"prefix": token.prefix, "name": token.name}
        )

    def _list(self, username: str) -> None:
        user = self._user(username)
        rows = ApiToken.objects.filter(member__user=user).select_related("member__structure")
        for t in rows.order_by("-created_at", "-pk"):
            if t.revoked_at:
                state = pgettext("token", "revoked")
            else:
                usable = t.is_usable
                state = pgettext("token", "active") if usable else pgettext("token", "expired")
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else _("never used")
            self.stdout.write(
                f"{t.prefix}  {state:8}  {','.join(t.scopes):10}  "
                f"{t.member.structure.name}  {t.name}  ({used})"
            )
