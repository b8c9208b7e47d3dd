"""Signing in: second factor for clinical and social roles, lockout after failures."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.test import Client
from django.urls import reverse

from maillage.core.roles import Role
from tests.conftest import client_for, make_member

LOGIN = "/accounts/login/"


@pytest.fixture
def mfa_on(settings):
    settings.REQUIRE_MFA = True
    return settings


def test_it_sends_a_doctor_without_totp_to_the_mfa_activation(mfa_on, as_doctor, person):
    activate = reverse("mfa_activate_totp")
    for url in (
        reverse("home"),
        reverse("people:search"),
        reverse("people:detail", args=[person.pk]),
        reverse("portal:home"),
    ):
        response = as_doctor.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == activate


def test_it_lets_a_doctor_reach_the_activation_page_after_signing_in(mfa_on, client, doctor):
    response = client.post(LOGIN, {"login": "docteur", "password": "pw-docteur"})
    assert response.status_code == 302
    assert client.session[AUTH_SESSION_KEY] == str(doctor.user.pk)
    activate = reverse("mfa_activate_totp")
    assert client.get(reverse("home"))["Location"] == activate
    # allauth asks for the password again before enrolling a factor; that page is exempt.
    response = client.get(activate)
    if response.status_code == 302:
        reauthenticate = response["Location"]
        assert reauthenticate.startswith("/accounts/reauthenticate/")
        assert client.get(reauthenticate).status_code == 200
        response = client.post(reauthenticate, {"password": "pw-docteur"})
        assert response.status_code == 302
        assert response["Location"] == activate
        response = client.get(activate)
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.NURSE, Role.PSYCHOLOGIST, Role.SOCIAL_WORKER])
def test_it_requires_mfa_for_clinical_and_social_roles(mfa_on, centre, role):
    client = client_for(make_member(centre, f"u-{role}", role).user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_does_not_require_mfa_from_reception_or_admin(mfa_on, as_reception, as_admin):
    assert as_reception.get(reverse("home")).status_code == 200
    assert as_admin.get(reverse("home")).status_code == 200


def test_it_lets_a_doctor_with_totp_in(mfa_on, as_doctor, doctor):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=doctor.user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    assert as_doctor.get(reverse("home")).status_code == 200


def test_it_does_not_require_mfa_when_the_setting_is_off(settings, as_doctor):
    settings.REQUIRE_MFA = False
    assert as_doctor.get(reverse("home")).status_code == 200


# --- Login and lockout ------------------------------------------------------------


def test_it_logs_in_with_the_login_and_password_fields(client, reception):
    response = client.post(LOGIN, {"login": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.session[AUTH_SESSION_KEY] == str(reception.user.pk)


def test_it_refuses_a_wrong_password(client, reception):
    response = client.post(LOGIN, {"login": "alice", "password": "nope"})
    assert response.status_code == 200
    assert AUTH_SESSION_KEY not in client.session


def _fail_five_times(client: Client, login: str = "alice") -> None:
    for _ in range(5):
        response = client.post(LOGIN, {"login": login, "password": "wrong"})
        assert AUTH_SESSION_KEY not in client.session
        assert response.status_code in (200, 429)


def _assert_locked(client: Client) -> None:
    response = client.post(LOGIN, {"login": "alice", "password": "pw-alice"})
    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]
    assert AUTH_SESSION_KEY not in client.session


def test_it_locks_an_account_after_five_failures(client, reception):
    from axes.models import AccessAttempt

    _fail_five_times(client)
    assert AccessAttempt.objects.filter(username="alice").exists()
    _assert_locked(client)


def login_field(request, credentials):
    """What the fix could be: read the username from allauth's "login" field."""
    return request.POST.get("login") or (credentials or {}).get("username")


def test_it_locks_out_with_a_username_callable_reading_the_login_field(
    settings, client, reception, other_member
):
    settings.AXES_USERNAME_CALLABLE = "tests.core.test_auth.login_field"
    _fail_five_times(client)
    _assert_locked(client)
    # Another account is not locked by alice's failures.
    response = Client().post(LOGIN, {"login": "bob", "password": "pw-bob"})
    assert response.status_code == 302


def test_it_lets_people_log_in_after_fewer_failures(client, reception):
    for _ in range(3):
        client.post(LOGIN, {"login": "alice", "password": "wrong"})
    response = client.post(LOGIN, {"login": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.session[AUTH_SESSION_KEY] == str(reception.user.pk)


def test_it_offers_no_open_signup(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code in (200, 403, 404)
    client.post(
        "/accounts/signup/",
        {
            "email": "x@example.org",
            "username": "intruder",
            "password1": "Vingt-sept chats gris!",
            "password2": "Vingt-sept chats gris!",
        },
    )
    from maillage.core.models import User

    assert not User.objects.filter(username="intruder").exists()


def test_it_sends_security_headers(as_reception):
    response = as_reception.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in {"no-referrer", "same-origin", "strict-origin"}
