"""The load generator of ``bench load``, in a process of its own (locust patches the
standard library with gevent as it is imported): ``python -m bench.load_run CONFIG PORT PID``.

CONFIG is the JSON file ``bench/load.py`` writes (accounts, password, levels, persons…);
the server (process PID, whose CPU time is read from ``/proc``) listens on
127.0.0.1:PORT. Prints a per-page summary of each level on stderr
and, last on stdout, one JSON line with the figures of each level.

The scenario, as a centre's day goes (share of the simulated users in parentheses; every
user signs in once through the login form, then thinks 1–3 s between clicks):

* **reception** (2/10): welcomes someone — types the first letters of the name in the
  search box (the as-you-type request of htmx), then the name and given name, opens the
  person, marks their arrival (POST, when they are not already waiting) (weight 5); the
  home page and its waiting list (2); opens a person found by name (2); registers a new
  person through the registration form, confirming "none of them" when the form shows
  possible duplicates (1).
* **clinicians** (GPs and nurses, 4/10) and **social workers** (1/10): open a person's
  record (the timeline's first page, sometimes the second) (4); write a note — the record,
  the note form, the POST, back to the record (2); the home page (1); find a person by
  name and open them (1).
* **coordinators** (1/10): the home page with the team's work (3), the team's referrals
  (2), a person's health project (2), the tasks (1), the requests (1), a record (1).
* **persons** (2/10): their space's home page (2), their record (2), their appointments (1).

Every request must answer what the page answers when it works: 200 for a page, 302 to the
expected page for a form that writes; anything else is a failure (a redirect to the login
page, a 403/404, a 5xx, a timeout).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import gevent
from locust import HttpUser, between, task
from locust.env import Environment
from locust.log import setup_logging

from bench import percentile

CONFIG: dict[str, Any] = {}
TIMEOUT = 60  # seconds a request may take before it counts as failed
RAMP_LIMIT = 300  # seconds to wait for every user of a level to sign in
LOGIN = "/accounts/login/"
NUMBERS = itertools.count()  # the simulated users, in the order they start
NEW_PERSONS = itertools.count()
STATE = {"started": 0, "requests": 0, "errors": 0}
LOGIN_MS: list[float] = []

REASONS = ["Rendez-vous", "Sans rendez-vous", "Renouvellement", "Papiers", "Vaccin", ""]
NOTES = [
    "Vu ce jour, va mieux. Poursuite du traitement.",
    "Appel à la CPAM pour le dossier de complémentaire santé solidaire.",
    "Douleurs lombaires depuis une semaine, pas de signe d'alerte. Revoir dans 15 jours.",
    "Accompagnée par sa fille, qui traduit. Interprète à prévoir la prochaine fois.",
    "Pansement refait, cicatrisation correcte.",
    "Demande d'hébergement d'urgence transmise au 115.",
]


# --- Forms, as a browser posts them ------------------------------------------------------


class _Forms(HTMLParser):
    """The ``<form method="post">`` of a page: what each would post as rendered."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: list[str] | None = None
        self._select: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            post = attr.get("method", "get").lower() == "post"
            self._form = {"action": attr.get("action", ""), "fields": [], "names": set()}
            if post:
                self.forms.append(self._form)
            else:
                self._form = None
            return
        if tag == "option" and self._select is not None:
            self._select["options"].append(attr.get("value", ""))
            if "selected" in attr:
                self._select["on"].append(attr.get("value", ""))
            return
        form, name = self._form, attr.get("name", "")
        if form is None or not name or "disabled" in attr:
            return
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "image", "button", "reset", "file"}:
                return
            form["names"].add(name)
            if kind not in {"checkbox", "radio"}:
                form["fields"].append((name, attr.get("value", "")))
            elif "checked" in attr:
                form["fields"].append((name, attr.get("value", "on")))
        elif tag == "textarea":
            form["names"].add(name)
            self._textarea = [name, ""]
        elif tag == "select":
            form["names"].add(name)
            self._select = {"name": name, "multiple": "multiple" in attr, "options": [], "on": []}

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form["fields"].append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            select = self._select
            chosen = select["on"] if select["multiple"] else (select["on"] or select["options"])[:1]
            self._form["fields"].extend((select["name"], value) for value in chosen)
            self._select = None
        elif tag == "form":
            self._form = None


def form_with(html: str, field: str) -> dict[str, Any] | None:
    """The first POST form of the page that has ``field``."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return next((form for form in parser.forms if field in form["names"]), None)


def fill(form: dict[str, Any], **typed: str | list[str]) -> list[tuple[str, str]]:
    """The form's fields as rendered, with what the user typed or ticked instead."""
    data = [(name, value) for name, value in form["fields"] if name not in typed]
    for name, value in typed.items():
        data.extend((name, v) for v in ([value] if isinstance(value, str) else value))
    return data


PERSON_LINK = re.compile(r'href="/personnes/(\d+)/"')


# --- Users -------------------------------------------------------------------------------


class Worker(HttpUser):
    """A signed-in user of the centre: ``kind`` names the accounts it signs in with."""

    abstract = True
    wait_time = between(1, 3)
    kind = ""
    counters: dict[str, itertools.count[int]] = {}

    def on_start(self) -> None:
        number = next(NUMBERS)
        self.rng = random.Random(CONFIG["seed"] * 1000 + number)
        # A workstation of its own behind nginx (the server trusts X-Forwarded-For from
        # 127.0.0.1): allauth allows 30 sign-ins a minute per address.
        self.client.headers["X-Forwarded-For"] = f"10.20.{number // 200}.{number % 200 + 1}"
        self.client.trust_env = False  # loopback only: no proxy of the environment
        pool = CONFIG["accounts"][self.kind]
        counter = self.counters.setdefault(self.kind, itertools.count())
        self.username = pool[next(counter) % len(pool)]
        try:
            self.login()
        finally:
            STATE["started"] += 1

    def login(self) -> None:
        html = self.get(LOGIN, LOGIN)
        form = form_with(html or "", "login")
        if form is None:
            return
        data = fill(form, login=self.username, password=CONFIG["password"])
        self.post(LOGIN, LOGIN, data, r"/(?!accounts/).*")

    @contextmanager
    def request(self, method: str, path: str, name: str, **kwargs: Any) -> Iterator[Any]:
        """A request whose result the caller decides (``catch_response``), counted as
        pending while it runs if it starts in the measured window."""
        inside = WINDOW.start <= time.time() < WINDOW.end
        WINDOW.pending += inside
        try:
            with self.client.request(
                method,
                path,
                name=name,
                allow_redirects=False,
                catch_response=True,
                timeout=TIMEOUT,
                **kwargs,
            ) as response:
                yield response
        finally:
            WINDOW.pending -= inside

    def pause(self) -> None:
        """Think before the next click (``wait_time``)."""
        self.wait()  # type: ignore[no-untyped-call]

    def get(self, path: str, name: str, *, htmx: bool = False) -> str | None:
        """GET a page that must answer 200; its HTML, or None when it failed."""
        headers = {"HX-Request": "true"} if htmx else {}
        with self.request("GET", path, name, headers=headers) as response:
            if response.status_code == 200:
                response.success()
                return str(response.text)
            response.failure(describe(response))
            return None

    def post(self, path: str, name: str, data: list[tuple[str, str]], expected: str) -> str | None:
        """POST a form that must redirect (302) to a path matching ``expected``: the
        path, or None when it failed."""
        referer = {"Referer": f"{self.host}{path}"}
        with self.request("POST", path, name, data=data, headers=referer) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and re.fullmatch(expected, location):
                response.success()
                return str(location)
            response.failure(describe(response))
            return None

    def person(self) -> int:
        return int(self.rng.choice(CONFIG["persons"]))

    def find(self) -> int:
        """Type the first letters of a name, then the name and given name (htmx asks as
        one types); a person of the results, or one of the centre's if none."""
        i = self.rng.randrange(len(CONFIG["names"]))
        self.get(f"/personnes/?q={quote(CONFIG['prefixes'][i])}", "/personnes/?q=", htmx=True)
        gevent.sleep(self.rng.uniform(0.4, 1.2))
        html = self.get(f"/personnes/?q={quote(CONFIG['names'][i])}", "/personnes/?q=", htmx=True)
        found = PERSON_LINK.findall(html or "")[:5]
        return int(self.rng.choice(found)) if found else self.person()

    def record(self, pk: int) -> None:
        self.get(f"/personnes/{pk}/dossier/", "/personnes/[pk]/dossier/")


class Reception(Worker):
    kind = "reception"

    @task(5)
    def welcome(self) -> None:
        pk = self.find()
        self.pause()
        html = self.get(f"/personnes/{pk}/", "/personnes/[pk]/")
        form = form_with(html or "", "reason")  # absent when they are already waiting
        if form is None:
            return
        self.pause()
        data = fill(form, reason=self.rng.choice(REASONS))
        path = f"/personnes/{pk}/arrivee/"
        back = self.post(path, "/personnes/[pk]/arrivee/", data, f"/personnes/{pk}/")
        if back:
            self.get(back, "/personnes/[pk]/")

    @task(2)
    def home(self) -> None:
        self.get("/", "/")

    @task(2)
    def open_person(self) -> None:
        pk = self.find()
        self.pause()
        self.get(f"/personnes/{pk}/", "/personnes/[pk]/")

    @task(1)
    def register(self) -> None:
        path = "/personnes/inscrire/"
        form = form_with(self.get(path, path) or "", "birth_name")
        if form is None:
            return
        self.pause()
        new = CONFIG["new_persons"][next(NEW_PERSONS) % len(CONFIG["new_persons"])]
        data = fill(form, **new, languages=["fr"])
        referer = {"Referer": f"{self.host}{path}"}
        with self.request("POST", path, path, data=data, headers=referer) as response:
            location = response.headers.get("Location", "")
            confirm = None
            if response.status_code == 302 and re.fullmatch(r"/personnes/\d+/", location):
                response.success()
            elif response.status_code == 200 and 'name="confirm_new"' in response.text:
                response.success()  # possible duplicates: reception checks, then confirms
                confirm = form_with(response.text, "confirm_new")
            else:
                response.failure(describe(response))
                return
        if confirm is not None:
            self.pause()
            location = self.post(path, path + " [confirm_new]", fill(confirm), r"/personnes/\d+/")
        if location:
            self.get(location, "/personnes/[pk]/")


class Clinician(Worker):
    kind = "clinician"

    @task(4)
    def read_record(self) -> None:
        pk = self.person()
        self.record(pk)
        if self.rng.random() < 0.25:
            self.pause()
            self.get(f"/personnes/{pk}/dossier/?page=2", "/personnes/[pk]/dossier/?page=")

    @task(2)
    def write_note(self) -> None:
        pk = self.person()
        self.record(pk)
        self.pause()
        path = f"/personnes/{pk}/dossier/note/"
        form = form_with(self.get(path, "/personnes/[pk]/dossier/note/") or "", "text")
        if form is None:
            return
        self.pause()
        data = fill(form, text=self.rng.choice(NOTES))
        back = self.post(path, "/personnes/[pk]/dossier/note/", data, f"/personnes/{pk}/dossier/")
        if back:
            self.get(back, "/personnes/[pk]/dossier/")

    @task(1)
    def home(self) -> None:
        self.get("/", "/")

    @task(1)
    def find_person(self) -> None:
        pk = self.find()
        self.pause()
        self.get(f"/personnes/{pk}/", "/personnes/[pk]/")


class SocialWorker(Clinician):
    kind = "social"


class Coordinator(Worker):
    kind = "coordinator"

    @task(3)
    def home(self) -> None:
        self.get("/", "/")

    @task(2)
    def referrals(self) -> None:
        self.get("/coordination/orientations/", "/coordination/orientations/")

    @task(2)
    def project(self) -> None:
        pk = self.rng.choice(CONFIG["project_persons"])
        self.get(f"/personnes/{pk}/projet/", "/personnes/[pk]/projet/")

    @task(1)
    def team_tasks(self) -> None:
        self.get("/coordination/taches/", "/coordination/taches/")

    @task(1)
    def requests(self) -> None:
        self.get("/coordination/demandes/", "/coordination/demandes/")

    @task(1)
    def read_record(self) -> None:
        self.record(self.person())


class PersonUser(Worker):
    kind = "person"

    @task(2)
    def home(self) -> None:
        self.get("/mon-espace/", "/mon-espace/")

    @task(2)
    def my_record(self) -> None:
        self.get("/mon-espace/dossier/", "/mon-espace/dossier/")

    @task(1)
    def appointments(self) -> None:
        self.get("/mon-espace/rendez-vous/", "/mon-espace/rendez-vous/")


USERS: list[type[Worker]] = [Reception, Clinician, SocialWorker, Coordinator, PersonUser]


FIELD_ERROR = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def describe(response: Any) -> str:
    """Why a response is a failure: its status, where it redirects, a form's first error."""
    if not response.status_code:
        return f"no answer: {type(response.error).__name__}"
    location = response.headers.get("Location")
    said = f"status {response.status_code}" + (f" → {location}" if location else "")
    error = FIELD_ERROR.search(response.text or "") if response.status_code == 200 else None
    if error:
        said += ": " + " ".join(TAG.sub("", error.group(1)).split())[:120]
    return said


# --- The run -----------------------------------------------------------------------------


class Window:
    """The measured stretch of a level. It counts the requests that *start* in it, each
    with its time, and it is summed up once they have all come back. A request that
    started during the ramp-up, and waited there behind the sign-ins (Argon2), is not
    counted."""

    def __init__(self) -> None:
        self.start = self.end = math.inf
        self.pending = 0  # requests started in the window, not back yet
        self.times: dict[str, list[float]] = defaultdict(list)
        self.failed: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()

    def open(self) -> None:
        self.times.clear()
        self.failed.clear()
        self.reasons.clear()
        self.start, self.end = time.time(), math.inf

    def close(self) -> float:
        self.end = time.time()
        return self.end - self.start

    def record(self, key: str, start_time: float, ms: float, exception: Any) -> None:
        if self.start <= start_time < self.end:
            self.times[key].append(ms)
            if exception is not None:
                self.failed[key] += 1
                self.reasons[f"{key}: {exception}"] += 1


WINDOW = Window()


def on_request(
    name: str,
    request_type: str,
    response_time: float,
    exception: Any,
    start_time: float = 0.0,
    **_: Any,
) -> None:
    STATE["requests"] += 1
    if exception is not None:
        STATE["errors"] += 1
    elif request_type == "POST" and name == LOGIN:
        LOGIN_MS.append(response_time)
    WINDOW.record(f"{request_type} {name}", start_time, response_time, exception)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(window: Window, users: int, seconds: float) -> dict[str, Any]:
    """The level's figures (nearest-rank percentiles of the requests' times); its
    per-page table and its failures on stderr."""
    every = [ms for times in window.times.values() for ms in times]
    failures = sum(window.failed.values())
    out = sys.stderr
    print(f"[load] {users} users, {seconds:.1f} s measured", file=out)
    print(f"[load]   {'page':<42} {'count':>6} {'p50':>6} {'p95':>6} {'fail':>5}", file=out)
    pages = {}
    for key, times in sorted(window.times.items()):
        pages[key] = {
            "count": len(times),
            "p50_ms": percentile(times, 50),
            "p95_ms": percentile(times, 95),
            "failures": window.failed[key],
        }
        print(
            f"[load]   {key:<42} {len(times):>6} {pages[key]['p50_ms']:>6.0f} "
            f"{pages[key]['p95_ms']:>6.0f} {window.failed[key]:>5}",
            file=out,
        )
    for reason, count in window.reasons.most_common():
        print(f"[load]   failed ×{count}: {reason}", file=out)
    figures = {
        "users": users,
        "seconds": seconds,
        "requests": len(every),
        "failures": failures,
        "p50_ms": percentile(every, 50) if every else None,
        "p95_ms": percentile(every, 95) if every else None,
        "p99_ms": percentile(every, 99) if every else None,
        "rps": len(every) / seconds,
        "pages": pages,
    }
    if every:
        print(
            f"[load]   all: {len(every)} requests, {failures} failed, "
            f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
            f"p99 {figures['p99_ms']:.0f} ms, {figures['rps']:.1f} requests/s",
            file=out,
            flush=True,
        )
    return figures


def main(config: str, port: str, server_pid: str) -> None:
    with open(config, encoding="utf-8") as stream:
        CONFIG.update(json.load(stream))
    setup_logging("WARNING")  # type: ignore[no-untyped-call]
    for user in USERS:
        user.weight = CONFIG["weights"][user.kind]
    env = Environment(user_classes=list(USERS), host=f"http://127.0.0.1:{port}")
    env.events.request.add_listener(on_request)  # type: ignore[no-untyped-call]
    runner = env.create_local_runner()
    levels: dict[str, Any] = {}
    server = int(server_pid)
    for users in CONFIG["levels"]:
        start = time.monotonic()
        runner.start(users, spawn_rate=CONFIG["spawn_rate"])
        while time.monotonic() - start < RAMP_LIMIT:
            if runner.user_count >= users and STATE["started"] >= users:
                break
            gevent.sleep(0.2)
        else:
            print(f"[load] {users} users: not all signed in after {RAMP_LIMIT} s", file=sys.stderr)
        print(
            f"[load] {users} users signed in after {time.monotonic() - start:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        # Let the queue the sign-ins (Argon2) left behind drain; before the first level,
        # let the server warm up too (templates compiled, modules imported, connections
        # opened: a server that has been running).
        gevent.sleep(CONFIG["settle"] * (3 if users == CONFIG["levels"][0] else 1))
        WINDOW.open()
        server_cpu, own_cpu = cpu_seconds(server), time.process_time()
        gevent.sleep(CONFIG["seconds"])
        seconds = WINDOW.close()
        server_cpu, own_cpu = cpu_seconds(server) - server_cpu, time.process_time() - own_cpu
        drain = time.monotonic()
        while WINDOW.pending and time.monotonic() - drain < TIMEOUT + 5:
            gevent.sleep(0.1)
        level = summary(WINDOW, users, seconds)
        level["server_cpu_s"], level["locust_cpu_s"] = server_cpu, own_cpu
        print(
            f"[load]   CPU in the window: server {level['server_cpu_s']:.1f} s "
            f"({1000 * level['server_cpu_s'] / max(1, level['requests']):.0f} ms a request), "
            f"locust {level['locust_cpu_s']:.1f} s, load average {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
            flush=True,
        )
        levels[str(users)] = level
    runner.quit()
    if runner.exceptions:
        for failure in runner.exceptions.values():
            print(
                f"[load] scenario exception ×{failure['count']}: {failure['msg']}", file=sys.stderr
            )
            print(failure["traceback"], file=sys.stderr)
    result = {
        "levels": levels,
        "requests": STATE["requests"],
        "errors": STATE["errors"],
        "logins": len(LOGIN_MS),
        "login_p50_ms": percentile(LOGIN_MS, 50) if LOGIN_MS else None,
        "login_p95_ms": percentile(LOGIN_MS, 95) if LOGIN_MS else None,
        "scenario_exceptions": sum(f["count"] for f in runner.exceptions.values()),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
