"""The secrets of an invitation to the personal space, and the throttling of wrong codes.

- The **link token** carries 256 random bits: a SHA-256 hash is enough to store it
  (``maillage.core.tokens.hash_secret``), there is nothing to brute-force.
- The **desk code** is short enough to be typed from paper: 10 characters from an
  alphabet without look-alikes (no 0/O, 1/I), about 50 bits. A plain hash of so few
  bits could be reversed from a copy of the database, so it is hashed with a key derived
  from ``SECRET_KEY`` (HMAC-SHA-256): without the key, the hashes reveal nothing.
- Wrong codes are **throttled**: after ``ATTEMPTS_PER_CLIENT`` wrong codes in
  ``ATTEMPT_WINDOW`` from one browser at one address, or ``ATTEMPTS_PER_ADDRESS`` from one
  address whatever the browser (a robot that drops its cookies), the page refuses to check
  codes until the window has passed. Attempts are counted in the database, so the limit
  holds across threads, processes and restarts.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from maillage.core.tokens import hash_secret
from maillage.portal.models import CodeAttempt

__all__ = [
    "ALPHABET",
    "ATTEMPTS_PER_ADDRESS",
    "ATTEMPTS_PER_CLIENT",
    "ATTEMPT_WINDOW",
    "CODE_LENGTH",
    "format_code",
    "hash_code",
    "hash_token",
    "is_throttled",
    "new_code",
    "new_token",
    "normalize_code",
    "record_wrong_code",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 characters: no 0, O, 1 or I
CODE_LENGTH = 10
CODE_GROUPS = (4, 4, 2)  # shown as K7QM-2XPA-9R
ATTEMPTS_PER_CLIENT = 5
ATTEMPTS_PER_ADDRESS = 50
ATTEMPT_WINDOW = timedelta(minutes=15)
SESSION_CLIENT_KEY = "maillage_portal_client"
_CODE_SALT = "maillage.portal.desk-code"
_CLIENT_SALT = "maillage.portal.client"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hash_secret(token)


def new_code() -> str:
    """A fresh desk code, in its normal form (10 characters, upper case, no separator)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``K7QM2XPA9R`` → ``K7QM-2XPA-9R``, easier to read aloud and to copy."""
    parts, start = [], 0
    for size in CODE_GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def normalize_code(text: str) -> str | None:
    """The code as typed (any case, spaces or dashes) in normal form; None if it cannot
    be a code (wrong length or a character outside the alphabet)."""
    code = "".join(ch for ch in text.upper() if ch not in " -.\t\u00a0")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def hash_code(code: str) -> str:
    return salted_hmac(_CODE_SALT, code, algorithm="sha256").hexdigest()


# --- Throttling --------------------------------------------------------------------------


def _address(request: HttpRequest) -> str:
    """The client's address, as django-axes sees it (same configuration)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _keys(request: HttpRequest) -> tuple[str, str]:
    """Keyed hashes of (browser at this address, address): never the address itself."""
    browser = request.session.get(SESSION_CLIENT_KEY)
    if not isinstance(browser, str):
        browser = secrets.token_urlsafe(16)
        request.session[SESSION_CLIENT_KEY] = browser
    address = _address(request)
    client_key = salted_hmac(_CLIENT_SALT, f"{address}|{browser}", algorithm="sha256")
    address_key = salted_hmac(_CLIENT_SALT, address, algorithm="sha256")
    return client_key.hexdigest(), address_key.hexdigest()


def is_throttled(request: HttpRequest) -> bool:
    """Whether this client typed too many wrong codes lately."""
    client_key, address_key = _keys(request)
    recent = CodeAttempt.objects.filter(at__gt=timezone.now() - ATTEMPT_WINDOW)
    if recent.filter(client_key=client_key).count() >= ATTEMPTS_PER_CLIENT:
        return True
    return recent.filter(address_key=address_key).count() >= ATTEMPTS_PER_ADDRESS


def record_wrong_code(request: HttpRequest) -> None:
    """Count one wrong code for this client, and forget those older than the window."""
    client_key, address_key = _keys(request)
    now = timezone.now()
    CodeAttempt.objects.filter(at__lte=now - ATTEMPT_WINDOW).delete()
    CodeAttempt.objects.create(client_key=client_key, address_key=address_key, at=now)
