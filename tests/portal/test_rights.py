"""The person reads their rights, their applications (with the documents still to bring)
and their latest estimate in their space; nobody else reads them there."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.rights import actions
from maillage.rights.models import RightKind, RightsEstimate, RightStatus

URL = reverse("portal:rights")


def test_the_person_reads_their_rights(as_person, person, person_user, social_worker):
    access = record_access(social_worker, person)
    actions.do_add_right(
        access,
        actions.RightInput(
            kind=RightKind.objects.get(structure=None, code="css"),
            status=RightStatus.OPEN,
            ends_on=timezone.localdate() + datetime.timedelta(days=100),
        ),
    )
    application = actions.do_open_application(
        access, RightKind.objects.get(structure=None, code="rsa")
    )
    RightsEstimate.objects.create(
        person=person,
        inputs={},
        lines=[{"code": "ppa", "likely": True, "monthly": "120.00", "note": ""}],
        legislation=timezone.localdate().replace(day=1),
        version="test",
        created_by=social_worker,
    )
    response = as_person.get(URL)
    assert response.status_code == 200
    assert [r.kind.code for r in response.context["rights"]] == ["css", "rsa"]
    [(shown, missing)] = response.context["applications"]
    assert shown == application and len(missing) == application.documents.count() > 0
    assert response.context["likely"] == [(response.context["likely"][0][0], "120.00", True)]
    assert AccessEvent.objects.filter(
        actor_user=person_user, person=person, section="social", action="read"
    ).exists()
    assert reverse("portal:rights") in as_person.get(reverse("portal:home")).content.decode()


def test_only_the_person_in_their_space(as_social, as_other, as_outsider):
    for client in (as_social, as_other, as_outsider):
        assert as_social.get(URL).status_code in {302, 404}
        assert client.get(URL).status_code in {302, 404}
