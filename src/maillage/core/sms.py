"""Text messages (SMS), sent through the backend chosen by ``MAILLAGE_SMS_BACKEND``.

- ``console`` prints each message on standard output, like Django's console e-mail
  backend (the default: nothing leaves the server);
- ``memory`` keeps them in ``outbox``, like ``django.core.mail.outbox`` (tests);
- ``webhook`` posts ``{"to": …, "text": …}`` as JSON to ``MAILLAGE_SMS_WEBHOOK_URL``,
  with ``Authorization: Bearer <MAILLAGE_SMS_WEBHOOK_TOKEN>`` when a token is set: a small
  bridge to the structure's SMS provider, which Maillage does not depend on.

A message that cannot be handed over raises ``SmsError``; callers tell the member.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urlsplit

from django.conf import settings

from maillage.lib.phone import normalize_phone

__all__ = ["SmsError", "SmsMessage", "french_mobile", "outbox", "send_sms"]

WEBHOOK_TIMEOUT_SECONDS = 10
BACKENDS = ("console", "memory", "webhook")

# French mobile numbers in national form, and the country code to dial them with: 06 and
# 07 in metropolitan France, and the mobile ranges of the overseas departments (which
# share the "06" national prefix but not the +33 country code).
_OVERSEAS_MOBILE = {
    "0639": "262",  # Mayotte
    "0692": "262",  # La Réunion
    "0693": "262",
    "0690": "590",  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    "0691": "590",
    "0694": "594",  # Guyane
    "0696": "596",  # Martinique
    "0697": "596",
}


class SmsError(Exception):
    """The message could not be handed to the SMS backend."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


# Messages "sent" with the memory backend, oldest first.
outbox: list[SmsMessage] = []


def french_mobile(text: str) -> str | None:
    """A French mobile number in international form (``+33612345678``), or None.

    Accepts every spelling ``normalize_phone`` understands (``06 12 34 56 78``,
    ``+33 6…``, ``0033 7…``, overseas ``+262 692…``); landlines, short numbers and
    foreign numbers give None: a text message cannot reach them, or may cost the person.
    """
    national = normalize_phone(text)
    if len(national) != 10 or not national.isdigit() or national[:2] not in {"06", "07"}:
        return None
    country = _OVERSEAS_MOBILE.get(national[:4], "33")
    return f"+{country}{national[1:]}"


def send_sms(to: str, text: str) -> None:
    """Send one text message; ``SmsError`` when the backend refuses or cannot be reached."""
    backend = settings.SMS_BACKEND
    if backend == "memory":
        outbox.append(SmsMessage(to=to, text=text))
    elif backend == "console":
        sys.stdout.write(f"To: {to}\n\n{text}\n{'-' * 79}\n")
        sys.stdout.flush()
    elif backend == "webhook":
        _post_to_webhook(to, text)
    else:
        raise SmsError(f"unknown SMS backend {backend!r}")


def _post_to_webhook(to: str, text: str) -> None:
    url = settings.SMS_WEBHOOK_URL
    if urlsplit(url).scheme not in {"http", "https"}:
        raise SmsError("MAILLAGE_SMS_WEBHOOK_URL must be an http or https address")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Maillage"}
    if settings.SMS_WEBHOOK_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SMS_WEBHOOK_TOKEN}"
    body = json.dumps({"to": to, "text": text}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise SmsError(f"the SMS webhook answered {exc.code}") from None
    except (urllib.error.URLError, HTTPException, OSError, ValueError) as exc:
        # Never echo the URL or the message: the text holds a secret link.
        raise SmsError(f"the SMS webhook cannot be reached ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        raise SmsError(f"the SMS webhook answered {status}")
