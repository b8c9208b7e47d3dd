"""Rate limits counted in Django's cache: failed token authentications, token creations.

A limit allows ``attempts`` hits (failures, creations) in a window of ``window`` seconds
that starts with the first one; once they are spent, the client is refused until the
window ends (``retry_after`` says in how many seconds: the ``Retry-After`` header of the
429 answer).

The cache is the process's own memory unless another cache is configured (``CACHES``):
``maillage serve`` runs one process, so the count holds for the whole server; a restart
forgets it. Clients are told apart by a keyed hash of their address (as django-axes sees
it, behind the trusted proxy), never the address itself. The login page is not limited
here: django-axes locks accounts, and allauth limits password resets.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

_SALT = "maillage.core.ratelimit"


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window: int  # seconds


class RateLimited(Exception):
    """Refused: too many hits lately; try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


# Bearer tokens carry 256 random bits: guessing one is hopeless, but a program sending a
# wrong or revoked token in a loop is stopped, and so is a scan of token prefixes.
TOKEN_FAILURES = Limit("token-failure", attempts=20, window=10 * 60)
# Tokens a member creates on the "API tokens" page.
TOKEN_CREATIONS = Limit("token-creation", attempts=10, window=60 * 60)


def client_address(request: HttpRequest) -> str:
    """The client's address, as django-axes sees it (the same proxy configuration)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _keys(limit: Limit, who: str) -> tuple[str, str]:
    digest = salted_hmac(_SALT, f"{limit.name}|{who}", algorithm="sha256").hexdigest()
    base = f"maillage:ratelimit:{limit.name}:{digest}"
    return f"{base}:count", f"{base}:start"


def retry_after(limit: Limit, who: str) -> int | None:
    """Seconds before ``who`` (an address, a member id…) may try again; None: now."""
    count_key, start_key = _keys(limit, who)
    count = cache.get(count_key)
    if count is None or count < limit.attempts:
        return None
    start = cache.get(start_key)
    if start is None:
        return limit.window
    return max(1, math.ceil(start + limit.window - time.time()))


def hit(limit: Limit, who: str) -> None:
    """Count one hit of ``who`` in the current window (opening one if needed)."""
    count_key, start_key = _keys(limit, who)
    cache.add(start_key, time.time(), limit.window)
    cache.add(count_key, 0, limit.window)
    try:
        cache.incr(count_key)
    except ValueError:  # the window ended between the two calls
        cache.set(count_key, 1, limit.window)
        cache.set(start_key, time.time(), limit.window)


def check(limit: Limit, who: str) -> None:
    """RateLimited when ``who`` has spent its hits."""
    wait = retry_after(limit, who)
    if wait is not None:
        raise RateLimited(wait)


def token_rate_limit_message() -> str:
    """Why a token is refused (the API's and the FHIR interface's 429)."""
    return _(
        "Too many attempts with an invalid token from this address: try again in a few minutes."
    )


def body_too_large_message() -> str:
    """Why a request body is refused (the API's and the FHIR interface's 413): larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    return _("The request is too large (at most %(size)s MB).") % {
        "size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2**20
    }
