from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from maillage.agenda.models import MemberLanguage
from maillage.core.roles import Role
from tests.conftest import make_member


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A local time ``days`` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def social_worker(centre):
    return make_member(centre, "social", Role.SOCIAL_WORKER, "assistant_social")


@pytest.fixture
def arabic_interpreter(interpreter):
    MemberLanguage.objects.create(member=interpreter, language="ar")
    return interpreter
