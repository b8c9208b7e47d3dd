"""Rate limits: password resets (allauth), wrong tokens on the API and the FHIR interface,
token creations, wrong second-factor codes. Every test starts with an empty cache."""

from __future__ import annotations

import datetime
import time

import pytest
import time_machine
from allauth.account import app_settings as account_settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.core import ratelimit, tokens
from maillage.core.models import ApiToken

RESET = "/accounts/password/reset/"
LOGIN = "/accounts/login/"
MFA = "/accounts/2fa/authenticate/"
API = "/api/persons/{}/timeline"
FHIR = "/fhir/R4/Patient"
WRONG = "mlg_abcdefgh_" + "x" * 43  # well formed, matches no token


# --- The counter ---------------------------------------------------------------------------


def test_a_limit_refuses_once_its_hits_are_spent_and_says_until_when(db):
    limit = ratelimit.Limit("test", attempts=3, window=600)
    for _ in range(3):
        assert ratelimit.retry_after(limit, "a") is None
        ratelimit.hit(limit, "a")
    wait = ratelimit.retry_after(limit, "a")
    assert wait is not None and 590 <= wait <= 600
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.check(limit, "a")
    assert refused.value.retry_after == wait
    assert ratelimit.retry_after(limit, "b") is None  # another client
    assert ratelimit.retry_after(ratelimit.Limit("other", 3, 600), "a") is None


def test_a_limit_ends_with_its_window(db):
    limit = ratelimit.Limit("test", attempts=1, window=60)
    ratelimit.hit(limit, "a")
    assert ratelimit.retry_after(limit, "a") is not None
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert ratelimit.retry_after(limit, "a") is None


def test_the_cache_never_holds_the_address(db):
    from django.core.cache import cache

    ratelimit.hit(ratelimit.TOKEN_FAILURES, "203.0.113.9")
    keys = list(cache._cache.keys())  # type: ignore[attr-defined]  # the local-memory cache
    assert keys and not any("203.0.113.9" in key for key in keys)


# --- Password reset (allauth) ----------------------------------------------------------------


def test_allauths_limits_are_on_but_failed_logins_are_left_to_axes():
    limits = account_settings.RATE_LIMITS
    assert not limits["login_failed"]
    assert limits["reset_password"] == "20/m/ip,5/m/key"
    assert limits["reset_password_from_key"] == "20/m/ip"
    assert limits["change_password"] and limits["reauthenticate"] and limits["login"]


def test_the_sixth_reset_request_for_one_address_is_refused(client, reception):
    reception.user.email = "alice@example.org"
    reception.user.save(update_fields=["email"])
    for _ in range(5):
        assert client.post(RESET, {"email": "alice@example.org"}).status_code == 302
    assert len(mail.outbox) == 5
    refused = client.post(RESET, {"email": "Alice@Example.org"})
    assert refused.status_code == 429
    assert "429.html" in [t.name for t in refused.templates]
    assert len(mail.outbox) == 5
    # Another address is still served.
    assert client.post(RESET, {"email": "bob@example.org"}).status_code == 302


def test_the_twenty_first_reset_request_from_one_address_is_refused(client, db):
    for n in range(20):
        assert client.post(RESET, {"email": f"n{n}@example.org"}).status_code == 302
    assert client.post(RESET, {"email": "n20@example.org"}).status_code == 429
    other = client.post(RESET, {"email": "n21@example.org"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302


def test_reset_keys_are_limited_too(client, db):
    url = reverse("account_reset_password_from_key", args=["1", "set-password"])
    for _ in range(20):
        assert client.post(url, {}).status_code != 429
    assert client.post(url, {}).status_code == 429


# --- Wrong tokens on the API and the FHIR interface -----------------------------------------


def api_get(client, person_id, token, **extra):
    return client.get(API.format(person_id), HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def fhir_get(client, token, **extra):
    return client.get(FHIR, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def spend_token_failures(client, person_id):
    for _ in range(ratelimit.TOKEN_FAILURES.attempts):
        assert api_get(client, person_id, WRONG).status_code == 401


def test_the_api_refuses_a_client_after_too_many_wrong_tokens(client, doctor, person):
    _token, good = tokens.do_create_token(doctor, name="Script", scopes=["read"])
    assert api_get(client, person.pk, good).status_code == 200
    spend_token_failures(client, person.pk)

    refused = api_get(client, person.pk, WRONG)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= ratelimit.TOKEN_FAILURES.window
    assert refused.json()["detail"] == ratelimit.token_rate_limit_message()
    # Refused before the token is looked at: a right one as well, from this address.
    assert api_get(client, person.pk, good).status_code == 429
    # Another address is not concerned.
    assert api_get(client, person.pk, good, REMOTE_ADDR="198.51.100.7").status_code == 200

    later = timezone.now() + datetime.timedelta(seconds=ratelimit.TOKEN_FAILURES.window + 1)
    with time_machine.travel(later):
        assert api_get(client, person.pk, good).status_code == 200


def test_a_right_token_does_not_count(client, doctor, person):
    _token, good = tokens.do_create_token(doctor, name="Script", scopes=["read"])
    for _ in range(ratelimit.TOKEN_FAILURES.attempts + 5):
        assert api_get(client, person.pk, good).status_code == 200


def test_a_request_without_a_token_does_not_count(client, person):
    for _ in range(ratelimit.TOKEN_FAILURES.attempts + 1):
        assert client.get(API.format(person.pk)).status_code == 401


def test_the_fhir_interface_shares_the_limit(client, doctor, person):
    _token, good = tokens.do_create_token(doctor, name="Script", scopes=["read"])
    spend_token_failures(client, person.pk)  # on the API
    refused = fhir_get(client, good)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/fhir+json")
    assert int(refused["Retry-After"]) >= 1
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["code"] == "throttled"
    assert issue["diagnostics"] == ratelimit.token_rate_limit_message()


def test_the_fhir_interface_counts_its_own_wrong_tokens(client, db):
    for _ in range(ratelimit.TOKEN_FAILURES.attempts):
        assert fhir_get(client, WRONG).status_code == 401
    assert fhir_get(client, WRONG).status_code == 429


def test_the_refusal_is_in_french(client, db):
    for _ in range(ratelimit.TOKEN_FAILURES.attempts):
        fhir_get(client, WRONG)
    from django.utils import translation

    with translation.override("fr"):
        expected = ratelimit.token_rate_limit_message()
    refused = fhir_get(client, WRONG, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.json()["issue"][0]["diagnostics"] == expected


# --- Token creations ----------------------------------------------------------------------


def test_the_eleventh_token_in_an_hour_is_refused(as_doctor, doctor):
    url = reverse("tokens")
    data = {"name": "Script", "scopes": ["read"], "expires_in": "30"}
    for _ in range(ratelimit.TOKEN_CREATIONS.attempts):
        assert as_doctor.post(url, data).status_code == 200
    assert ApiToken.objects.filter(member=doctor).count() == ratelimit.TOKEN_CREATIONS.attempts

    refused = as_doctor.post(url, data)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.context["form"].non_field_errors()
    assert not refused.context["created"]
    assert ApiToken.objects.filter(member=doctor).count() == ratelimit.TOKEN_CREATIONS.attempts


# --- Wrong second-factor codes ---------------------------------------------------------------

SECRET = "JBSWY3DPEHPK3PXP"


def current_code() -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))


@pytest.fixture
def doctor_with_totp(doctor):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=doctor.user, type=Authenticator.Type.TOTP, data={"secret": SECRET}
    )
    return doctor


def sign_in_with_password(client) -> None:
    response = client.post(LOGIN, {"login": "docteur", "password": "pw-docteur"})
    assert response.status_code == 302
    assert response["Location"] == MFA


def wrong_code() -> str:
    right = current_code()
    return next(c for c in ("000000", "111111", "222222") if c != right)


def test_the_second_factor_lets_a_right_code_in(client, doctor_with_totp):
    sign_in_with_password(client)
    assert client.post(MFA, {"code": current_code()}).status_code == 302
    assert client.session[AUTH_SESSION_KEY] == str(doctor_with_totp.user.pk)


def test_wrong_codes_are_limited_like_wrong_passwords(client, settings, doctor_with_totp):
    sign_in_with_password(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(MFA, {"code": wrong_code()})
        assert response.status_code == 200
        assert AUTH_SESSION_KEY not in client.session

    refused = client.post(MFA, {"code": current_code()})  # right, but too late
    assert refused.status_code == 200
    assert refused.context["form"].has_error("code", "too_many_codes")
    assert AUTH_SESSION_KEY not in client.session

    later = timezone.now() + datetime.timedelta(hours=settings.AXES_COOLOFF_TIME, seconds=1)
    with time_machine.travel(later):
        fresh = type(client)()
        sign_in_with_password(fresh)
        assert fresh.post(MFA, {"code": current_code()}).status_code == 302
        assert fresh.session[AUTH_SESSION_KEY] == str(doctor_with_totp.user.pk)
