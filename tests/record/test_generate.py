"""Scale data: ``maillage generate --persons N --entries M``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from maillage.core.access import section_right
from maillage.record.models import Entry, Participant


@pytest.mark.django_db
def test_it_writes_about_the_entries_asked_with_one_heavy_record():
    out = StringIO()
    call_command("generate", persons=40, entries=3000, seed=3, stdout=out)
    total = Entry.objects.count()
    assert 2400 <= total <= 3600
    per_person = list(
        Entry.objects.values("person")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
    )
    assert 1600 <= per_person[0] <= 2400
    # Every entry is written by a member allowed to write in its section.
    for role, section in Entry.objects.values_list("author__role", "section").distinct():
        assert section_right(role, section) == "rw", (role, section)
    assert Participant.objects.filter(kind="interpreter").exists()
    documents = Entry.objects.filter(kind="document")
    assert documents.exists() and not documents.filter(document__isnull=True).exists()
    assert str(total) in out.getvalue()


@pytest.mark.django_db
def test_it_refuses_negative_entries():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("generate", persons=1, entries=-1)
