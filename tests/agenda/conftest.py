from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from maillage.agenda.models import MemberLanguage


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A local time ``days`` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def arabic_interpreter(interpreter):
    MemberLanguage.objects.create(member=interpreter, language="ar")
    return interpreter
