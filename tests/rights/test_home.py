"""The team's home page lists the rights ending within 60 days, to whoever reads the
persons' social section."""

from __future__ import annotations

import datetime

from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.record.actions import do_record_choice
from maillage.rights import actions
from maillage.rights.models import RightKind, RightStatus


def add(member, person, code, in_days):
    ends = timezone.localdate() + datetime.timedelta(days=in_days)
    return actions.do_add_right(
        record_access(member, person),
        actions.RightInput(
            kind=RightKind.objects.get(structure=None, code=code),
            status=RightStatus.OPEN,
            starts_on=ends - datetime.timedelta(days=365),
            ends_on=ends,
        ),
    )


def test_rights_ending_soon_on_the_home_page(
    as_social, as_doctor, as_reception, social_worker, person, make_person
):
    add(social_worker, person, "css", 20)
    add(social_worker, person, "rsa", 90)  # later than 60 days
    refusing = make_person(birth_name="ROUX", given_names="Lina", sex="F")
    add(social_worker, refusing, "ame", 10)
    do_record_choice(
        refusing,
        kind="refuse",
        section=Section.SOCIAL,
        role=Role.GP,
        user=social_worker.user,
        on_behalf_by=social_worker,
    )
    social = as_social.get("/").context
    assert [r.kind.code for r in social["expiring_rights"]] == ["ame", "css"]
    assert social["expiring_count"] == 2
    # The GP reads the social section, except where the person refused it to GPs.
    assert [r.kind.code for r in as_doctor.get("/").context["expiring_rights"]] == ["css"]
    # Reception does not read it: no such list.
    assert "expiring_rights" not in as_reception.get("/").context
    assert AccessEvent.objects.filter(
        actor_member=social_worker, person=person, section="social", reason="home"
    ).exists()
