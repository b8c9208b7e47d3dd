"""Password reset by e-mail, idle sessions, hashing: the account rules of the issue."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail

from maillage import settings as production


def test_it_hashes_passwords_with_argon2_in_production():
    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_it_ends_sessions_after_the_configured_idle_time():
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60


def test_it_resets_a_forgotten_password_by_e_mail(client, reception):
    reception.user.email = "alice@example.org"
    reception.user.save(update_fields=["email"])
    response = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body)
    assert link is not None
    path = link.group(0).split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    new = "une-phrase-de-passe-solide-2026"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": new, "password2": new},
    )
    assert done.status_code == 302
    reception.user.refresh_from_db()
    assert reception.user.check_password(new)


def test_it_says_nothing_about_unknown_addresses(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert all("reset/key" not in m.body for m in mail.outbox)
