"""Helpers of ``tests/test_crash_safety.py``: a small web client (standard library only),
the writers that use the real forms, and the two scripts run in a subprocess with the
production settings (``python -m tests.crash_support seed|check …``): one prepares the
centre, the other reads what the database holds after the crashes.

Every write carries a marker ``crash-<kind>-<32 hex>``, new for each attempt (a retry is
a new write): an acknowledged marker must be in the database exactly once, any other at
most once.
"""

from __future__ import annotations

import datetime
import http.client
import http.cookiejar
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

KINDS = ("note", "encounter", "fix", "referral", "step", "need", "review")
MARKER = re.compile(r"crash-(" + "|".join(KINDS) + r")-([0-9a-f]{32})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PARIS = ZoneInfo("Europe/Paris")
# The team of the crashed centre: username -> (role, profession, section of their notes).
TEAM = {
    "docteur": ("gp", "medecin_generaliste", "clinical"),
    "social": ("social_worker", "assistant_service_social", "social"),
    "coordo": ("coordinator", "coordinateur", "coordination"),
    "infirmier": ("nurse", "infirmier", "clinical"),
}
# Appointments booked for each writer, to write encounters from.
APPOINTMENTS = 30
# A referral's path when nothing goes wrong (lib/referrals.py).
NEXT_STEP = {"proposed": "agreed", "agreed": "sent", "sent": "received", "received": "done"}


def password(username: str) -> str:
    return f"crash-{username}-Passw0rd!"


def marker(kind: str) -> str:
    return f"crash-{kind}-{uuid.uuid4().hex}"


# --- The web client ------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Response:
    status: int
    location: str
    body: str


class Browser:
    """Cookies, CSRF tokens from the forms, no redirect followed (a write is acknowledged
    by its own answer)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Response:
        """Raises OSError or http.client.HTTPException when the server is not there."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - http://127.0.0.1
        try:
            with self.opener.open(request, timeout=20) as answer:
                return Response(answer.status, "", answer.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            content = error.read().decode("utf-8", "replace")
            return Response(error.code, error.headers.get("Location", ""), content)


class SessionLost(Exception):
    """The server sent the writer to the login page."""


class Unexpected(Exception):
    """An answer that is neither a success, a known refusal nor a connection failure."""


# --- Writers -------------------------------------------------------------------------------


@dataclass
class Attempt:
    kind: str
    marker: str
    acknowledged: bool = False
    at: float = 0.0


@dataclass
class Writer:
    """A member who writes through the web forms until told to stop."""

    base: str
    username: str
    persons: list[int]
    referral_targets: list[int]
    stop: threading.Event
    seed: int
    attempts: list[Attempt] = field(default_factory=list)
    connection_errors: int = 0
    logins: int = 0
    unexpected: list[str] = field(default_factory=list)
    error: BaseException | None = None
    logged_in: bool = False
    appointments: list[tuple[int, int]] = field(default_factory=list)  # pk, person
    notes: list[tuple[int, int, str]] = field(default_factory=list)  # person, entry, marker
    referrals: dict[int, tuple[int, str]] = field(default_factory=dict)  # pk: person, status

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.browser = Browser(self.base)
        self.section = TEAM[self.username][2]

    # The thread ------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.stop.set()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                if not self.logged_in:
                    self.login()
                self.write_something()
            except SessionLost:
                self.logged_in = False
            except Unexpected as exc:
                self.unexpected.append(str(exc))
                if len(self.unexpected) >= 20:
                    return
            except (OSError, http.client.HTTPException):
                # The server is down (killed) or went down during the request.
                self.connection_errors += 1
                time.sleep(self.random.uniform(0.03, 0.12))

    def login(self) -> None:
        page = self.browser.request("/accounts/login/")
        self._expect(page, 200, "login page")
        answer = self.browser.request(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": _token(page.body),
                "login": self.username,
                "password": password(self.username),
            },
        )
        if answer.status != 302 or "/accounts/login/" in answer.location:
            raise Unexpected(f"login of {self.username}: {answer.status} {answer.location}")
        self.logged_in = True
        self.logins += 1

    def _expect(self, answer: Response, status: int, what: str) -> None:
        if answer.status == 302 and "/accounts/login/" in answer.location:
            raise SessionLost
        if answer.status != status:
            raise Unexpected(f"{self.username}, {what}: HTTP {answer.status} {answer.location}")

    def _form(self, path: str) -> str:
        page = self.browser.request(path)
        self._expect(page, 200, f"GET {path}")
        return _token(page.body)

    def _post(
        self, mark: str, path: str, data: dict[str, str], expected: str, form: str = ""
    ) -> re.Match[str]:
        """Load the form (``form``, or ``path``), post it with ``data``, which carries the
        marker ``mark``; acknowledged when the answer is the redirection to ``expected`` (a
        regular expression of the path)."""
        token = self._form(form or path)
        attempt = Attempt(mark.split("-")[1], mark)
        self.attempts.append(attempt)
        answer = self.browser.request(path, {"csrfmiddlewaretoken": token, **data})
        if answer.status == 302 and "/accounts/login/" in answer.location:
            raise SessionLost
        location = urllib.parse.urlsplit(answer.location)
        found = re.fullmatch(expected, location.path) if answer.status == 302 else None
        if found is None:
            raise Unexpected(
                f"{self.username}, POST {path}: HTTP {answer.status} {answer.location} "
                + _errors(answer.body)
            )
        attempt.acknowledged = True
        attempt.at = time.monotonic()
        return found

    # The writes ------------------------------------------------------------------------

    def write_something(self) -> None:
        choices: list[tuple[Any, int]] = [
            (self.add_note, 4),
            (self.add_referral, 2),
            (self.add_need, 1),
            (self.add_review, 2),
        ]
        if self.notes:
            choices.append((self.correct_note, 2))
        if self.referrals:
            choices.append((self.advance_referral, 2))
        if self.appointments:
            choices.append((self.record_encounter, 2))
        actions, weights = zip(*choices, strict=True)
        self.random.choices(actions, weights)[0]()

    def add_note(self) -> None:
        person = self.random.choice(self.persons)
        mark = marker("note")
        self._post(
            mark,
            f"/personnes/{person}/dossier/note/",
            {"section": self.section, "text": f"Note {mark}\nsuite de la note."},
            rf"/personnes/{person}/dossier/",
        )
        if self.random.random() < 0.6:
            # Find it on the timeline, to correct it later.
            page = self.browser.request(f"/personnes/{person}/dossier/")
            self._expect(page, 200, "timeline")
            for article in page.body.split("<article")[1:]:
                if mark in article:
                    entry = re.search(r'id="entry-(\d+)-title"', article)
                    if entry:
                        self.notes.append((person, int(entry.group(1)), mark))

    def record_encounter(self) -> None:
        """An encounter written from one of the member's appointments (each appointment
        once: a retry takes another one), with its note, and a weight for clinicians."""
        appointment, person = self.appointments.pop()
        mark = marker("encounter")
        when = datetime.datetime.now(PARIS) - datetime.timedelta(hours=1)
        weighed = self.section == "clinical"
        path = f"/personnes/{person}/dossier/rencontre/?rdv={appointment}"
        self._post(
            mark,
            path,
            {
                "kind": "consultation",
                "date": when.date().isoformat(),
                "time": when.strftime("%H:%M"),
                "duration_minutes": "20",
                "place": "centre",
                "section": self.section,
                "note_section": self.section,
                "reason": f"Rencontre {mark} rdv {appointment}" + (" poids" if weighed else ""),
                "note": f"Compte rendu {mark}",
                **({"weight": "71.5"} if weighed else {}),
            },
            rf"/personnes/{person}/dossier/",
        )

    def correct_note(self) -> None:
        person, entry, note = self.random.choice(self.notes)
        fix = marker("fix")
        self._post(
            fix,
            f"/personnes/{person}/dossier/{entry}/corriger/",
            {"text": f"Note {note}\ncorrigée : {fix}", "reason": f"Correction {fix}"},
            rf"/personnes/{person}/dossier/{entry}/",
        )

    def add_referral(self) -> None:
        person = self.random.choice(self.persons)
        target = f"member:{self.random.choice(self.referral_targets)}"
        mark = marker("referral")
        path = f"/personnes/{person}/orientations/nouvelle/"
        found = self._post(
            mark,
            path,
            {"target": target, "reason": f"Orientation {mark}", "wishes": "", "documents": ""},
            rf"/personnes/{person}/orientations/(\d+)/",
            form=f"{path}?cible={target}",
        )
        self.referrals[int(found.group(1))] = (person, "proposed")

    def advance_referral(self) -> None:
        pk = self.random.choice(list(self.referrals))
        person, status = self.referrals[pk]
        step = NEXT_STEP[status]
        mark = marker("step")
        posted = len(self.attempts)
        try:
            self._post(
                mark,
                f"/personnes/{person}/orientations/{pk}/",
                {"status": step, "note": f"Étape {mark}", "feedback": ""},
                rf"/personnes/{person}/orientations/{pk}/",
            )
        except BaseException:
            if len(self.attempts) > posted:  # posted, and no answer: where is it now?
                del self.referrals[pk]
            raise
        if step in NEXT_STEP:
            self.referrals[pk] = (person, step)
        else:
            del self.referrals[pk]

    def add_need(self) -> None:
        person = self.random.choice(self.persons)
        mark = marker("need")
        self._post(
            mark,
            f"/personnes/{person}/projet/besoins/nouveau/",
            {"domain": "housing", "description": f"Besoin {mark}"},
            rf"/personnes/{person}/projet/",
        )

    def add_review(self) -> None:
        person = self.random.choice(self.persons)
        mark = marker("review")
        today = datetime.datetime.now(PARIS).date()
        held = today - datetime.timedelta(days=1)
        next_review = today + datetime.timedelta(days=self.random.randint(10, 300))
        self._post(
            mark,
            f"/personnes/{person}/projet/etapes/nouvelle/",
            {
                "held_on": held.isoformat(),
                "summary": f"Point {mark} prochain {next_review.isoformat()}",
                "person_present": "on",
                "who_was_there": self.username,
                "what_changed": "",
                "next_review_on": next_review.isoformat(),
            },
            rf"/personnes/{person}/projet/etapes/\d+/",
        )


def _token(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise Unexpected("no CSRF token in the page")
    return found.group(1)


def _errors(html: str) -> str:
    return " | ".join(re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S))[:500]


# --- Subprocess scripts (production settings, the crashed database) ------------------------


def _django() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.settings")
    import django

    django.setup()


def seed(out: Path) -> None:
    """A centre, its team (with known passwords), three persons and their living health
    project."""
    _django()
    from maillage.coordination.actions.projects import do_open_project
    from maillage.core.access import record_access
    from maillage.core.models import Member, Structure, User
    from maillage.core.roles import Role, StructureKind
    from maillage.people.actions import do_register_person

    centre = Structure.objects.create(
        name="Centre du crash", kind=StructureKind.CENTRE, is_care_team=True
    )

    def member(username: str, role: str, profession: str) -> Member:
        user = User.objects.create_user(
            username=username,
            password=password(username),
            first_name=username.title(),
            last_name="Crash",
        )
        return Member.objects.create(user=user, structure=centre, role=role, profession=profession)

    team = {name: member(name, role, job) for name, (role, job, _s) in TEAM.items()}
    reception = member("accueil", Role.RECEPTION, "accueillant")
    persons = []
    for i, (name, given) in enumerate([("DURAND", "Alice"), ("PETIT", "Omar"), ("LEROY", "Jo")]):
        person = do_register_person(
            reception,
            {
                "birth_name": name,
                "given_names": given,
                "sex": "F" if i % 2 == 0 else "M",
                "birth_year": 1960 + 7 * i,
                "birth_month": 1 + i,
                "birth_day": 10 + i,
                "languages": ["fr"],
            },
        )
        access = record_access(team["coordo"], person)
        assert access is not None
        do_open_project(access)
        persons.append(person)
    # Appointments of the days before, to write encounters from.
    from django.utils import timezone

    from maillage.agenda.actions import Booking, do_book_appointment

    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    appointments: dict[str, list[tuple[int, int]]] = {}
    for name, member_ in team.items():
        appointments[name] = []
        for i in range(APPOINTMENTS):
            person = persons[i % len(persons)]
            booked = do_book_appointment(
                reception,
                Booking(
                    kind="consultation",
                    members=[member_],
                    person=person,
                    starts_at=morning
                    - datetime.timedelta(days=1 + i // 20, minutes=-20 * (i % 20)),
                    duration=datetime.timedelta(minutes=20),
                    reason="Suivi",
                    outside_hours_ok=True,
                ),
            )
            appointments[name].append((booked.pk, person.pk))
    out.write_text(
        json.dumps(
            {
                "persons": [p.pk for p in persons],
                "members": {n: m.pk for n, m in team.items()},
                "appointments": appointments,
            }
        ),
        encoding="utf-8",
    )


def check(markers_file: Path, out: Path) -> None:
    """What the database holds: how many times each marker is there, and every broken
    invariant (partial writes, audit events missing or pointing at nothing, orphans)."""
    _django()
    from django.apps import apps
    from django.db import connection

    from maillage.coordination.models import HealthProject, Need, Referral, ReviewPoint
    from maillage.core.models import AccessEvent
    from maillage.record.models import Encounter, Entry, Observation

    problems: list[str] = []
    counts: Counter[str] = Counter()

    def count(kind: str, texts: Any) -> None:
        for text in texts:
            for found_kind, _hex in MARKER.findall(text or ""):
                if found_kind == kind:
                    counts[f"crash-{kind}-{_hex}"] += 1

    # Audit events of the objects written, by (object type, id, action).
    audited: Counter[tuple[str, str, str]] = Counter()
    event_person: dict[tuple[str, str], set[int | None]] = {}
    writes = [AccessEvent.Action.CREATE, AccessEvent.Action.UPDATE]
    for object_type, object_id, action, person_id in (
        AccessEvent.objects.filter(action__in=writes)
        .exclude(object_type="")
        .values_list("object_type", "object_id", "action", "person_id")
    ):
        audited[(object_type, object_id, action)] += 1
        event_person.setdefault((object_type, object_id), set()).add(person_id)
    # Every write event, whatever it wrote, is about a row that exists.
    for object_type in sorted({kind for kind, _id in event_person}):
        model = apps.get_model(object_type)
        ids = {str(pk) for pk in model._base_manager.values_list("pk", flat=True)}
        for kind, object_id in event_person:
            if kind == object_type and object_id not in ids:
                problems.append(f"audit event of a {object_type} that does not exist: {object_id}")

    def audit(object_type: str, pk: int, person_id: int, updates: int) -> None:
        key = (object_type, str(pk))
        created = audited[(*key, "create")]
        updated = audited[(*key, "update")]
        if created != 1:
            problems.append(f"{object_type} {pk}: {created} create events, not 1")
        if updated != updates:
            problems.append(f"{object_type} {pk}: {updated} update events, not {updates}")
        if event_person.get(key, set()) - {person_id}:
            problems.append(f"{object_type} {pk}: audit event of another person")

    # Journal notes and their corrections.
    create_events = {
        (int(object_id), section, member_id)
        for object_id, section, member_id in AccessEvent.objects.filter(
            object_type="record.entry", action=AccessEvent.Action.CREATE
        ).values_list("object_id", "section", "actor_member_id")
    }
    entries = Entry.objects.select_related("person").prefetch_related("versions")
    for entry in entries:
        count("note", [entry.text])
        versions = sorted(entry.versions.all(), key=lambda v: v.number)
        count("fix", [v.reason for v in versions])
        if entry.kind == "note" and not entry.text.strip():
            problems.append(f"entry {entry.pk}: a note without text")
        if entry.structure_id != entry.person.structure_id:
            problems.append(f"entry {entry.pk}: structure is not the person's")
        if [v.number for v in versions] != list(range(1, entry.version)):
            problems.append(
                f"entry {entry.pk} version {entry.version}: versions {[v.number for v in versions]}"
            )
        if (entry.version > 1) != (entry.updated_at is not None):
            problems.append(f"entry {entry.pk}: version {entry.version}, {entry.updated_at=}")
        texts = [v.data.get("text", "") for v in versions] + [entry.text]
        for i, version in enumerate(versions):
            fixed = MARKER.search(version.reason)
            if fixed and fixed.group(0) not in texts[i + 1]:
                problems.append(f"entry {entry.pk}: correction {version.number} not applied")
        if (entry.pk, entry.section, entry.author_id) not in create_events:
            problems.append(f"entry {entry.pk}: no create event by its author in its section")
        audit("record.entry", entry.pk, entry.person_id, entry.version - 1)

    # Encounters: their details, their note, their weight, the appointment they close.
    from maillage.agenda.models import Appointment

    linked = dict(Appointment.objects.filter(entry__isnull=False).values_list("pk", "entry_id"))
    for entry in Entry.objects.filter(kind="encounter").prefetch_related("children"):
        detail = Encounter.objects.filter(entry=entry).first()
        if detail is None:
            problems.append(f"encounter {entry.pk}: no details")
            continue
        if not entry.participants.filter(member_id=entry.author_id).exists():
            problems.append(f"encounter {entry.pk}: its author did not take part")
        count("encounter", [detail.reason])
        written = MARKER.search(detail.reason)
        if written is None:
            continue
        children = list(entry.children.all())
        notes = [c for c in children if c.kind == "note" and written.group(0) in c.text]
        weights = [c for c in children if c.kind == "observation"]
        if len(notes) != 1:
            problems.append(f"encounter {entry.pk}: {len(notes)} notes, not 1")
        if len(weights) != ("poids" in detail.reason):
            problems.append(f"encounter {entry.pk}: {len(weights)} measures")
        appointment = int(re.search(r"rdv (\d+)", detail.reason).group(1))
        if linked.get(appointment) != entry.pk:
            problems.append(
                f"encounter {entry.pk}: appointment {appointment} has {linked.get(appointment)}"
            )
    for entry in Entry.objects.filter(kind="observation"):
        if not Observation.objects.filter(entry=entry).exists():
            problems.append(f"observation {entry.pk}: no value")
    for appointment, entry_id in linked.items():
        if not Entry.objects.filter(pk=entry_id, kind="encounter").exists():
            problems.append(f"appointment {appointment}: linked to {entry_id}, no encounter")

    # Referrals and the steps of their path.
    for referral in Referral.objects.prefetch_related("events"):
        count("referral", [referral.reason])
        steps = sorted(referral.events.all(), key=lambda e: (e.at, e.pk))
        count("step", [e.note for e in steps])
        if not steps:
            problems.append(f"referral {referral.pk}: no step at all")
            continue
        if steps[0].status != "proposed":
            problems.append(f"referral {referral.pk}: first step {steps[0].status}")
        if referral.status != steps[-1].status:
            problems.append(
                f"referral {referral.pk}: status {referral.status}, last step {steps[-1].status}"
            )
        if len(steps) > 1 and referral.last_news_at != steps[-1].at:
            problems.append(f"referral {referral.pk}: last news is not its last step")
        audit("coordination.referral", referral.pk, referral.person_id, len(steps) - 1)

    # The health projects: needs, review points and the next review date they set.
    for project in HealthProject.objects.all():
        audit("coordination.healthproject", project.pk, project.person_id, 0)
        reviews = list(ReviewPoint.objects.filter(project=project).order_by("pk"))
        if reviews:
            planned = re.search(r"prochain (\d{4}-\d\d-\d\d)", reviews[-1].summary)
            expected = datetime.date.fromisoformat(planned.group(1)) if planned else None
            if project.next_review_on != expected:
                problems.append(
                    f"project {project.pk}: next review {project.next_review_on}, "
                    f"the last review point says {expected}"
                )
    for review in ReviewPoint.objects.select_related("project"):
        count("review", [review.summary])
        if not isinstance(review.snapshot, dict) or not review.snapshot:
            problems.append(f"review point {review.pk}: no snapshot")
        audit("coordination.reviewpoint", review.pk, review.project.person_id, 0)
    for need in Need.objects.select_related("project"):
        count("need", [need.description])
        audit("coordination.need", need.pk, need.project.person_id, 0)

    # No orphan anywhere: every foreign key of every table points at a row.
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for fk in model._meta.concrete_fields:
            if not (fk.many_to_one or fk.one_to_one):
                continue
            target = fk.related_model
            orphans = (
                model._base_manager.filter(**{f"{fk.attname}__isnull": False})
                .exclude(
                    **{f"{fk.attname}__in": target._base_manager.values(fk.target_field.attname)}
                )
                .count()
            )
            if orphans:
                problems.append(f"{model._meta.label}.{fk.name}: {orphans} orphan rows")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            integrity = cursor.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                problems.append(f"integrity_check: {integrity[:10]}")
            foreign = cursor.execute("PRAGMA foreign_key_check").fetchall()
            if foreign:
                problems.append(f"foreign_key_check: {foreign[:10]}")

    known = set(json.loads(markers_file.read_text(encoding="utf-8")))
    strangers = sorted(set(counts) - known)
    if strangers:
        problems.append(f"markers never written: {strangers[:10]}")
    rows = {
        "entries": Entry.objects.count(),
        "referrals": Referral.objects.count(),
        "review points": ReviewPoint.objects.count(),
        "needs": Need.objects.count(),
        "access events": AccessEvent.objects.count(),
    }
    out.write_text(
        json.dumps({"counts": counts, "problems": problems, "rows": rows, "db": connection.vendor}),
        encoding="utf-8",
    )


if __name__ == "__main__":
    command, *paths = sys.argv[1:]
    if command == "seed":
        seed(Path(paths[0]))
    elif command == "check":
        check(Path(paths[0]), Path(paths[1]))
    else:
        raise SystemExit(f"unknown command {command}")
