"""Personal access tokens: the page, the command line, checking and revoking."""

from __future__ import annotations

import datetime
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from maillage.core import tokens
from maillage.core.models import AccessEvent, ApiToken, Member, Structure
from maillage.core.roles import Role, StructureKind
from tests.conftest import make_member


def create_token(member, scopes=("read",), **kwargs):
    return tokens.do_create_token(member, name="Script", scopes=scopes, **kwargs)


# --- The model and the checks ------------------------------------------------------------


def test_it_keeps_only_a_hash_of_the_secret(doctor):
    token, text = create_token(doctor, ("read", "write"))
    tag, prefix, secret = text.split("_", 2)
    assert tag == "mlg" and prefix == token.prefix and len(prefix) == 8
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(list(ApiToken.objects.filter(pk=token.pk).values()))
    assert token.scopes == ["read", "write"]
    assert AccessEvent.objects.filter(
        action=AccessEvent.Action.CREATE, object_type="core.apitoken", object_id=str(token.pk)
    ).exists()


def test_it_authenticates_a_good_token_and_records_its_use(doctor, django_assert_num_queries):
    token, text = create_token(doctor)
    found = tokens.authenticate(text)
    assert found == token and found.member == doctor
    token.refresh_from_db()
    assert token.last_used_at is not None
    with django_assert_num_queries(1):  # used a moment ago: not written again
        assert tokens.authenticate(text) == token


@pytest.mark.parametrize(
    "text",
    ["", "mlg", "mlg__", "Bearer x", "mlg_abcdefgh_short", "mlg_ABCDEFGH_" + "x" * 43, "é" * 60],
)
def test_it_refuses_malformed_tokens(doctor, text):
    create_token(doctor)
    assert tokens.authenticate(text) is None


def test_it_refuses_a_wrong_secret(doctor):
    _token, text = create_token(doctor)
    assert tokens.authenticate(text[:-1] + ("A" if text[-1] != "A" else "B")) is None


def test_it_refuses_revoked_expired_and_deactivated(doctor, reception):
    token, text = create_token(doctor)
    assert tokens.do_revoke_token(token)
    assert not tokens.do_revoke_token(token)  # twice: nothing more happens
    assert tokens.authenticate(text) is None

    _expired, text = create_token(doctor, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert tokens.authenticate(text) is None

    _token, text = create_token(reception)
    reception.is_active = False
    reception.save(update_fields=["is_active"])
    assert tokens.authenticate(text) is None

    _token, text = create_token(doctor)
    doctor.user.is_active = False
    doctor.user.save(update_fields=["is_active"])
    assert tokens.authenticate(text) is None


def test_it_refuses_unknown_scopes(doctor):
    with pytest.raises(ValueError):
        create_token(doctor, ("read", "admin"))
    with pytest.raises(ValueError):
        create_token(doctor, ())


# --- The page ------------------------------------------------------------------------------


def test_the_page_creates_a_token_shown_once(as_doctor, doctor):
    url = reverse("tokens")
    response = as_doctor.post(
        url, {"name": "Export régional", "scopes": ["read", "write"], "expires_in": "30"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(member=doctor)
    body = response.content.decode()
    text = body.split('id="new-token" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert tokens.authenticate(text) == token
    assert token.name == "Export régional" and token.scopes == ["read", "write"]
    assert token.expires_at is not None
    assert timezone.now() + datetime.timedelta(days=29) < token.expires_at
    assert "no-store" in response["Cache-Control"]
    again = as_doctor.get(url).content.decode()
    assert text not in again  # never shown again
    assert f"mlg_{token.prefix}_" in again and "Export régional" in again


def test_the_page_needs_a_scope(as_doctor):
    response = as_doctor.post(reverse("tokens"), {"name": "Rien", "expires_in": ""})
    assert response.status_code == 200
    assert "scopes" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_a_member_revokes_their_own_token_by_post_only(as_doctor, doctor):
    token, text = create_token(doctor)
    url = reverse("token_revoke", args=[token.pk])
    assert as_doctor.get(url).status_code == 405
    response = as_doctor.post(url)
    assert response.status_code == 302 and response.url == reverse("tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert tokens.authenticate(text) is None


def test_a_member_cannot_see_or_revoke_someone_elses_token(as_reception, doctor):
    token, _text = create_token(doctor)
    assert "Script" not in as_reception.get(reverse("tokens")).content.decode()
    assert as_reception.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("who", ["outsider", "person"])
def test_accounts_without_a_membership_have_no_tokens(who, request, person_user):
    client = request.getfixturevalue(f"as_{who}")
    assert client.get(reverse("tokens")).status_code == 404
    assert client.post(reverse("tokens"), {"name": "x", "scopes": ["read"]}).status_code == 404
    assert not ApiToken.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("tokens"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_menu_links_to_the_page(as_doctor):
    assert reverse("tokens") in as_doctor.get(reverse("home")).content.decode()


# --- The command line ------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_creates_a_token_for_the_only_membership(doctor):
    text, _err = run("create", "--user", "docteur", "--scopes", "read,write", "--name", "Cron")
    token = tokens.authenticate(text)
    assert token is not None and token.member == doctor
    assert token.scopes == ["read", "write"] and token.name == "Cron"
    assert token.expires_at is None


def test_the_command_needs_a_structure_with_several_memberships(doctor, other_centre):
    second = Member.objects.create(
        user=doctor.user, structure=other_centre, role=Role.GP, profession="medecin_generaliste"
    )
    with pytest.raises(CommandError):
        run("create", "--user", "docteur")
    text, _err = run("create", "--user", "docteur", "--structure", str(other_centre.pk))
    assert tokens.authenticate(text).member == second
    with pytest.raises(CommandError):
        run("create", "--user", "docteur", "--structure", "999999")


def test_the_command_explains_what_is_wrong(doctor, outsider):
    for args in (
        ("create", "--user", "nobody"),
        ("create", "--user", "charlie"),  # no membership
        ("create", "--user", "docteur", "--scopes", "admin"),
        ("create", "--user", "docteur", "--scopes", ","),
        ("create", "--user", "docteur", "--expires-days", "0"),
        ("revoke", "zzzzzzzz"),
    ):
        with pytest.raises(CommandError):
            run(*args)
    assert not ApiToken.objects.exists()


def test_the_command_skips_deactivated_memberships(doctor):
    other = Structure.objects.create(name="Ancien centre", kind=StructureKind.CENTRE)
    old = make_member(other, "ancien", Role.GP, "medecin_generaliste")
    old.is_active = False
    old.save(update_fields=["is_active"])
    with pytest.raises(CommandError):
        run("create", "--user", "ancien")


def test_the_command_revokes_and_lists(doctor):
    text, _err = run("create", "--user", "docteur", "--expires-days", "10")
    prefix = text.split("_")[1]
    listing, _err = run("list", "--user", "docteur")
    assert prefix in listing
    out, _err = run("revoke", prefix)
    assert prefix in out
    assert tokens.authenticate(text) is None
    with pytest.raises(CommandError):
        run("revoke", prefix)
