"""Form fuzzing, generated from the URL configuration: for every view a form posts to,
the form is found on a page a member (or the person, in their own space) may open, read
as a browser would, and posted back a fixed budget of random and malicious values
(seeded: every run posts the same) — huge, empty, control characters, bytes that are not
UTF-8, markup, SQL, template syntax, numbers and dates no column or calendar holds, wrong
types, a field twice, hostile files. Whatever is posted:

- the answer is never a 500 (an exception);
- nothing posted comes back as markup (or as a link that runs a script), on the answer
  nor on the page it leads to once written; no answer sends the browser to another site;
- a refused form writes nothing (every table keeps its number of rows, the logs excepted)
  and shows back the text typed;
- a body bigger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused with a 400 or a 413.

A case refused is posted again, the fields refused put right, so that the others get as
far as the database. Every case is rolled back after it: each starts from the same world.
Run with ``-s`` (or ``-rP``) to read how many cases were posted."""

from __future__ import annotations

import datetime
import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from tests.conftest import make_member
from tests.core.routes import all_routes, body_text, fill, objects  # noqa: F401 (a fixture)
from tests.hostile import (
    CONTROL,
    HUGE_NUMBER,
    HUGE_TEXT,
    IMPOSSIBLE_DATES,
    IMPOSSIBLE_TIMES,
    INJECTIONS,
    MARKUPS,
    NOT_UTF8,
    SCRIPT_URL,
    TEN_MEGABYTES,
    TEXT_HOSTILE,
    WRONG_NUMBERS,
    unescaped_markup,
)
from tests.html_forms import Field, Form, post_forms

TEAM = ("admin_member", "reception", "doctor", "social_worker", "coordinator")
# Cases per form (besides retries, the 10 MB body and the files of an upload form), and
# the seed: set FORM_FUZZ_CASES and FORM_FUZZ_SEED to fuzz deeper, or elsewhere, locally.
CASES_PER_FORM = int(os.environ.get("FORM_FUZZ_CASES", "12"))
SEED = os.environ.get("FORM_FUZZ_SEED", "0")
# Rows a refused form may write: the access log (every read of a record is logged) and
# the failed sign-in attempts (a wrong password to reauthenticate is one).
NOT_COUNTED = {
    "core_accessevent",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accessfailurelog",
}

# Not forms a browser posts: the APIs (tokens, JSON), static files, downloads by path.
NOT_FORMS = ("api/", "fhir/", "static", "<path:")
# Signing in, signing up and resetting a password are the anonymous's: the security
# tests cover them (and a fuzzed sign-in would only lock the account).
ANONYMOUS_ONLY = ("accounts/login", "accounts/signup", "accounts/password/reset")


def fuzzed_routes() -> list[tuple[str, str]]:
    return [
        (route, name)
        for route, name in all_routes()
        if not any(part in route for part in NOT_FORMS) and not route.startswith(ANONYMOUS_ONLY)
    ]


# --- The world the forms are posted in ---------------------------------------------------


@pytest.fixture
def coordinator(centre):
    from maillage.core.roles import Role

    return make_member(centre, "coline", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def world(
    objects,  # noqa: F811
    reception,
    doctor,
    social_worker,
    coordinator,
    admin_member,
    person,
    room,
    other_centre,
):
    """One of everything a form may be about, in centre A, with its id under the name
    the URL configuration gives it."""
    from maillage.agenda import actions as agenda
    from maillage.agenda.feed_views import do_create_feed
    from maillage.coordination.actions import circle, meetings, projects, referrals, requests
    from maillage.coordination.actions import tasks as task_actions
    from maillage.coordination.models import MeetingKind
    from maillage.core.access import record_access
    from maillage.core.actions import do_deactivate_member, do_invite_member
    from maillage.core.models import Member, Notification
    from maillage.core.roles import Role, Section
    from maillage.core.tokens import do_create_token
    from maillage.record import actions as record
    from maillage.rights import actions as rights
    from maillage.rights.models import RightKind
    from maillage.territory import actions as territory
    from maillage.territory import datainclusion as di
    from maillage.territory.models import Organisation, Service, Territory
    from tests.territory.data import as_json

    today = timezone.localdate()

    def at(days: int, hour: int) -> datetime.datetime:
        day = today + datetime.timedelta(days=days)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))

    coord = record_access(coordinator, person)
    social = record_access(social_worker, person)
    assert coord is not None and social is not None
    values: dict[str, Any] = dict(objects)

    row = record.do_add_to_care_team(admin_member, person, doctor)
    choice = record.do_record_choice(
        person, kind="refuse", section=Section.SOCIAL, role=Role.NURSE, user=doctor.user
    )
    referral = referrals.do_propose_referral(coord, to_member=social_worker, reason="Logement")
    request_ = requests.do_receive_request(
        coordinator,
        concerns="registered",
        source="person",
        channel="desk",
        first_words="Besoin d'aide",
        person=person,
    )
    task = task_actions.do_create_task(coordinator, title="Rappeler", assignees=[coordinator])
    meeting = meetings.do_plan_meeting(
        coordinator, kind=MeetingKind.CONCERTATION, title="Concertation", starts_at=at(1, 14)
    )
    attendee = meetings.do_invite_members(coordinator, meeting, [doctor])[0]
    item = meetings.do_add_situation(coordinator, meeting, person, coord)
    meetings.do_add_theme(coordinator, meeting, "Accès aux soins")
    project = projects.do_open_project(coord, next_review_on=today + datetime.timedelta(days=30))
    problematique = projects.do_add_problematique(coord, project, title="Isolement")
    need = projects.do_add_need(coord, project, domain="housing", description="Logement")
    goal = projects.do_add_goal(coord, project, words="Sortir de chez moi")
    action = projects.do_add_action(
        coord, project, description="Appeler", owner_kind="member", owner_member=coordinator
    )
    review = projects.do_add_review(coord, project, held_on=today, summary="Premier point")
    circle_row, _created = circle.do_add_to_circle(
        coord, role="contributor", agreed_on=today, member=doctor
    )
    appointment = agenda.do_book_appointment(
        reception,
        agenda.Booking(
            kind="consultation",
            members=[doctor],
            starts_at=at(2, 10),
            duration=datetime.timedelta(minutes=30),
            person=person,
            outside_hours_ok=True,
        ),
    )
    unregistered = agenda.do_book_appointment(
        reception,
        agenda.Booking(
            kind="consultation",
            members=[doctor],
            starts_at=at(3, 10),
            duration=datetime.timedelta(minutes=30),
            unregistered_name="Marie Dupont",
            outside_hours_ok=True,
        ),
    )
    absence = agenda.do_add_absence(
        admin_member, doctor, starts_at=at(10, 9), ends_at=at(10, 12), kind="leave"
    )
    feed, _raw = do_create_feed(doctor)
    kind = RightKind.objects.filter(structure__isnull=True, is_active=True).first()
    assert kind is not None
    right = rights.do_add_right(social, rights.RightInput(kind=kind, status="open"))
    application = rights.do_open_application(social, kind, organisation="CPAM")
    territory.do_import_directory(admin_member.structure, di.parse([("d.json", as_json())]))
    organisations = list(Organisation.objects.order_by("pk")[:2])
    link = territory.do_link_organisations(
        coordinator, organisations[0], organisations[1], "works_with"
    )
    professional = territory.do_save_professional(
        admin_member.structure, {"name": "Dr Essai", "profession": "medecin_generaliste"}
    )
    area = Territory.objects.create(
        structure=admin_member.structure, name="Quartier", created_by=coordinator
    )
    token, _raw = do_create_token(admin_member, name="essai", scopes=["read"])
    notification = Notification.objects.create(
        recipient=admin_member, kind=Notification.Kind.CARE_TEAM_ADDED, person=person
    )
    # Someone who left (their account can be reactivated), and someone who works in two
    # structures (and may switch between them).
    do_deactivate_member(admin_member, make_member(admin_member.structure, "parti"))
    Member.objects.create(
        user=reception.user, structure=other_centre, role=Role.RECEPTION, profession="accueillant"
    )
    invitation = do_invite_member(
        admin_member,
        email="nouvelle@example.org",
        first_name="Nina",
        last_name="Nouvelle",
        role=Role.NURSE,
        profession="infirmier",
        base_url="http://testserver",
    )
    values.update(
        row_pk=row.pk,
        choice_pk=choice.pk,
        referral_pk=referral.pk,
        request_pk=request_.pk,
        task_pk=task.pk,
        meeting_pk=meeting.pk,
        attendee_pk=attendee.pk,
        agenda_pk=item.pk,
        project_pk=project.pk,
        problematique_pk=problematique.pk,
        need_pk=need.pk,
        goal_pk=goal.pk,
        action_pk=action.pk,
        review_pk=review.pk,
        circle_pk=circle_row.pk,
        appointment_pk=appointment.pk,
        room_pk=room.pk,
        absence_pk=absence.pk,
        member_pk=doctor.pk,
        feed_pk=feed.pk,
        right_pk=right.pk,
        application_pk=application.pk,
        link_pk=link.pk,
        token=invitation.token,
        unregistered_pk=unregistered.pk,
        service=Service.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
    )
    # ``pk`` names a person in most routes, something else in a few.
    pk_of = {
        "equipe/": doctor.pk,
        "compte/jetons/": token.pk,
        "notifications/": notification.pk,
        "territoire/annuaire/services/": Service.objects.order_by("pk").first().pk,  # type: ignore[union-attr]
        "territoire/annuaire/structures/": organisations[0].pk,
        "territoire/annuaire/professionnels/": professional.pk,
        "territoire/<int:pk>": area.pk,
    }
    return {"values": values, "pk_of": pk_of}


def url_of(route: str, world: dict[str, Any]) -> str:
    values = dict(world["values"])
    for prefix, pk in world["pk_of"].items():
        if route.startswith(prefix):
            values["pk"] = pk
    return fill(route, values)


# --- Finding the forms -------------------------------------------------------------------


@dataclass
class Found:
    who: str
    client: Client
    page: str  # the page the form is on
    action: str  # where it posts (with its query string)
    form: Form


def clients_for(route: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, Client]]:
    """Who may use the forms of ``route``: the person in their own space, anyone for an
    invitation, each member of the team otherwise."""
    if route.startswith("mon-espace/"):
        personas: tuple[str, ...] = ("person_user",)
    elif route.startswith("invitation/"):
        yield "anonymous", Client(enforce_csrf_checks=True)
        return
    else:
        personas = TEAM
    for persona in personas:
        account = request.getfixturevalue(persona)
        # The CSRF token posted is the form's, checked as in production (where the check
        # is also what refuses a body too big before any view reads it).
        client = Client(enforce_csrf_checks=True)
        client.force_login(getattr(account, "user", account))
        yield persona, client


def view_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


def pages_above(url: str) -> list[str]:
    """The pages a form posting to ``url`` (a view that only takes POST) may be on: those
    above it (``/a/b/c/`` → ``/a/b/``, ``/a/``, ``/``) that exist."""
    parts = url.strip("/").split("/")
    above = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts) - 1, 0, -1)] + ["/"]
    return [page for page in above if view_name(page) is not None]


def forms_posting_to(name: str, client: Client, page: str) -> list[tuple[str, Form]]:
    """The forms of ``page`` that post to the view ``name``, with where they post."""
    response = client.get(page)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    found = []
    for form in post_forms(body_text(response)):
        action = urljoin(page, form.action) if form.action else page
        if view_name(action) == name:
            found.append((action, form))
    return found


def find_forms(name: str, pages: list[str], clients: list[tuple[str, Client]]) -> list[list[Found]]:
    """The distinct forms (by their fields) that post to the view ``name``, each with who
    sees it and where (on the first of ``pages`` that has one)."""
    found: dict[tuple[str, ...], list[Found]] = {}
    for who, client in clients:
        for page in pages:
            forms = forms_posting_to(name, client, page)
            for action, form in forms:
                signature = tuple(sorted({f.name for f in form.fields}))
                found.setdefault(signature, []).append(Found(who, client, page, action, form))
            if forms:  # the others need look only there (they may see more, or others)
                pages = [page]
                break
    return list(found.values())


# --- What is posted ----------------------------------------------------------------------

CSRF = "csrfmiddlewaretoken"
TEXT_KINDS = {"text", "search", "textarea", "password", "url"}
DATE_KINDS = {"date", "datetime-local", "month", "week"}
CHOICE_KINDS = {"select", "select-multiple", "radio"}
# Text fields with a format: a name, a code, a date typed by hand...; free text is the rest.
FORMATTED = re.compile(
    r"date|_on$|_at$|^on$|phone|telephone|^tel|postcode|code|nir|rpps|mail|courriel|latitude"
    r"|longitude|year|siret|finess|time|hour|minute|duration|number|amount|income|^ins|"
    r"username|password|token|^q$|^next$"
)
# Fields that hold a web address (shown as a link).
LINK = re.compile(r"url|site|web|lien|link")
# What someone would type in a required text field, by its type or name.
PLAUSIBLE_TEXT = [
    ("email", "fuzz@example.org"),
    ("mail|courriel", "fuzz@example.org"),
    ("tel", "06 12 34 56 78"),
    ("phone|telephone", "06 12 34 56 78"),
    ("url", "https://example.org"),
    ("date", "01/02/1990"),
    ("postcode|code_postal", "93200"),
    ("year", "1990"),
]
# The cases tried again, the fields refused put right.
RETRIED = {
    "markup in free text",
    "100,000 characters in free text",
    "control characters in free text",
    "extreme numbers and dates",
}
RETRIES = 2
EXTREME_NUMBERS = ["-1", "0", HUGE_NUMBER, str(2**31), str(2**63)]
EXTREME_DATES = ["0001-01-01", "9999-12-31", "1900-01-01"]
WRONG_CHOICES = [HUGE_NUMBER, "-1", "0", "999999", "pas-un-choix", MARKUPS[0], " ", "1"]
WRONG_CHECKS = ["on", "off", "2", "", MARKUPS[1], HUGE_NUMBER]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hostile_files(rng: random.Random) -> list[SimpleUploadedFile]:
    """Uploads that are not what they say: random bytes, markup as an image, nothing, a
    name climbing out of its folder, a name too long for any column, a NUL in a name,
    data files full of markup."""
    noise = rng.randbytes(4096)
    rows = json.dumps([dict.fromkeys(("source", "id", "nom", "description"), MARKUPS[0])])
    files = [
        ("scan.pdf", noise, "application/pdf"),
        ("photo.png", MARKUPS[0].encode() * 10, "image/png"),
        ("vide.pdf", b"", "application/pdf"),
        ("../../etc/passwd", noise, "text/plain"),
        ("x" * 300 + ".pdf", PDF, "application/pdf"),
        ("a\x00b.pdf", PDF, "application/pdf"),
        ("donnees.json", rows.encode(), "application/json"),
        ("donnees.csv", f"source,id,nom\n{MARKUPS[1]},x,{MARKUPS[0]}\n".encode(), "text/csv"),
        ("note.txt", MARKUPS[0].encode() + NOT_UTF8, "text/plain"),
        ("programme.exe", b"MZ" + noise, "application/octet-stream"),
    ]
    return [SimpleUploadedFile(name, content, kind) for name, content, kind in files]


def fine_file() -> SimpleUploadedFile:
    """A file that should be taken (a PDF), its name markup."""
    return SimpleUploadedFile(MARKUPS[1] + ".pdf", PDF, "application/pdf")


@dataclass
class Case:
    label: str
    values: dict[str, list[Any]]  # what each field is posted (str, or bytes not UTF-8)
    keep_hidden: bool = True  # the hidden fields as rendered (else they are in ``values``)
    files: dict[str, SimpleUploadedFile] = dataclass_field(default_factory=dict)
    tries: int = 0  # how many times it was posted again, the fields refused put right


def is_number(field: Field) -> bool:
    return field.kind in {"number", "range"} or field.inputmode in {"numeric", "decimal"}


def is_link(field: Field) -> bool:
    return field.kind == "url" or bool(LINK.search(field.name))


def is_free_text(field: Field) -> bool:
    return (
        field.kind in TEXT_KINDS
        and field.kind != "password"
        and not is_number(field)
        and not FORMATTED.search(field.name)
    )


class Filler:
    """Fills one form, field by field: with a plausible value (what someone would type or
    pick), or with a hostile one of its kind."""

    def __init__(self, form: Form, rng: random.Random) -> None:
        self.form = form
        self.rng = rng
        self.groups: dict[str, list[Field]] = {}
        for field in form.fields:
            if field.name != CSRF:
                self.groups.setdefault(field.name, []).append(field)
        self.editable = [
            name for name, group in self.groups.items() if group[0].kind not in {"hidden", "file"}
        ]
        self.free = [name for name in self.editable if is_free_text(self.groups[name][0])]
        dates = [n for n in self.editable if self.groups[n][0].kind in DATE_KINDS]
        self.base = {name: self._plausible(name, dates) for name in self.groups}

    def _plausible(self, name: str, dates: list[str]) -> list[str]:
        """Rendered values are kept; empty fields are left empty unless required; a choice
        is made among the options."""
        group = self.groups[name]
        field, rng = group[0], self.rng
        if field.kind in {"checkbox", "radio"}:
            checked = [f.value for f in group if f.checked]
            if checked or (field.kind == "checkbox" and len(group) == 1):
                return checked
            return [rng.choice(group).value]  # one of a list of boxes, one of the radios
        if field.kind in {"select", "select-multiple"}:
            options = [o for o in field.options if o]
            chosen = [o for o in field.selected if o]
            if field.kind == "select":
                chosen = chosen[:1]
            return chosen or ([rng.choice(options)] if options else [""])
        if field.value or field.kind == "hidden":
            return [field.value]
        if field.kind == "password":
            return ["Vingt-sept chats gris 2024!"]
        if is_number(field):  # a measurement, a count: "1" is one, mostly
            return [field.minimum or "1"]
        if not field.required:
            return [""]
        if field.kind in DATE_KINDS:  # dates in the order of the form: a start, then an end
            day = timezone.localdate() + datetime.timedelta(days=dates.index(name))
            return [f"{day.isoformat()}T10:00" if field.kind == "datetime-local" else str(day)]
        if field.kind == "time":
            return ["10:00"]
        for pattern, value in PLAUSIBLE_TEXT:
            if field.kind == pattern or re.search(pattern, name):
                return [value]
        return ["Essai"]

    def hostile(self, name: str) -> str:
        field = self.groups[name][0]
        rng = self.rng
        if rng.random() < 0.2:
            return rng.choice(TEXT_HOSTILE)
        if is_number(field):
            return rng.choice(WRONG_NUMBERS)
        if field.kind in DATE_KINDS:
            return rng.choice(IMPOSSIBLE_DATES)
        if field.kind == "time":
            return rng.choice(IMPOSSIBLE_TIMES)
        if field.kind in CHOICE_KINDS:
            return rng.choice(WRONG_CHOICES)
        if field.kind == "checkbox":
            return rng.choice(WRONG_CHECKS)
        if field.kind == "email":
            return rng.choice(["pas-un-courriel", "a@", "@b", MARKUPS[0] + "@example.org"])
        return rng.choice(TEXT_HOSTILE)

    def case(self, label: str, value_of: Any, names: list[str] | None = None) -> Case:
        """The plausible values, but for the fields ``names`` (the editable ones if not
        given) that get ``value_of(name) -> list[str]``."""
        chosen = self.editable if names is None else names
        values = {name: list(self.base[name]) for name in self.editable}
        keep_hidden = not any(self.groups[name][0].kind == "hidden" for name in chosen)
        if not keep_hidden:  # posted from ``values``, as rendered but for those chosen
            values |= {n: self.base[n] for n, g in self.groups.items() if g[0].kind == "hidden"}
        values |= {name: value_of(name) for name in chosen}
        return Case(label, values, keep_hidden)

    def pairs(self, case: Case) -> list[tuple[str, Any]]:
        """What is posted, in order: the CSRF token, the hidden fields, the others, then the
        button pressed."""
        pairs = [(f.name, f.value) for f in self.form.fields if f.name == CSRF]
        if case.keep_hidden:
            pairs += [
                (f.name, f.value) for f in self.form.fields if f.kind == "hidden" and f.name != CSRF
            ]
        pairs += [(name, value) for name, values in case.values.items() for value in values]
        return pairs + self.form.buttons[:1]

    def typed(self, case: Case) -> dict[str, str]:
        """The free text typed, one value per field: what a refused form must show back."""
        return {
            name: values[0]
            for name, values in case.values.items()
            if name in self.free and len(values) == 1 and isinstance(values[0], str) and values[0]
        }

    def revert(self, case: Case, names: set[str]) -> Case | None:
        """The case again, the fields ``names`` (those refused) as they should be (another
        option for a choice already refused); None if that changes nothing."""
        values = dict(case.values)
        for name in names & set(values):
            if values[name] != self.base[name]:
                values[name] = self.base[name]
            elif self.groups[name][0].kind in CHOICE_KINDS | {"checkbox"}:
                values[name] = self.other_choice(name, values[name])
            else:  # even the plausible value is refused: none, then
                values[name] = [""]
        if values == case.values:
            return None
        return Case(case.label, values, case.keep_hidden, case.files, case.tries + 1)

    def other_choice(self, name: str, refused: list[str]) -> list[str]:
        group = self.groups[name]
        options = (
            group[0].options if group[0].kind.startswith("select") else [f.value for f in group]
        )
        others = [o for o in options if o and o not in refused]
        return [self.rng.choice(others)] if others else refused

    def cases(self) -> Iterator[Case]:
        rng = self.rng
        kinds = {name: group[0].kind for name, group in self.groups.items()}
        numbers = [n for n in self.editable if is_number(self.groups[n][0])]
        dates = [n for n in self.editable if kinds[n] in DATE_KINDS]
        yield self.case(
            "markup in free text",
            lambda n: [
                SCRIPT_URL if is_link(self.groups[n][0]) else f"Essai {rng.choice(MARKUPS)}"
            ],
            self.free,
        )
        yield self.case("100,000 characters in free text", lambda n: [HUGE_TEXT], self.free)
        yield self.case(
            "control characters in free text",
            lambda n: [rng.choice([*CONTROL, NOT_UTF8])],
            self.free,
        )
        yield self.case(
            "extreme numbers and dates",
            lambda n: [rng.choice(EXTREME_NUMBERS if n in numbers else EXTREME_DATES)],
            numbers + dates,
        )
        yield self.case("everything empty", lambda n: [])
        yield self.case(
            "wrong types",
            lambda n: [self.hostile(n)],
            [n for n in self.editable if kinds[n] not in TEXT_KINDS or n in numbers],
        )
        everywhere = [n for n in self.groups if kinds[n] != "file"]  # hidden fields too
        yield self.case("injections everywhere", lambda n: [rng.choice(INJECTIONS)], everywhere)
        # Django keeps a field's last value (and a list all of them).
        yield self.case("every field twice", lambda n: [self.hostile(n), *self.base[n][:1]])
        # One or two fields hostile (a hidden one too), the others as they should be: what
        # one bad value does once it gets past the others.
        for i in range(CASES_PER_FORM - 8):
            chosen = rng.sample(everywhere, min(len(everywhere), rng.choice((1, 2))))
            yield self.case(f"random {i + 1}", lambda n: [self.hostile(n)], chosen)

    def too_big(self) -> Case:
        """One field (a free text one if there is one) carrying 10 MB."""
        name = next(iter(self.free or self.editable), "fuzz")
        return Case("10 MB body", {name: ["x" * TEN_MEGABYTES]})


# --- Posting and checking ----------------------------------------------------------------


def counted_tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed
            and not model._meta.proxy
            and model._meta.db_table not in NOT_COUNTED
        }
    )


def row_counts(tables: list[str]) -> dict[str, int]:
    """How many rows each table holds, in one query."""
    quote = connection.ops.quote_name
    # The names are the models' own tables, not input.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def refused_fields(response: Any) -> set[str] | None:
    """The fields a refused form shows errors on (their names as posted), or None when the
    form was not refused (a refusal is a 400, or the page again with the form's errors)."""
    from django.forms import BaseForm, BaseFormSet

    status = response.status_code
    if status not in {200, 400, 413}:
        return None
    if not response.context:
        return set() if status != 200 else None
    forms: list[BaseForm] = []
    refused = False
    for context in response.context:
        for value in context.flatten().values():
            if isinstance(value, BaseFormSet) and value.is_bound:
                forms += value.forms
                refused = refused or bool(value.non_form_errors())
            elif isinstance(value, BaseForm) and value.is_bound:
                forms.append(value)
    names = {form.add_prefix(key) for form in forms for key in form.errors if key != "__all__"}
    if refused or any(form.errors for form in forms):
        return names
    return set() if status != 200 else None


def post(
    client: Client, action: str, pairs: list[tuple[str, Any]], case: Case, multipart: bool
) -> Any:
    if multipart or case.files:
        data: dict[str, Any] = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        for upload in case.files.values():
            upload.seek(0)  # posted again (a retry)
        data.update(case.files)
        return client.post(action, data)
    return client.post(action, urlencode(pairs), content_type="application/x-www-form-urlencoded")


@dataclass
class Tally:
    cases: int = 0
    forms: int = 0
    failures: int = 0


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    total = Tally()
    yield total
    line = f"form-fuzz: {total.cases} cases on {total.forms} forms, {total.failures} failures"
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and total.cases:  # not in an xdist worker
        with capture.global_and_fixture_disabled():
            reporter.write("\n" + line + "\n")  # after the progress dots


def fuzz_one(found: Found, rng: random.Random, tables: list[str]) -> tuple[int, list[str], bool]:
    """Post every case to one form: how many, the failures (described), and whether every
    case was refused as not allowed (the form is someone else's to post)."""
    from django.core.cache import cache

    client, form = found.client, found.form
    filler = Filler(form, rng)
    multipart = "multipart" in form.enctype
    file_fields = [f.name for f in form.fields if f.kind == "file"]
    cases = [*filler.cases(), filler.too_big()]
    for case in cases[:-1]:  # files that should be taken: the other fields are fuzzed
        case.files = {name: fine_file() for name in file_fields}
    if file_fields:  # and hostile files, the other fields as they should be
        for upload in hostile_files(rng):
            hostile = filler.case(
                f"file {(upload.name or '')[:40]!r}", lambda n: filler.base[n], []
            )
            hostile.files = dict.fromkeys(file_fields, upload)
            cases.append(hostile)
    failures: list[str] = []
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    statuses = set()
    posted = 0
    while cases:
        case = cases.pop(0)
        savepoint = transaction.savepoint()
        try:
            status, failed, refused = check_case(client, found, filler, case, multipart, tables)
        finally:
            transaction.savepoint_rollback(savepoint)
            transaction.set_rollback(False)
            cache.clear()
            # A case that signed out, or changed the session or CSRF token, is undone too.
            for cookie, value in cookies.items():
                client.cookies[cookie] = value
        posted += 1
        failures += failed
        if case.label != "10 MB body":
            statuses.add(status)
        # A case refused is tried again (twice at most), the fields refused put right: what
        # the others carry then gets further (to the database).
        if refused and case.label in RETRIED and case.tries < RETRIES:
            again = filler.revert(case, refused)
            if again is not None:
                cases.insert(0, again)
    return posted, failures, statuses <= {403, 404}


def check_case(
    client: Client, found: Found, filler: Filler, case: Case, multipart: bool, tables: list[str]
) -> tuple[int | None, list[str], set[str] | None]:
    """Post one case: the answer's status, what went wrong, and the fields refused (None
    if the form was not refused)."""
    again = f", again ({case.tries})" if case.tries else ""
    where = f"{found.who} {found.action} [{case.label}{again}]"
    pairs = filler.pairs(case)
    before = row_counts(tables)
    try:
        response = post(client, found.action, pairs, case, multipart)
    except Exception as exc:  # the test client re-raises what the view raised
        fields = sorted({name for name, _value in pairs} - {CSRF})
        return (
            None,
            [f"{where}: {type(exc).__name__}: {str(exc)[:300]!r} (fields {fields[:10]})"],
            None,
        )
    status = response.status_code
    if case.label == "10 MB body":
        if status in {400, 413}:
            return status, [], None
        return status, [f"{where}: answered {status}, not 400/413"], None
    if status >= 500:
        return status, [f"{where}: answered {status}"], None
    html = body_text(response)
    failures = [f"{where}: unescaped {m!r} in the answer" for m in unescaped_markup(html)]
    refused = refused_fields(response)
    if refused is not None:
        after = row_counts(tables)
        changed = {t: (n, after[t]) for t, n in before.items() if after[t] != n}
        if changed:
            failures.append(f"{where}: refused, yet wrote rows: {changed}")
        typed = filler.typed(case) if case.label.startswith("markup") and status == 200 else {}
        lost = [name for name, value in typed.items() if escape(value) not in html]
        if lost:
            failures.append(f"{where}: refused, lost what was typed in {lost}")
        return status, failures, refused
    # Accepted: what was written must not come back as markup where it is shown (the page
    # the answer leads to, or the form's page).
    shown = [found.page]
    if status in {301, 302, 303}:
        location = response.get("Location", "")
        shown = [location] if location.startswith("/") and not location.startswith("//") else []
        if not shown and not url_has_allowed_host_and_scheme(location, {"testserver"}):
            failures.append(f"{where}: sent the browser elsewhere: {location[:100]!r}")
    for page in shown:
        try:
            answer = client.get(page)
        except Exception as exc:
            failures.append(f"{where}: showing {page}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        if answer.status_code >= 500:
            failures.append(f"{where}: showing {page} answered {answer.status_code}")
        elif answer.status_code == 200:
            failures += [
                f"{where}: unescaped {m!r} on {page}" for m in unescaped_markup(body_text(answer))
            ]
    return status, failures, None


ROUTES = fuzzed_routes()
# Forms that are not on their view's page nor on a page above it, or only once something
# is chosen or searched for: where they are.
ELSEWHERE = {
    "people:arrive": ["personnes/<int:other_pk>/"],  # the person arrived already
    "people:dismiss": ["personnes/<int:pk>/fusion/<int:other_pk>/"],
    "coordination:referral_add": [
        "personnes/<int:pk>/orientations/nouvelle/?cible=member:<int:member_pk>"
    ],
    "coordination:meeting_add_situation": ["coordination/reunions/<int:meeting_pk>/?q=DURAND"],
    "coordination:circle_add_directory": ["personnes/<int:pk>/cercle/?cible=service:<int:service>"],
    "agenda:attach": ["agenda/rdv/<int:unregistered_pk>/?cherche=DUPONT"],
}
# Where the forms of a view that only takes POST may be, besides the pages above it.
AROUND = ["personnes/<int:pk>/", "personnes/<int:pk>/dossier/", ""]


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _route, name in ROUTES])
def test_every_form_takes_hostile_input(route, name, request, world, tally):
    url = url_of(route, world)
    pages = [url] + [url_of(page, world) for page in ELSEWHERE.get(name, [])]
    clients = list(clients_for(route, request))
    if clients[0][1].get(url).status_code == 405:  # a view that only takes POST
        pages = pages[1:] + pages_above(url) + [url_of(page, world) for page in AROUND]
    found = find_forms(name, list(dict.fromkeys(pages)), clients)
    if not found:
        pytest.skip(f"no form posts to {name}")
    rng = random.Random(f"form-fuzz {SEED} {name}")
    tables = counted_tables()
    cases, failures = 0, []
    for seen_by in found:
        # Whoever sees the form first posts it; if they may not (every case answered 403
        # or 404), the next one who sees it.
        for one in seen_by:
            n, failed, denied = fuzz_one(one, rng, tables)
            cases += n
            failures += failed
            if not denied:
                break
    tally.cases += cases
    tally.forms += len(found)
    tally.failures += len(failures)
    print(f"form-fuzz: {cases} cases on {len(found)} forms, {len(failures)} failures")
    assert not failures, "\n".join(failures)
