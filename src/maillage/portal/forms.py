"""Forms of the invitation to the personal space: the member's, then the person's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from maillage.core.models import User
from maillage.core.sms import french_mobile
from maillage.people.models import Person
from maillage.people.templatetags.people_tags import phone as phone_display
from maillage.portal import codes
from maillage.portal.models import PortalInvitation

Channel = PortalInvitation.Channel


class InvitePersonForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How should the invitation reach the person?"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        help_text=_("A French mobile number (06 or 07), for a text message."),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        mobile = french_mobile(person.phone)
        if person.email:
            channel = Channel.EMAIL
        elif mobile:
            channel = Channel.SMS
        else:
            channel = Channel.DESK
        kwargs.setdefault(
            "initial",
            {"channel": channel, "email": person.email, "phone": phone_display(person.phone)},
        )
        super().__init__(*args, **kwargs)
        self.mobile = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel")
        if channel == Channel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Give the e-mail address the link should be sent to."))
        if channel == Channel.SMS:
            raw = data.get("phone", "")
            mobile = french_mobile(raw) if raw else None
            if not raw:
                self.add_error("phone", _("Give the mobile number the link should be sent to."))
            elif mobile is None:
                self.add_error(
                    "phone",
                    _(
                        "This is not a French mobile number (06 or 07): a text message "
                        "cannot reach it. Send the link by e-mail, or give a code at the desk."
                    ),
                )
            else:
                self.mobile = mobile
        return data

    def destination(self) -> str:
        channel = self.cleaned_data["channel"]
        if channel == Channel.EMAIL:
            return str(self.cleaned_data["email"])
        if channel == Channel.SMS:
            return self.mobile
        return ""


class ActivationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"),
        max_length=30,
        help_text=_(
            "The 10 letters and digits written on the sheet the team gave you, for example "
            "K7QM-2XPA-9R. Capital or small letters, with or without the dashes."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = codes.normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _(
                    "A code has 10 letters and digits, and never contains 0, O, 1 or I. "
                    "Check what you typed."
                )
            )
        return code


def suggest_username(person: Person) -> str:
    """``marie.dupont``, or ``marie.dupont2``… when it is taken."""
    given = slugify(person.used_given_name or person.first_given_name) or "personne"
    last = slugify(person.used_name or person.birth_name)
    base = f"{given}.{last}" if last else given
    base = base[:140]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


class ActivationForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("You will type it to sign in. Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. A short sentence you remember is a good choice."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, person: Person, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        self.email = email

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"]).strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            person = self.person
            future = User(
                username=data.get("username", ""),
                email=self.email,
                first_name=person.used_given_name or person.first_given_name,
                last_name=person.used_name or person.birth_name,
            )
            try:
                validate_password(p1, future)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


# --- The person's own health project -------------------------------------------------------

PERSON_AGREEMENT = [
    ("agrees", _("Yes, I agree with this goal")),
    ("disagrees", _("No, I do not agree")),
    ("", _("I do not know yet")),
]


class MyWordsForm(forms.Form):
    words = forms.CharField(
        label=_("In my own words"),
        help_text=_("Say it as you would say it. You can change it whenever you want."),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MyGoalForm(forms.Form):
    agreement = forms.ChoiceField(
        label=_("Do you agree with this goal?"),
        choices=PERSON_AGREEMENT,
        required=False,
        widget=forms.RadioSelect,
    )
    view = forms.CharField(
        label=_("What I think of it"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AskMeetingForm(forms.Form):
    text = forms.CharField(
        label=_("What would you like to talk about?"),
        help_text=_("A few words are enough. Someone of the team will contact you."),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write a few words about what you want to talk about.")},
    )
