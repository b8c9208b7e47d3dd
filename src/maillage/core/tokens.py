"""Personal access tokens to the JSON API: issue, check, revoke.

A token reads ``mlg_<prefix>_<secret>``. The prefix is public (it names the token in
lists and on the command line); only a SHA-256 hash of the secret is stored, so a copy
of the database does not hand out working tokens. The secret carries 256 random bits:
a fast hash is enough, there is nothing to brute-force.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from maillage.core import ratelimit
from maillage.core.audit import log_event
from maillage.core.models import AccessEvent, ApiToken, Member

TOKEN_TAG = "mlg"  # noqa: S105 (the public start of every token, not a secret)
PREFIX_LENGTH = 8
# A token that was used less than this long ago is not written again on each request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)
SCOPES = tuple(ApiToken.Scope.values)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse(raw: str) -> tuple[str, str] | None:
    """``mlg_<prefix>_<secret>`` → (prefix, secret), or None when it is not one."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_TAG:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or not prefix.isascii() or not prefix.isalnum():
        return None
    if not 20 <= len(secret) <= 100 or not secret.isascii():
        return None
    return prefix, secret


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """The known scopes, in a stable order; ValueError on an unknown one."""
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValueError(sorted(unknown)[0])
    if not wanted:
        raise ValueError("")
    return [s for s in SCOPES if s in wanted]


def scopes_for(member: Member) -> list[str]:
    """The scopes this member may give a token: bulk export only for a member who may
    export (the administrator, or a member given the right: docs/adr/0010)."""
    from maillage.core.access import can

    return [
        s
        for s in SCOPES
        if s != ApiToken.Scope.EXPORT or can(member, "bulk_export", member.structure)
    ]


@transaction.atomic
def do_create_token(
    member: Member,
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the membership; returns it with its full text, shown only once.
    PermissionDenied for a scope the member may not give (``scopes_for``)."""
    scope_list = clean_scopes(scopes)
    if not set(scope_list) <= set(scopes_for(member)):
        raise PermissionDenied("scope")
    while True:
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        member=member,
        name=name.strip()[:100],
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=scope_list,
        expires_at=expires_at,
    )
    log_event(action=AccessEvent.Action.CREATE, member=member, obj=token, reason="api_token")
    return token, f"{TOKEN_TAG}_{prefix}_{secret}"


@transaction.atomic
def do_revoke_token(token: ApiToken, by: Member | None = None) -> bool:
    """Revoke a token at once; False when it was already revoked."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    log_event(
        action=AccessEvent.Action.UPDATE,
        member=by or token.member,
        obj=token,
        reason="api_token_revoked",
    )
    return True


def authenticate_request(request: HttpRequest, raw: str) -> ApiToken | None:
    """``authenticate``, for a client that has not failed too often lately: each failure
    counts against its address, and a client past the limit is refused with
    ``ratelimit.RateLimited`` before its token is even looked at."""
    address = ratelimit.client_address(request)
    ratelimit.check(ratelimit.TOKEN_FAILURES, address)
    token = authenticate(raw)
    if token is None:
        ratelimit.hit(ratelimit.TOKEN_FAILURES, address)
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The usable token this text is, with its active membership; None otherwise."""
    parsed = parse(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = (
        ApiToken.objects.usable()
        .select_related("member__user", "member__structure")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    member = token.member
    if not (member.is_active and member.user.is_active):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
