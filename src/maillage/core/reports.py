"""Where reports and indicators read: a read-only replica of the database when the server
has one (``MAILLAGE_REPORTS_DATABASE_URL``, docs/deploiement.md), else the database itself.

Only aggregate reading goes there (counts, durations, shares): a replica is a few seconds
behind, which a yearly figure does not notice and a record being written would. Writes,
access checks and the access log stay on ``default``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)
P = ParamSpec("P")
R = TypeVar("R")

# Set while a report is computed again on the database itself (the replica did not answer).
_fallback: ContextVar[bool] = ContextVar("maillage_reports_fallback", default=False)


def reporting(model: type[M]) -> QuerySet[M]:
    """All of ``model``'s rows, read where reports read."""
    alias = "default" if _fallback.get() else settings.REPORTS_DATABASE
    return model._default_manager.using(alias)


def computed(report: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``report(*args, **kwargs)``, read on the replica; on the database itself when the
    replica does not answer (the page still shows its figures, the log says why)."""
    try:
        return report(*args, **kwargs)
    except DatabaseError as exc:
        if settings.REPORTS_DATABASE == "default" or _fallback.get():
            raise
        logger.warning("reports: the replica does not answer (%s)", type(exc).__name__)
    token = _fallback.set(True)
    try:
        return report(*args, **kwargs)
    finally:
        _fallback.reset(token)
