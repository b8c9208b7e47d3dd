"""Team administration: invitations, deactivation, switching structure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import can
from maillage.core.middleware import SESSION_KEY
from maillage.core.models import AccessEvent, Invitation, Member, User
from maillage.core.roles import Role
from tests.conftest import client_for, make_member

STRONG = "Vingt-sept chats gris 2024!"
INVITE = {
    "first_name": "Nadia",
    "last_name": "Benali",
    "email": "nadia@example.org",
    "role": Role.NURSE,
    "profession": "infirmier",
}


@pytest.fixture
def invitation(admin_member) -> Invitation:
    return Invitation.objects.create(
        structure=admin_member.structure,
        email="nadia@example.org",
        first_name="Nadia",
        last_name="Benali",
        role=Role.NURSE,
        profession="infirmier",
        invited_by=admin_member,
    )


def accept_url(invitation):
    return reverse("accept_invitation", args=[invitation.token])


def test_it_lists_the_team(as_admin, reception, doctor, admin_member):
    response = as_admin.get(reverse("members"))
    assert response.status_code == 200
    assert set(response.context["team"]) == {reception, doctor, admin_member}


def test_it_sends_an_invitation_with_a_link(
    as_admin, admin_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(reverse("members"), INVITE)
    assert response.status_code == 302
    assert response["Location"] == reverse("members")
    invitation = Invitation.objects.get()
    assert invitation.structure == admin_member.structure
    assert invitation.invited_by == admin_member
    assert invitation.role == Role.NURSE
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nadia@example.org"]
    link = "http://testserver" + accept_url(invitation)
    assert link in message.body
    assert AccessEvent.objects.filter(action="create", object_type="core.invitation").exists()
    pending = as_admin.get(reverse("members")).context["pending"]
    assert list(pending) == [invitation]


def test_it_sends_no_mail_for_an_invalid_invitation(as_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(reverse("members"), {**INVITE, "email": "nope", "role": "king"})
    assert response.status_code == 200
    assert {"email", "role"} <= set(response.context["form"].errors)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_refuses_invitations_from_non_admins(
    as_reception, as_doctor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for client in (as_reception, as_doctor):
            assert client.post(reverse("members"), INVITE).status_code == 404
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_shows_the_invitation_to_an_anonymous_visitor(client, invitation):
    response = client.get(accept_url(invitation))
    assert response.status_code == 200
    assert 'name="password1"' in response.content.decode()


def test_it_creates_the_account_and_logs_in(client, invitation):
    response = client.post(
        accept_url(invitation),
        {"username": "nadia", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = User.objects.get(username="nadia")
    assert user.email == "nadia@example.org"
    assert (user.first_name, user.last_name) == ("Nadia", "Benali")
    assert user.check_password(STRONG)
    member = Member.objects.get(user=user)
    assert member.structure == invitation.structure
    assert (member.role, member.profession) == (Role.NURSE, "infirmier")
    assert member.is_active
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_member == member
    assert client.session[AUTH_SESSION_KEY] == str(user.pk)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    ("password1", "password2"),
    [("court", "court"), ("123456789012345", "123456789012345"), (STRONG, STRONG + "x")],
)
def test_it_rejects_weak_or_mismatched_passwords(client, invitation, password1, password2):
    response = client.post(
        accept_url(invitation),
        {"username": "nadia", "password1": password1, "password2": password2},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"password1", "password2"} & set(form.errors)
    assert 'value="nadia"' in response.content.decode()
    assert not User.objects.filter(username="nadia").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert AUTH_SESSION_KEY not in client.session


def test_it_rejects_a_taken_username(client, invitation, reception):
    response = client.post(
        accept_url(invitation),
        {"username": "ALICE", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert Member.objects.filter(structure=invitation.structure).count() == 2  # admin + alice


def test_it_refuses_an_expired_invitation(client, invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    for response in (
        client.get(accept_url(invitation)),
        client.post(
            accept_url(invitation),
            {"username": "nadia", "password1": STRONG, "password2": STRONG},
        ),
    ):
        assert response.status_code == 404
        assert "core/invitation_invalid.html" in [t.name for t in response.templates]
    assert not User.objects.filter(username="nadia").exists()


def test_it_refuses_a_used_invitation(client, invitation):
    data = {"username": "nadia", "password1": STRONG, "password2": STRONG}
    client.post(accept_url(invitation), data)
    other = client_for(User.objects.create_user(username="eve", password="pw"))
    response = other.post(accept_url(invitation))
    assert response.status_code == 404
    anonymous = type(client)()
    response = anonymous.post(accept_url(invitation), {**data, "username": "nadia2"})
    assert response.status_code == 404
    assert Member.objects.filter(user__username__in=["eve", "nadia2"]).count() == 0


def test_it_refuses_an_unknown_token(client, db):
    response = client.get(reverse("accept_invitation", args=["x" * 43]))
    assert response.status_code == 404


def test_it_lets_a_logged_in_user_join_another_structure(as_other, other_member, invitation):
    assert as_other.get(accept_url(invitation)).status_code == 200
    response = as_other.post(accept_url(invitation))
    assert response.status_code == 302
    assert Member.objects.filter(user=other_member.user).count() == 2
    joined = Member.objects.get(user=other_member.user, structure=invitation.structure)
    assert joined.role == Role.NURSE


def test_it_reactivates_a_former_member_through_an_invitation(admin_member, reception, invitation):
    from maillage.core.actions import do_accept_invitation, do_deactivate_member

    do_deactivate_member(admin_member, reception)
    member = do_accept_invitation(invitation, reception.user)
    assert member.pk == reception.pk
    member.refresh_from_db()
    assert member.is_active
    assert member.role == Role.NURSE
    assert member.deactivated_at is None


def test_it_clears_the_deactivation_when_reactivating_through_an_invitation(
    admin_member, reception, invitation
):
    from maillage.core.actions import do_accept_invitation, do_deactivate_member

    do_deactivate_member(admin_member, reception)
    do_accept_invitation(invitation, reception.user)
    reception.refresh_from_db()
    assert reception.deactivated_by is None


# --- Deactivation -------------------------------------------------------------------


def test_it_deactivates_a_member_and_keeps_the_row(as_admin, admin_member, reception, person):
    as_reception = client_for(reception.user)
    assert as_reception.get(reverse("people:detail", args=[person.pk])).status_code == 200
    response = as_admin.post(reverse("deactivate_member", args=[reception.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("members")
    reception.refresh_from_db()
    assert reception.is_active is False
    assert reception.deactivated_at is not None
    assert reception.deactivated_by == admin_member
    assert Member.objects.filter(pk=reception.pk).exists()
    assert AccessEvent.objects.filter(
        action="update", object_type="core.member", object_id=str(reception.pk)
    ).exists()

    # Their open session no longer reaches any person.
    home = as_reception.get(reverse("home"))
    assert home.status_code == 403
    assert "core/no_structure.html" in [t.name for t in home.templates]
    assert as_reception.get(reverse("people:detail", args=[person.pk])).status_code == 404
    assert as_reception.get(reverse("people:search"), {"q": "dupont"}).status_code == 404
    assert as_reception.post(reverse("people:arrive", args=[person.pk])).status_code == 404


def test_it_reactivates_a_member(as_admin, admin_member, reception, person):
    as_admin.post(reverse("deactivate_member", args=[reception.pk]))
    response = as_admin.post(reverse("reactivate_member", args=[reception.pk]))
    assert response.status_code == 302
    reception.refresh_from_db()
    assert reception.is_active
    assert reception.deactivated_at is None
    assert reception.deactivated_by is None
    detail = client_for(reception.user).get(reverse("people:detail", args=[person.pk]))
    assert detail.status_code == 200


def test_it_does_not_let_an_admin_deactivate_themself(as_admin, admin_member):
    response = as_admin.post(reverse("deactivate_member", args=[admin_member.pk]))
    assert response.status_code == 302
    admin_member.refresh_from_db()
    assert admin_member.is_active
    assert admin_member.deactivated_at is None
    assert as_admin.get(reverse("members")).status_code == 200


def test_it_does_not_let_an_admin_deactivate_another_structure_member(as_admin, other_member):
    response = as_admin.post(reverse("deactivate_member", args=[other_member.pk]))
    assert response.status_code == 404
    other_member.refresh_from_db()
    assert other_member.is_active


def test_it_does_not_let_a_non_admin_deactivate(as_reception, doctor):
    assert as_reception.post(reverse("deactivate_member", args=[doctor.pk])).status_code == 404
    doctor.refresh_from_db()
    assert doctor.is_active


# --- The export right (docs/adr/0010) --------------------------------------------------


def test_the_admin_gives_and_withdraws_the_export_right(as_admin, admin_member, doctor):
    url = reverse("member_export_right", args=[doctor.pk])
    page = as_admin.get(reverse("members")).content.decode()
    assert f'action="{url}"' in page
    response = as_admin.post(url, {"may_export": "1"}, follow=True)
    assert response.status_code == 200
    doctor.refresh_from_db()
    assert doctor.may_export
    assert can(doctor, "bulk_export", doctor.structure)
    as_admin.post(url, {"may_export": "0"})
    doctor.refresh_from_db()
    assert not doctor.may_export
    assert not can(doctor, "bulk_export", doctor.structure)
    reasons = AccessEvent.objects.filter(
        actor_member=admin_member, object_type="core.member", object_id=str(doctor.pk)
    ).values_list("reason", flat=True)
    assert list(reasons) == ["export right given", "export right withdrawn"]


def test_the_export_right_is_not_given_outside_the_team(as_admin, partner, reception):
    response = as_admin.post(reverse("member_export_right", args=[partner.pk]), {"may_export": "1"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert not partner.may_export
    as_admin.post(reverse("deactivate_member", args=[reception.pk]))
    as_admin.post(reverse("member_export_right", args=[reception.pk]), {"may_export": "1"})
    reception.refresh_from_db()
    assert not reception.may_export


def test_only_the_admin_gives_the_export_right(as_reception, as_admin, doctor, other_member):
    url = reverse("member_export_right", args=[doctor.pk])
    assert as_reception.post(url, {"may_export": "1"}).status_code == 404
    other = reverse("member_export_right", args=[other_member.pk])
    assert as_admin.post(other, {"may_export": "1"}).status_code == 404
    assert as_admin.get(url).status_code == 405
    doctor.refresh_from_db()
    other_member.refresh_from_db()
    assert not doctor.may_export and not other_member.may_export


# --- Switching structure ---------------------------------------------------------------


@pytest.fixture
def twofold(centre, other_centre):
    """A user working in both centres: reception in A, mediator in B."""
    in_a = make_member(centre, "sam", Role.RECEPTION)
    in_b = Member.objects.create(
        user=in_a.user, structure=other_centre, role=Role.MEDIATOR, profession="mediateur_sante"
    )
    return in_a, in_b


def search(client, q):
    response = client.get(reverse("people:search"), {"q": q})
    assert response.status_code == 200
    return [p.pk for p in response.context["results"]]


def test_it_switches_structure(twofold, person, other_person):
    in_a, in_b = twofold
    client = client_for(in_a.user)
    assert search(client, "dupont") == [person.pk]
    assert search(client, "bernard") == []
    home = client.get(reverse("home")).content.decode()
    assert f'value="{in_b.pk}"' in home

    response = client.post(reverse("switch_structure"), {"member": str(in_b.pk), "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == in_b.pk
    assert search(client, "dupont") == []
    assert search(client, "bernard") == [other_person.pk]
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 404
    assert client.get(reverse("people:detail", args=[other_person.pk])).status_code == 200
    assert client.get(reverse("home")).context["member"] == in_b


def test_it_refuses_switching_to_someone_elses_membership(twofold, other_member, person):
    in_a, _in_b = twofold
    client = client_for(in_a.user)
    response = client.post(reverse("switch_structure"), {"member": str(other_member.pk)})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session
    assert search(client, "dupont") == [person.pk]


def test_it_refuses_switching_to_a_deactivated_membership(twofold, admin_member):
    from maillage.core.actions import do_deactivate_member

    in_a, in_b = twofold
    do_deactivate_member(admin_member, in_b)
    client = client_for(in_a.user)
    assert client.post(reverse("switch_structure"), {"member": str(in_b.pk)}).status_code == 404


def test_it_falls_back_when_the_chosen_membership_is_deactivated(twofold, admin_member, person):
    from maillage.core.actions import do_deactivate_member

    in_a, in_b = twofold
    client = client_for(in_a.user)
    client.post(reverse("switch_structure"), {"member": str(in_b.pk)})
    do_deactivate_member(admin_member, in_b)
    assert client.get(reverse("home")).context["member"] == in_a
    assert search(client, "dupont") == [person.pk]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:x",
        # Not paths: once looked up as names of views (a 500 when none had it).
        "'; DROP TABLE core_user; --",
        "a\x00b",
        "members",
    ],
)
def test_it_does_not_redirect_to_another_site_after_switching(twofold, next_url):
    in_a, in_b = twofold
    client = client_for(in_a.user)
    response = client.post(reverse("switch_structure"), {"member": str(in_b.pk), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.0", "999999", "1 OR 1=1"])
def test_it_refuses_odd_membership_values(twofold, value):
    client = client_for(twofold[0].user)
    assert client.post(reverse("switch_structure"), {"member": value}).status_code == 404


def test_it_accepts_a_unicode_username(client, invitation):
    response = client.post(
        accept_url(invitation),
        {"username": "zoé.müller", "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 302
    assert User.objects.filter(username="zoé.müller").exists()


@pytest.mark.parametrize("username", ["marie dupont", "' OR 1=1 --", "🙂"])
def test_it_rejects_usernames_the_user_model_forbids(client, invitation, username):
    response = client.post(
        accept_url(invitation),
        {"username": username, "password1": STRONG, "password2": STRONG},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize("password", ["nadia@example.org", "nadia@example.com"])
def test_it_rejects_a_password_similar_to_the_invited_identity(client, invitation, password):
    response = client.post(
        accept_url(invitation),
        {"username": "nb", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="nb").exists()
