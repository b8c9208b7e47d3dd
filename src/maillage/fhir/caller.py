"""Who calls the FHIR interface.

A member's program authenticates with a personal access token
(``Authorization: Bearer mlg_…``), which acts as one membership with its scopes (read,
write, export). A person signed in to their own space reads their own data with their
session (their ``Patient`` and ``Patient/{id}/$everything``), like "download my data".
Members' browser sessions are not accepted: the web pages are their interface, and a
session cannot carry scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from maillage.core import ratelimit, tokens
from maillage.core.models import ApiToken, Member
from maillage.fhir.errors import FhirError, Issue, fail
from maillage.people.models import Person

READ, WRITE, EXPORT = "read", "write", "export"


@dataclass(frozen=True)
class Caller:
    """A member acting through a token, or a person reading their own data."""

    member: Member | None = None
    person: Person | None = None
    user: Any = None
    scopes: frozenset[str] = frozenset()
    token: ApiToken | None = None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise fail(
                403,
                "forbidden",
                _("This token does not have the “%(scope)s” right.") % {"scope": scope},
            )

    @property
    def structure_id(self) -> int | None:
        return self.member.structure_id if self.member is not None else None


def unauthenticated() -> FhirError:
    return FhirError(
        401,
        [
            Issue(
                "login",
                _(
                    "Authentication required: send a valid, unrevoked token as "
                    "“Authorization: Bearer …”."
                ),
            )
        ],
    )


def authenticate(request: HttpRequest) -> Caller:
    """The caller of this request, or a 401 OperationOutcome."""
    header = request.headers.get("Authorization", "")
    if header:
        kind, _sep, raw = header.partition(" ")
        if kind.lower() != "bearer" or not raw.strip():
            raise unauthenticated()
        try:
            token = tokens.authenticate_request(request, raw.strip())
        except ratelimit.RateLimited as exc:
            raise FhirError(
                429,
                [Issue("throttled", ratelimit.token_rate_limit_message())],
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        if token is None:
            raise unauthenticated()
        return Caller(
            member=token.member,
            user=token.member.user,
            scopes=frozenset(token.scopes or ()),
            token=token,
        )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        person = Person.objects.filter(user=user, merged_into__isnull=True).first()
        if person is not None:
            return Caller(person=person, user=user, scopes=frozenset({READ}))
    raise unauthenticated()
