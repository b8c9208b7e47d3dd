"""Access-log reasons read in plain words, for the team and for the person."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from maillage.core.audit import log_event
from maillage.core.models import AccessEvent
from maillage.core.templatetags.core_tags import event_reason


def test_codes_read_in_plain_words_and_free_text_stays():
    with translation.override("fr"):
        assert event_reason("withdrawn") == "choix retiré"
    assert event_reason("Douleur thoracique, patient inconscient") == (
        "Douleur thoracique, patient inconscient"
    )


def test_the_person_reads_you_and_the_team_reads_the_person(
    as_person, person_user, person, as_admin
):
    log_event(action=AccessEvent.Action.UPDATE, user=person_user, person=person, reason="withdrawn")
    mine = as_person.get(reverse("portal:home")).content.decode()
    assert "Vous" in mine and "choix retiré" in mine
    theirs = as_admin.get(reverse("people:access_log", args=[person.pk])).content.decode()
    assert "La personne" in theirs and "choix retiré" in theirs
