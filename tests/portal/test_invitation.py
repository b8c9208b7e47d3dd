"""Inviting a person to their own space: by e-mail, by SMS, with a code printed at the
desk; the person activates it, once, within 7 days; wrong codes are throttled."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from maillage.core import sms
from maillage.core.access import can
from maillage.core.models import AccessEvent, User
from maillage.core.roles import Role
from maillage.people.actions import do_merge_persons
from maillage.portal import codes
from maillage.portal.actions import (
    InvitationUnusable,
    PortalAlreadyOpen,
    do_activate_portal,
    do_invite_person,
)
from maillage.portal.models import CodeAttempt, PortalInvitation
from maillage.record.actions import do_add_to_care_team
from tests.conftest import client_for, make_member

ACTIVATE = reverse("portal:activate")
PASSWORD = "une phrase de passe solide"
CODE_RE = re.compile(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2})\b")
LINK_RE = re.compile(r"https?://\S+/mon-espace/activer/([\w-]+)/")


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def invite_url(person) -> str:
    return reverse("portal_invite", args=[person.pk])


def invite(client, person, capture, **data):
    with capture(execute=True):
        return client.post(invite_url(person), data)


def desk_code(response) -> str:
    match = CODE_RE.search(response.content.decode())
    assert match, "no code on the page"
    return match.group(1)


def link_token(text: str) -> str:
    match = LINK_RE.search(text)
    assert match, "no link in the message"
    return match.group(1)


def activate_with_code(client: Client, code: str, username: str = "marie.d") -> object:
    response = client.post(ACTIVATE, {"code": code})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.post(
        ACTIVATE, {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )


# --- E-mail ---------------------------------------------------------------------------------


def test_it_sends_a_link_by_email(
    as_reception, reception, person, django_capture_on_commit_callbacks
):
    person.email = "marie@example.org"
    person.save(update_fields=["email"])
    response = invite(
        as_reception,
        person,
        django_capture_on_commit_callbacks,
        channel="email",
        email="marie@example.org",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marie@example.org"]
    assert "Centre A" in message.subject and "Centre A" in message.body
    assert "/mon-espace/activer/" in message.body
    # Nothing but the centre, the link and its expiry: no name, no health information.
    assert "DUPONT" not in message.body and "Marie" not in message.body
    invitation = PortalInvitation.objects.get()
    assert (invitation.channel, invitation.destination) == ("email", "marie@example.org")
    assert invitation.created_by == reception
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert link_token(message.body)


def test_it_opens_the_space_from_the_email_link(
    as_reception, person, django_capture_on_commit_callbacks
):
    invite(
        as_reception,
        person,
        django_capture_on_commit_callbacks,
        channel="email",
        email="marie@example.org",
    )
    token = link_token(mail.outbox[0].body)
    client = Client()
    url = reverse("portal:activate_link", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["username"] == "marie.dupont"
    response = client.post(
        url, {"username": "marie.dupont", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    person.refresh_from_db()
    user = User.objects.get(username="marie.dupont")
    assert person.user == user
    assert user.email == "marie@example.org"
    assert user.check_password(PASSWORD)
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert "DUPONT" in home.content.decode()
    assert reverse("mfa_index") in home.content.decode()  # the second-factor suggestion


def test_it_requires_an_email_address(as_reception, person, django_capture_on_commit_callbacks):
    response = invite(as_reception, person, django_capture_on_commit_callbacks, channel="email")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not PortalInvitation.objects.exists()
    assert mail.outbox == []


# --- SMS ------------------------------------------------------------------------------------


def test_it_sends_a_link_by_sms(as_reception, person, django_capture_on_commit_callbacks):
    page = as_reception.get(invite_url(person))
    assert page.context["form"].initial["phone"] == "06 12 34 56 78"
    assert page.context["form"].initial["channel"] == "sms"
    response = invite(
        as_reception,
        person,
        django_capture_on_commit_callbacks,
        channel="sms",
        phone="06 12 34 56 78",
    )
    assert response.status_code == 302
    assert len(sms.outbox) == 1
    message = sms.outbox[0]
    assert message.to == "+33612345678"
    assert "Centre A" in message.text
    assert "DUPONT" not in message.text
    token = link_token(message.text)
    assert Client().get(reverse("portal:activate_link", args=[token])).status_code == 200
    assert PortalInvitation.objects.get().destination == "+33612345678"
    assert mail.outbox == []


def test_it_refuses_a_landline_for_sms(as_reception, person, django_capture_on_commit_callbacks):
    response = invite(
        as_reception,
        person,
        django_capture_on_commit_callbacks,
        channel="sms",
        phone="01 23 45 67 89",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["phone"]
    assert "06" in errors[0] and "07" in errors[0]
    assert not PortalInvitation.objects.exists()
    assert sms.outbox == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 7 12 34 56 78", "+33712345678"),
        ("0033612345678", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),
        ("+596 696 12 34 56", "+596696123456"),
        ("01 23 45 67 89", None),
        ("09 12 34 56 78", None),
        ("+44 7700 900123", None),
        ("15", None),
        ("", None),
    ],
)
def test_it_recognises_french_mobile_numbers(typed, expected):
    assert sms.french_mobile(typed) == expected


def test_the_console_backend_prints_the_message(capsys):
    with override_settings(SMS_BACKEND="console"):
        sms.send_sms("+33612345678", "Bonjour")
    out = capsys.readouterr().out
    assert "+33612345678" in out and "Bonjour" in out
    assert sms.outbox == []


# --- SMS webhook, against a server on 127.0.0.1 ----------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Hook.received.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(_Hook.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    _Hook.received = []
    _Hook.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    with override_settings(SMS_BACKEND="webhook", SMS_WEBHOOK_URL=url, SMS_WEBHOOK_TOKEN="s3cret"):
        yield _Hook
    server.shutdown()
    server.server_close()


def test_the_webhook_backend_posts_json_with_a_bearer_token(webhook):
    sms.send_sms("+33612345678", "Bonjour, voici le lien")
    assert webhook.received == [
        {
            "path": "/sms",
            "authorization": "Bearer s3cret",
            "content_type": "application/json; charset=utf-8",
            "body": {"to": "+33612345678", "text": "Bonjour, voici le lien"},
        }
    ]


def test_the_webhook_backend_reports_a_refusal(webhook):
    webhook.status = 500
    with pytest.raises(sms.SmsError, match="500"):
        sms.send_sms("+33612345678", "Bonjour")


def test_the_webhook_backend_reports_an_unreachable_server():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        override_settings(SMS_BACKEND="webhook", SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/"),
        pytest.raises(sms.SmsError),
    ):
        sms.send_sms("+33612345678", "Bonjour")


def test_the_webhook_backend_refuses_other_schemes():
    with (
        override_settings(SMS_BACKEND="webhook", SMS_WEBHOOK_URL="file:///etc/passwd"),
        pytest.raises(sms.SmsError),
    ):
        sms.send_sms("+33612345678", "Bonjour")


def test_an_invitation_by_sms_goes_through_the_webhook(
    webhook, reception, person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = do_invite_person(reception, person, "sms", "+33612345678", "https://m.example")
    assert sent.delivered is True
    (call,) = webhook.received
    assert call["body"]["to"] == "+33612345678"
    assert sent.link in call["body"]["text"]
    assert sent.link.startswith("https://m.example/mon-espace/activer/")


@pytest.mark.django_db(transaction=True)
def test_a_failed_sms_shows_the_code_instead(webhook, as_reception, person):
    # A real commit (no test transaction): the SMS is sent before the view answers.
    webhook.status = 503
    response = as_reception.post(invite_url(person), {"channel": "sms", "phone": "0612345678"})
    assert response.status_code == 200
    assert response.context["failed"] is True
    code = desk_code(response)
    invitation = PortalInvitation.objects.get()
    assert invitation.is_usable
    # The person can still open their space with the code.
    client = Client()
    response = activate_with_code(client, code)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.user is not None


# --- The code printed at the desk, end to end -------------------------------------------------


def test_it_opens_the_space_with_a_desk_code(
    as_reception, reception, person, django_capture_on_commit_callbacks
):
    response = invite(as_reception, person, django_capture_on_commit_callbacks, channel="desk")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code = desk_code(response)
    assert len(code) == 12 and not set(code) & set("01OI")
    content = response.content.decode()
    assert "http://testserver/mon-espace/activer/" in content
    assert "portal/print.css" in content
    assert mail.outbox == [] and sms.outbox == []
    invitation = PortalInvitation.objects.get()
    assert (invitation.channel, invitation.destination, invitation.token_hash) == ("desk", "", "")

    client = Client()
    assert client.get(ACTIVATE).status_code == 200
    # Small letters, spaces instead of dashes: still the code.
    response = client.post(ACTIVATE, {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    assert "password1" in page.context["form"].fields
    response = client.post(
        ACTIVATE, {"username": "marie.d", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert "Marie" in home.content.decode() and "DUPONT" in home.content.decode()
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    person.refresh_from_db()
    assert person.user.username == "marie.d"
    assert person.user.email == ""


def test_it_checks_the_password_with_the_validators(
    as_reception, person, django_capture_on_commit_callbacks
):
    code = desk_code(
        invite(as_reception, person, django_capture_on_commit_callbacks, channel="desk")
    )
    client = Client()
    client.post(ACTIVATE, {"code": code})
    short = client.post(ACTIVATE, {"username": "marie", "password1": "abc", "password2": "abc"})
    assert short.status_code == 200
    assert "trop court" in " ".join(short.context["form"].errors["password1"])
    differ = client.post(
        ACTIVATE, {"username": "marie", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )
    assert "password2" in differ.context["form"].errors
    taken = client.post(
        ACTIVATE, {"username": "ALICE", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert "username" in taken.context["form"].errors
    person.refresh_from_db()
    assert person.user is None


def test_a_bad_code_is_a_form_error(client, person):
    response = client.post(ACTIVATE, {"code": "K7QM-2XPA-9R"})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    malformed = client.post(ACTIVATE, {"code": "O1O1"})
    assert "code" in malformed.context["form"].errors


def test_a_bad_link_is_a_friendly_404(client, db):
    response = client.get(reverse("portal:activate_link", args=["no-such-token"]))
    assert response.status_code == 404
    assert "invitation" in response.content.decode().lower()


# --- Expiry, reuse, revocation ----------------------------------------------------------------


def test_an_expired_invitation_cannot_be_used(client, reception, person):
    sent = do_invite_person(reception, person, "email", "marie@example.org", "http://testserver")
    PortalInvitation.objects.filter(pk=sent.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    token = sent.link.rsplit("/", 2)[-2]
    assert client.get(reverse("portal:activate_link", args=[token])).status_code == 404
    response = client.post(ACTIVATE, {"code": sent.code})
    assert "code" in response.context["form"].errors
    with pytest.raises(InvitationUnusable):
        do_activate_portal(sent.invitation, "marie", PASSWORD)


def test_an_invitation_works_once(reception, person):
    sent = do_invite_person(reception, person, "email", "marie@example.org", "http://testserver")
    url = sent.link.removeprefix("http://testserver")
    first = Client()
    response = first.post(url, {"username": "marie", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    again = Client()
    assert again.get(url).status_code == 404
    assert "code" in again.post(ACTIVATE, {"code": sent.code}).context["form"].errors
    assert User.objects.filter(username__startswith="marie").count() == 1


def test_a_new_invitation_revokes_the_earlier_ones(reception, person):
    first = do_invite_person(reception, person, "desk", "", "http://testserver")
    second = do_invite_person(reception, person, "email", "m@example.org", "http://testserver")
    first.invitation.refresh_from_db()
    assert first.invitation.revoked_at is not None
    assert not first.invitation.is_usable
    client = Client()
    assert "code" in client.post(ACTIVATE, {"code": first.code}).context["form"].errors
    assert client.get(second.link.removeprefix("http://testserver")).status_code == 200
    assert list(PortalInvitation.objects.usable()) == [second.invitation]


def test_the_code_step_forgets_a_revoked_invitation(reception, person):
    first = do_invite_person(reception, person, "desk", "", "http://testserver")
    client = Client()
    assert client.post(ACTIVATE, {"code": first.code}).status_code == 302
    do_invite_person(reception, person, "desk", "", "http://testserver")
    page = client.get(ACTIVATE)
    assert "code" in page.context["form"].fields


def test_it_refuses_to_invite_a_person_who_has_an_account(
    as_reception, reception, person, person_user, django_capture_on_commit_callbacks
):
    page = as_reception.get(invite_url(person))
    assert page.status_code == 200
    assert page.context["form"] is None
    response = invite(as_reception, person, django_capture_on_commit_callbacks, channel="desk")
    assert response.status_code == 200
    assert not CODE_RE.search(response.content.decode())
    assert not PortalInvitation.objects.exists()
    with pytest.raises(PortalAlreadyOpen):
        do_invite_person(reception, person, "desk", "", "http://testserver")
    detail = as_reception.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert invite_url(person) not in detail


def test_an_invitation_dies_when_the_person_gets_an_account(reception, person):
    sent = do_invite_person(reception, person, "desk", "", "http://testserver")
    person.user = User.objects.create_user(username="other", password="x")
    person.save(update_fields=["user"])
    with pytest.raises(InvitationUnusable):
        do_activate_portal(sent.invitation, "marie", PASSWORD)


def test_someone_signed_in_cannot_activate(as_doctor, reception, person):
    sent = do_invite_person(reception, person, "email", "m@example.org", "http://testserver")
    url = sent.link.removeprefix("http://testserver")
    page = as_doctor.post(url, {"username": "x", "password1": PASSWORD, "password2": PASSWORD})
    assert page.status_code == 200
    assert "form" not in page.context
    assert as_doctor.post(ACTIVATE, {"code": sent.code}).status_code == 200
    assert PortalInvitation.objects.get().is_usable
    assert not User.objects.filter(username="x").exists()


def test_a_person_with_a_space_is_sent_to_it(as_person):
    assert as_person.get(ACTIVATE)["Location"] == reverse("portal:home")


# --- Throttling of wrong codes ----------------------------------------------------------------


def _wrong(client: Client) -> object:
    return client.post(ACTIVATE, {"code": "ZZZZ-ZZZZ-ZZ"})


def test_it_throttles_wrong_codes(reception, person):
    sent = do_invite_person(reception, person, "desk", "", "http://testserver")
    client = Client()
    for _ in range(codes.ATTEMPTS_PER_CLIENT):
        assert _wrong(client).status_code == 200
    # The sixth try is refused, even with the right code: it is not even checked.
    response = client.post(ACTIVATE, {"code": sent.code})
    assert response.status_code == 429
    assert response.context["throttled"] is True
    assert "15 minutes" in response.content.decode()
    assert "maillage_portal_invitation" not in client.session
    # Another browser is not blocked by this one's mistakes.
    assert Client().post(ACTIVATE, {"code": sent.code}).status_code == 302
    # After the window, the first browser may try again.
    CodeAttempt.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert client.post(ACTIVATE, {"code": sent.code}).status_code == 302


def test_it_throttles_an_address_whatever_the_browser(monkeypatch, reception, person):
    monkeypatch.setattr(codes, "ATTEMPTS_PER_ADDRESS", 3)
    sent = do_invite_person(reception, person, "desk", "", "http://testserver")
    for _ in range(3):
        assert _wrong(Client()).status_code == 200  # a robot dropping its cookies
    assert Client().post(ACTIVATE, {"code": sent.code}).status_code == 429
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert other_address.post(ACTIVATE, {"code": sent.code}).status_code == 302


def test_malformed_codes_are_not_counted(client, db):
    for _ in range(codes.ATTEMPTS_PER_CLIENT + 1):
        response = client.post(ACTIVATE, {"code": "abc"})
        assert response.status_code == 200
    assert not CodeAttempt.objects.exists()


def test_it_stores_no_address(client, db):
    _wrong(client)
    attempt = CodeAttempt.objects.get()
    assert "127.0.0.1" not in (attempt.client_key + attempt.address_key)


def test_codes_use_an_unambiguous_alphabet():
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == 10 and not set(code) & set("01OI")
        assert codes.normalize_code(codes.format_code(code).lower()) == code
    assert codes.format_code("K7QM2XPA9R") == "K7QM-2XPA-9R"
    assert codes.normalize_code("k7qm 2xpa-9r") == "K7QM2XPA9R"
    assert codes.normalize_code("K7QM-2XPA-9") is None
    assert codes.normalize_code("K7QM-2XPA-9O") is None


# --- No secret in clear; the access log ---------------------------------------------------


def test_no_secret_is_stored_in_clear(reception, person):
    sent = do_invite_person(reception, person, "email", "m@example.org", "http://testserver")
    token = sent.link.rsplit("/", 2)[-2]
    row = PortalInvitation.objects.filter(pk=sent.invitation.pk).values().get()
    stored = " ".join(str(v) for v in row.values())
    assert token not in stored
    assert sent.code not in stored and sent.display_code not in stored
    assert row["token_hash"] == codes.hash_token(token)
    assert row["code_hash"] == codes.hash_code(sent.code)
    # The code's hash is keyed: a plain SHA-256 of it is not what is stored.
    import hashlib

    assert row["code_hash"] != hashlib.sha256(sent.code.encode()).hexdigest()


def test_it_writes_the_access_log(
    as_reception, reception, person, django_capture_on_commit_callbacks
):
    as_reception.get(invite_url(person))
    read = AccessEvent.objects.filter(person=person, action="read").latest("pk")
    assert (read.actor_member, read.section) == (reception, "administrative")
    code = desk_code(
        invite(as_reception, person, django_capture_on_commit_callbacks, channel="desk")
    )
    invitation = PortalInvitation.objects.get()
    created = AccessEvent.objects.get(
        object_type="portal.portalinvitation", action="create", actor_member=reception
    )
    assert (created.person, created.section, created.reason) == (
        person,
        "administrative",
        "portal_invitation_desk",
    )
    assert created.object_id == str(invitation.pk)
    activate_with_code(Client(), code)
    person.refresh_from_db()
    activated = AccessEvent.objects.get(reason="portal_activated")
    assert activated.actor_user == person.user
    assert activated.actor_member is None
    assert (activated.person, activated.section) == (person, "administrative")


# --- Policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.RECEPTION, True),
        (Role.SOCIAL_WORKER, True),
        (Role.LEGAL_ADVISER, True),
        (Role.MEDIATOR, True),
        (Role.GP, False),
        (Role.NURSE, False),
        (Role.PSYCHOLOGIST, False),
        (Role.COORDINATOR, False),
        (Role.INTERPRETER, False),
        (Role.ADMIN, False),
        (Role.PARTNER, False),
        (Role.NETWORK_OBSERVER, False),
    ],
)
def test_the_policy_by_role(centre, person, role, allowed):
    member = make_member(centre, f"user-{role}", role)
    assert can(member, "invite_to_portal", person) is allowed


def test_reception_may_invite(as_reception, person):
    page = as_reception.get(invite_url(person))
    assert page.status_code == 200
    detail = as_reception.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert invite_url(person) in detail


def test_a_gp_who_is_not_referent_may_not(as_doctor, person, django_capture_on_commit_callbacks):
    assert as_doctor.get(invite_url(person)).status_code == 404
    assert (
        invite(as_doctor, person, django_capture_on_commit_callbacks, channel="desk").status_code
        == 404
    )
    assert not PortalInvitation.objects.exists()
    detail = as_doctor.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert invite_url(person) not in detail
    assert AccessEvent.objects.filter(action="deny", reason="invite_to_portal").exists()


def test_the_referent_may_invite(as_doctor, doctor, reception, person):
    do_add_to_care_team(reception, person, doctor, referent=True)
    assert can(doctor, "invite_to_portal", person)
    assert as_doctor.get(invite_url(person)).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "other_member", "outsider", "person"])
def test_nobody_else_reaches_the_invitation_page(
    who, person, other_member, outsider, person_user, django_capture_on_commit_callbacks
):
    client = Client()
    if who == "other_member":
        client = client_for(other_member.user)
    elif who == "outsider":
        client = client_for(outsider)
    elif who == "person":
        client = client_for(person_user)
    expected = {302} if who == "anonymous" else {404}
    assert client.get(invite_url(person)).status_code in expected
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(invite_url(person), {"channel": "desk"}).status_code in expected
    assert not PortalInvitation.objects.exists()


def test_a_merged_record_cannot_be_invited(as_reception, reception, person, make_person):
    twin = make_person(birth_name="DUPOND", given_names="Marie", sex="F", birth_year=1985)
    do_merge_persons(reception, person, twin, "same person")
    twin.refresh_from_db()
    assert not can(reception, "invite_to_portal", twin)
    assert as_reception.get(invite_url(twin)).status_code == 404


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAILLAGE_SMS_BACKEND": "carrier-pigeon"}, "MAILLAGE_SMS_BACKEND"),
        ({"MAILLAGE_SMS_BACKEND": "webhook"}, "MAILLAGE_SMS_WEBHOOK_URL"),
        (
            {"MAILLAGE_SMS_BACKEND": "webhook", "MAILLAGE_SMS_WEBHOOK_URL": "ftp://x/"},
            "MAILLAGE_SMS_WEBHOOK_URL",
        ),
    ],
)
def test_bad_sms_settings_stop_start_up(tmp_path, env, message):
    environ = {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_SECRET_KEY": "k" * 64,
        "MAILLAGE_SMS_WEBHOOK_URL": "",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import maillage.settings"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_webhook_token_may_come_from_a_file(tmp_path):
    secret = tmp_path / "token"
    secret.write_text("from-a-file\n", encoding="utf-8")
    environ = {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(tmp_path),
        "MAILLAGE_SECRET_KEY": "k" * 64,
        "MAILLAGE_SMS_BACKEND": "webhook",
        "MAILLAGE_SMS_WEBHOOK_URL": "https://sms.example/send",
        "MAILLAGE_SMS_WEBHOOK_TOKEN_FILE": str(secret),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import maillage.settings as s; print(s.SMS_WEBHOOK_TOKEN)"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from-a-file"
