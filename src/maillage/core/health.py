"""``/sante/``: is the service fine? For a supervision tool or nginx, without signing in.

Answers 200 when the database answers (and the replica reports read, when the server has
one) and the worker (``maillage worker``) came back in time, 503 otherwise, with a small
JSON body that says which part is wrong. It says
nothing about anyone: no count, no name, no version.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from maillage.core.models import Heartbeat

logger = logging.getLogger(__name__)

WORKER = "worker"


def check_database(alias: str = "default") -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.error("health: database %s unavailable (%s)", alias, type(exc).__name__)
        return "unavailable"
    return "ok"


def check_worker() -> str:
    beat = Heartbeat.objects.filter(name=WORKER).first()
    if beat is None:
        return "never seen"
    return "late" if beat.is_late() else "ok"


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = check_database()
    worker = check_worker() if database == "ok" else "unknown"
    parts = {"database": database, "worker": worker}
    if settings.REPORTS_DATABASE != "default":
        parts["reports"] = check_database(settings.REPORTS_DATABASE)
    fine = all(state == "ok" for state in parts.values())
    body = {"status": "ok" if fine else "degraded", **parts}
    return JsonResponse(body, status=200 if fine else 503)
