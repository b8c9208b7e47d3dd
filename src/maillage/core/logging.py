"""Logs as one JSON object per line, without personal data.

Each line holds ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; a record
about a request adds its ``method``, its ``path`` and its ``status``; a record with an
exception adds its ``exception`` (the traceback: it is needed to fix the error).

What never appears: the query string (``?q=`` holds the names searched), the request
body, headers and cookies, the user. Only the fields above are written, never the
``request`` object itself (its repr would carry the query string). The app's paths hold
numeric ids only, except those that carry a secret (an invitation, a calendar address, a
password reset key): any path segment longer than ``MAX_SEGMENT`` characters, and the one
after ``invitation``, ``activer``, ``key`` or ``ical``, is replaced by ``***``, in the
``path`` and in the message.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from django.http import HttpRequest

MAX_SEGMENT = 20
MASK = "***"
# Segments after these carry a secret, whatever their length (as in deploy/nginx).
SECRET_AFTER = frozenset({"invitation", "activer", "key", "ical"})


def mask_path(path: str) -> str:
    """The path without its secrets: long segments, and those after a secret's name."""
    path = path.split("?", 1)[0]
    segments = path.split("/")
    masked = []
    previous = ""
    for segment in segments:
        if len(segment) > MAX_SEGMENT or (segment and previous in SECRET_AFTER):
            masked.append(MASK)
        else:
            masked.append(segment)
        previous = segment
    return "/".join(masked)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOGGING["formatters"]``)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            path = request.path
            safe_path = mask_path(path)
            if path and path != safe_path:
                # Django writes the path in its messages, escaped (django.utils.log).
                escaped = path.encode("unicode_escape").decode("ascii")
                message = message.replace(path, safe_path).replace(escaped, safe_path)
            entry["message"] = message
            entry["method"] = request.method
            entry["path"] = safe_path
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
