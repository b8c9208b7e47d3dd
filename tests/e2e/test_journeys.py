"""Reception journeys in a real browser, with an axe check on each main page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from maillage.core.models import User
from maillage.people.choices import VisitStatus
from maillage.people.models import Person, ReceptionVisit
from tests.e2e.conftest import login, register

pytestmark = pytest.mark.e2e

DESK_LOGIN = ("accueil-e2e", "pw-accueil-e2e")
RECORD_URL = re.compile(r"/personnes/(\d+)/$")


def path_of(page) -> str:
    return urlsplit(page.url).path


def record_pk(page) -> int:
    match = RECORD_URL.search(page.url)
    assert match, f"not on a person's record: {page.url}"
    return int(match.group(1))


def test_reception_logs_in_and_sees_home(page, a11y, desk):
    login(page, *DESK_LOGIN, a11y=a11y)

    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(desk.structure.name)
    expect(page.get_by_role("search")).to_be_visible()
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    a11y.check(page, "home")


def test_register_a_person(page, a11y, desk):
    login(page, *DESK_LOGIN)
    page.get_by_role("main").get_by_role("link", name="Register a person", exact=True).click()
    page.wait_for_url("**/personnes/inscrire/")

    # An impossible date and no name: the error summary lists both.
    page.get_by_label("Date of birth", exact=True).fill("31/02/1985")
    page.get_by_role("button", name="Register", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^Birth name"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^Date of birth"))).to_be_visible()
    a11y.check(page, "register form with errors")
    assert Person.objects.count() == 0

    page.get_by_label(re.compile(r"^Birth name")).fill("Martin")
    page.get_by_label(re.compile(r"^Given names")).fill("Léa Camille")
    page.get_by_label("Date of birth", exact=True).fill("12/03/1985")
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Phone", exact=True).fill("06 11 22 33 44")
    page.get_by_label("French", exact=True).check()
    page.get_by_role("button", name="Register", exact=True).click()

    page.wait_for_url(RECORD_URL)
    person = Person.objects.get(pk=record_pk(page))
    assert (person.birth_name, person.given_names, person.sex) == ("MARTIN", "Léa Camille", "F")
    assert (person.birth_day, person.birth_month, person.birth_year) == (12, 3, 1985)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Léa MARTIN")
    expect(page.get_by_role("status")).to_contain_text("is registered")
    a11y.check(page, "person record")


def test_duplicate_warning_leads_to_the_existing_record(page, a11y, desk):
    existing = register(desk, "DUPONT", "Marie", "F", "12/03/1985")
    login(page, *DESK_LOGIN)
    page.goto("/personnes/inscrire/")

    page.get_by_label(re.compile(r"^Birth name")).fill("Dupond")
    page.get_by_label(re.compile(r"^Given names")).fill("Marie")
    page.get_by_label("Date of birth", exact=True).fill("12/03/1985")
    page.get_by_label("Female", exact=True).check()
    page.get_by_role("button", name="Register", exact=True).click()

    warning = page.get_by_role("alert").filter(has_text="may already be registered")
    expect(warning).to_be_visible()
    expect(page.get_by_role("button", name="None of them: register a new person")).to_be_visible()
    a11y.check(page, "duplicate warning")

    warning.get_by_role("link", name=re.compile("It is this person")).click()
    page.wait_for_url(f"**/personnes/{existing.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marie DUPONT")
    assert Person.objects.count() == 1


def test_search_misspelt_accented_name(page, a11y, desk):
    helene = register(desk, "LEFÈVRE", "Hélène", "F", "04/07/1962")
    register(desk, "MARTIN", "Paul", "M", "01/01/1970")
    login(page, *DESK_LOGIN)

    # Typing: htmx fetches the results into the page, without loading a new one.
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    box = page.get_by_role("searchbox", name="Find a person")
    with page.expect_response(lambda r: "/personnes/?q=" in r.url) as response_info:
        box.press_sequentially("helene lefevr", delay=20)
    assert response_info.value.request.headers.get("hx-request") == "true"
    results = page.locator("#results")
    expect(results.get_by_role("link", name=re.compile("LEFÈVRE"))).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("MARTIN"))).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the page"
    a11y.check(page, "home with live search results")

    # Enter submits the search form (as without JavaScript): the results page loads.
    page.goto("/")
    box = page.get_by_role("searchbox", name="Find a person")
    box.fill("helene lefevr")
    with page.expect_event("load"):
        box.press("Enter")
    assert path_of(page) == "/personnes/"
    assert "q=helene+lefevr" in page.url
    link = page.locator("#results").get_by_role("link", name=re.compile("LEFÈVRE"))
    expect(link).to_be_visible()
    a11y.check(page, "search results")

    link.click()
    page.wait_for_url(f"**/personnes/{helene.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hélène LEFÈVRE")


def test_arrival_then_seen_from_the_waiting_list(page, a11y, desk):
    person = register(desk, "DUPONT", "Marie", "F", "12/03/1985")
    login(page, *DESK_LOGIN)
    page.goto(f"/personnes/{person.pk}/")

    page.get_by_label("Reason for coming").fill("vaccination")
    page.get_by_role("button", name="Mark as arrived").click()
    expect(page.get_by_role("status")).to_contain_text("is waiting at reception")
    expect(page.get_by_text("Waiting at reception since")).to_be_visible()
    visit = ReceptionVisit.objects.get(person=person)
    assert (visit.status, visit.reason) == (VisitStatus.ARRIVED, "vaccination")

    page.get_by_role("navigation").get_by_role("link", name="Home").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    waiting = page.locator("section", has=page.get_by_role("heading", name=re.compile("Waiting")))
    expect(waiting.get_by_role("heading", level=2)).to_have_text("Waiting at reception (1)")
    row = waiting.get_by_role("row", name=re.compile("Marie DUPONT"))
    expect(row).to_contain_text("vaccination")
    a11y.check(page, "home with a waiting list")

    row.get_by_role("button", name=re.compile(r"seen.*Marie DUPONT", re.IGNORECASE)).click()
    expect(page.get_by_role("status")).to_contain_text("has been seen")
    expect(waiting.get_by_role("heading", level=2)).to_have_text("Waiting at reception (0)")
    expect(waiting.get_by_text("Nobody is waiting.")).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SEEN


@pytest.mark.parametrize("where", ["login", "home"])
def test_skip_link_is_first_and_moves_focus_to_main(page, desk, where):
    if where == "home":
        login(page, *DESK_LOGIN)
    else:
        page.goto("/accounts/login/")

    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({skip: document.activeElement.classList.contains('skip-link'),"
        " href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"skip": True, "href": "#main"}, f"first Tab focuses {focused}"
    skip = page.locator(".skip-link")
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_person_sees_own_space(page, a11y, desk):
    person = register(desk, "LEFÈVRE", "Hélène", "F", "04/07/1962")
    person.user = User.objects.create_user(username="helene", password="pw-helene")
    person.save(update_fields=["user"])

    login(page, "helene", "pw-helene")
    page.wait_for_url("**/mon-espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Hélène")
    a11y.check(page, "portal home")
