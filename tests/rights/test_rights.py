"""A person's right through its pages: recorded, changed (a later end is a renewal), its
history shown; read by the GP, written by the social worker, hidden from everyone else;
bad input refused on the form, never a 500, nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role
from maillage.rights import actions
from maillage.rights.models import PersonRight, RightChange, RightKind, RightStatus
from tests.conftest import client_for, make_member

TODAY = timezone.localdate()


def day(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def national(code: str) -> RightKind:
    return RightKind.objects.get(structure=None, code=code)


def add_url(person) -> str:
    return reverse("rights:right_add", args=[person.pk])


def edit_url(right) -> str:
    return reverse("rights:right_edit", args=[right.person_id, right.pk])


def held_right(member, person, code="css", ends_in=20) -> PersonRight:
    return actions.do_add_right(
        record_access(member, person),
        actions.RightInput(
            kind=national(code),
            status=RightStatus.OPEN,
            starts_on=TODAY - datetime.timedelta(days=300),
            ends_on=TODAY + datetime.timedelta(days=ends_in),
            reference="REF-1",
        ),
    )


def posted(kind, **more) -> dict[str, object]:
    data = {
        "kind": kind.pk,
        "status": RightStatus.OPEN,
        "starts_on": day(-10),
        "ends_on": day(355),
        "reference": " 123 456 ",
        "follower": "",
        "notes": "",
    }
    data.update(more)
    return data


def test_it_records_a_right(as_social, social_worker, person):
    page = as_social.get(add_url(person) + "?droit=css")
    assert page.status_code == 200
    assert page.context["form"]["kind"].value() == national("css").pk
    assert page.context["form"]["follower"].value() == social_worker.pk
    response = as_social.post(add_url(person), posted(national("css"), follower=social_worker.pk))
    assert response.status_code == 302
    assert response.url == reverse("rights:overview", args=[person.pk])
    right = PersonRight.objects.get(person=person)
    assert (right.kind.code, right.status, right.reference) == ("css", "open", "123 456")
    assert right.follower == social_worker
    assert right.ends_on == TODAY + datetime.timedelta(days=355)
    assert list(right.changes.values_list("what", flat=True)) == [RightChange.What.CREATED]
    assert AccessEvent.objects.filter(
        actor_member=social_worker, person=person, section="social", action="create"
    ).exists()


def test_it_offers_the_national_rights_and_the_structures_own(
    as_social, person, centre, other_centre
):
    own = RightKind.objects.create(structure=centre, code="aide-ccas", label="Aide du CCAS")
    elsewhere = RightKind.objects.create(structure=other_centre, code="aide-b", label="Aide B")
    unused = RightKind.objects.create(
        structure=centre, code="vieille", label="Vieille aide", is_active=False
    )
    field = as_social.get(add_url(person)).context["form"].fields["kind"]
    choices = {int(str(value)) for value, _label in field.choices if value}
    assert own.pk in choices and national("ame").pk in choices
    assert elsewhere.pk not in choices and unused.pk not in choices


def test_the_edit_page_shows_the_history_and_logs_the_read(as_social, social_worker, person):
    right = held_right(social_worker, person)
    page = as_social.get(edit_url(right))
    assert page.status_code == 200
    assert page.context["form"] is not None
    assert [c.what for c in page.context["changes"]] == [RightChange.What.CREATED]
    body = page.content.decode()
    assert 'id="history-title"' in body and "<table" in body
    assert 'aria-labelledby="edit-title"' in body
    assert AccessEvent.objects.filter(
        actor_member=social_worker,
        person=person,
        section="social",
        action="read",
        object_id=str(right.pk),
    ).exists()


def test_a_later_end_for_a_held_right_is_a_renewal(as_social, social_worker, person):
    right = held_right(social_worker, person, ends_in=20)
    response = as_social.post(
        edit_url(right),
        posted(right.kind, starts_on=day(21), ends_on=day(21 + 365), reference="REF-2"),
    )
    assert response.status_code == 302
    assert response.url == edit_url(right)
    right.refresh_from_db()
    assert right.ends_on == TODAY + datetime.timedelta(days=21 + 365)
    change = right.changes.first()
    assert change is not None
    assert change.what == RightChange.What.RENEWED
    assert change.before["ends_on"] == day(20)
    assert change.by == social_worker
    assert AccessEvent.objects.filter(
        actor_member=social_worker, person=person, section="social", action="update"
    ).exists()
    # The history shows both changes, newest first.
    page = as_social.get(edit_url(right))
    assert [c.what for c in page.context["changes"]] == ["renewed", "created"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"starts_on": day(10), "ends_on": day(5)}, "ends_on"),
        ({"ends_on": "1492-10-12"}, "ends_on"),
        ({"starts_on": "31/02/2026"}, "starts_on"),
        ({"kind": 99999999}, "kind"),
        ({"kind": "css"}, "kind"),
        ({"kind": "99999999999999999999999"}, "kind"),
        ({"status": "granted"}, "status"),
        ({"follower": "abc"}, "follower"),
        ({"reference": "x" * 101}, "reference"),
    ],
)
def test_bad_input_is_refused_on_the_form(as_social, social_worker, person, change, error):
    right = held_right(social_worker, person)
    before = RightChange.objects.count()
    for url in (add_url(person), edit_url(right)):
        response = as_social.post(url, {**posted(right.kind), **change})
        assert response.status_code == 400
        assert error in response.context["form"].errors
    assert PersonRight.objects.count() == 1
    assert RightChange.objects.count() == before
    right.refresh_from_db()
    assert right.reference == "REF-1"


def test_a_right_or_member_of_another_structure_cannot_be_chosen(
    as_social, person, other_member, other_centre
):
    other = RightKind.objects.create(structure=other_centre, code="x", label="X")
    response = as_social.post(add_url(person), posted(other))
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    response = as_social.post(add_url(person), posted(national("css"), follower=other_member.pk))
    assert response.status_code == 400
    assert "follower" in response.context["form"].errors
    assert not PersonRight.objects.exists()


def test_a_right_put_out_of_use_can_still_be_changed(as_social, social_worker, person, centre):
    kind = RightKind.objects.create(structure=centre, code="aide", label="Aide")
    right = actions.do_add_right(
        record_access(social_worker, person),
        actions.RightInput(kind=kind, status=RightStatus.OPEN),
    )
    kind.is_active = False
    kind.save(update_fields=["is_active"])
    page = as_social.get(edit_url(right))
    assert page.status_code == 200
    response = as_social.post(edit_url(right), posted(kind, status=RightStatus.ENDED))
    assert response.status_code == 302
    right.refresh_from_db()
    assert right.status == RightStatus.ENDED
    # But it is offered to no new right.
    assert (
        kind
        not in as_social.get(reverse("rights:right_add", args=[person.pk]))
        .context["form"]
        .fields["kind"]
        .queryset
    )


def test_the_right_must_be_the_persons(as_social, social_worker, person, make_person):
    other = make_person(birth_name="DURAND", given_names="Jean")
    right = held_right(social_worker, other)
    url = reverse("rights:right_edit", args=[person.pk, right.pk])
    assert as_social.get(url).status_code == 404
    assert as_social.post(url, posted(right.kind, ends_on=day(900))).status_code == 404
    assert as_social.get(f"/droits/{person.pk}/droit/99999999999999999999/").status_code == 404
    right.refresh_from_db()
    assert right.ends_on == TODAY + datetime.timedelta(days=20)


def test_the_gp_reads_the_right_but_does_not_change_it(as_doctor, social_worker, person):
    right = held_right(social_worker, person)
    page = as_doctor.get(edit_url(right))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert 'aria-labelledby="edit-title"' not in page.content.decode()
    assert len(page.context["changes"]) == 1
    assert as_doctor.post(edit_url(right), posted(right.kind, ends_on=day(900))).status_code == 404
    assert as_doctor.get(add_url(person)).status_code == 404
    assert as_doctor.post(add_url(person), posted(national("rsa"))).status_code == 404
    right.refresh_from_db()
    assert right.ends_on == TODAY + datetime.timedelta(days=20)
    assert PersonRight.objects.count() == 1


@pytest.mark.parametrize("who", ["as_reception", "as_other", "as_outsider", "as_person"])
def test_others_see_nothing(who, request, social_worker, person):
    right = held_right(social_worker, person)
    client = request.getfixturevalue(who)
    for url in (add_url(person), edit_url(right)):
        assert client.get(url).status_code in {302, 404}
        assert client.post(url, posted(right.kind, ends_on=day(900))).status_code in {302, 404}
    right.refresh_from_db()
    assert right.ends_on == TODAY + datetime.timedelta(days=20)
    assert PersonRight.objects.count() == 1


def test_a_legal_adviser_writes_rights(centre, person):
    adviser = make_member(centre, "juriste", Role.LEGAL_ADVISER, "conseiller_juridique")
    response = client_for(adviser.user).post(add_url(person), posted(national("ame")))
    assert response.status_code == 302
    assert PersonRight.objects.filter(person=person, kind__code="ame").exists()
