"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's
live server.

- Chromium is Debian's (``apt-get install chromium``), never a browser that Playwright
  downloads. Without it the tests are skipped, or fail when ``MAILLAGE_E2E_REQUIRED=1``
  (as in CI).
- The live server serves static files through ``staticfiles``; htmx comes from
  ``./dev setup`` (copied from npm), and its absence fails the tests with that advice.
- The browser chooses English through the language cookie (what the language menu sets):
  the msgids are the English texts, so the tests do not depend on the French catalogue.
- ``a11y.check(page, name)`` runs axe-core and fails on any "serious" or "critical"
  violation, naming the rule ids and the elements.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

import maillage
from maillage.core.models import Member, Structure
from maillage.core.roles import Role, StructureKind
from maillage.people.actions import do_register_person
from maillage.people.models import Person
from tests.conftest import make_member

# Playwright's sync API runs an event loop in the main thread; the ORM calls the tests
# make between two browser steps are nevertheless synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HTMX = Path(maillage.__file__).parent / "static" / "vendor" / "htmx.min.js"
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")


CSP_VIOLATION_TAG = "maillage-csp-violation:"
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    f"  console.error('{CSP_VIOLATION_TAG} ' + e.violatedDirective + ' ' + e.blockedURI"
    "    + ' ' + e.sourceFile + ':' + e.lineNumber);"
    "});"
)


def is_csp_violation(text: str) -> bool:
    return text.startswith(CSP_VIOLATION_TAG) or (
        "Content Security Policy" in text and text.startswith("Refused to")
    )


def e2e_required() -> bool:
    return os.environ.get("MAILLAGE_E2E_REQUIRED", "").strip().lower() in {"1", "true", "yes"}


def browser_problem() -> str | None:
    """Why no browser can be driven here, if so."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (install it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - playwright is a dev dependency
        return f"Playwright cannot be imported ({exc}); run ./dev setup"
    return None


def blocking_problem() -> str | None:
    """What makes the browser tests fail (rather than skip)."""
    problem = browser_problem()
    if problem:
        return (
            f"{problem}; MAILLAGE_E2E_REQUIRED=1 requires the browser tests"
            if e2e_required()
            else None
        )
    if not HTMX.is_file():
        return f"{HTMX} is missing: run ./dev setup (it copies htmx from npm)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # Fail in the test itself (reported as failed, not as a fixture error).
    if item.get_closest_marker("e2e"):
        problem = blocking_problem()
        if problem:
            pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    problem = browser_problem()
    if problem and not e2e_required():
        pytest.skip(f"{problem}; set MAILLAGE_E2E_REQUIRED=1 to make this a failure")
    if problem or blocking_problem():
        yield None  # pytest_runtest_call fails the test with the reason
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(transactional_db, live_server) -> str:
    """The live server's base URL; the database is flushed after each test."""
    return str(live_server.url)


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations the page reported (none, or the test fails)."""
    return []


@pytest.fixture
def page(browser, server, csp_violations) -> Iterator[Any]:
    if browser is None:
        yield None
        return
    context = browser.new_context(
        base_url=server,
        locale="en-GB",
        timezone_id="Europe/Paris",
        viewport={"width": 1280, "height": 900},
    )
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": server}])
    context.set_default_timeout(TIMEOUT_MS)
    # Every Content-Security-Policy violation fails the test: Chromium reports it in the
    # console ("Refused to …"), and the page's securitypolicyviolation event says it too.
    context.add_init_script(CSP_LISTENER)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    def on_console(message: Any) -> None:
        if is_csp_violation(message.text):
            csp_violations.append(f"{message.text} ({tab.url})")

    tab.on("console", on_console)
    yield tab
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not csp_violations, f"Content-Security-Policy violations: {csp_violations}"


def login(page: Any, username: str, password: str, a11y: A11y | None = None) -> None:
    """Sign in through the real login form."""
    page.goto("/accounts/login/")
    if a11y is not None:
        a11y.check(page, "login")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=login]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


class A11y:
    """axe-core through axe-playwright-python."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()

    def violations(self, page: Any) -> list[dict[str, Any]]:
        results = self.axe.run(page)
        return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]

    def check(self, page: Any, name: str) -> None:
        blocking = self.violations(page)
        if blocking:
            lines = [f"axe: {len(blocking)} serious/critical violation(s) on {name} ({page.url})"]
            for v in blocking:
                targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"])
                lines.append(f"- {v['id']} [{v['impact']}] {v['help']} → {targets}")
            pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture(scope="session")
def a11y() -> A11y:
    return A11y()


# Synthetic data, made through the ORM and the actions.


@pytest.fixture
def e2e_centre(transactional_db) -> Structure:
    return Structure.objects.create(
        name="Centre de santé Les Essais", kind=StructureKind.CENTRE, is_care_team=True
    )


@pytest.fixture
def desk(e2e_centre) -> Member:
    """A reception member (username ``accueil-e2e``, password ``pw-accueil-e2e``)."""
    return make_member(e2e_centre, "accueil-e2e", Role.RECEPTION)


def register(member: Member, birth_name: str, given_names: str, sex: str, dob: str) -> Person:
    day, month, year = (int(part) for part in dob.split("/"))
    return do_register_person(
        member,
        {
            "birth_name": birth_name,
            "given_names": given_names,
            "sex": sex,
            "birth_year": year,
            "birth_month": month,
            "birth_day": day,
            "languages": ["fr"],
        },
    )
