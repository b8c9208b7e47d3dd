"""Potential rights, end to end in a real browser: a social worker enters a household (a
couple with two children and no income, social tenants), runs the estimate with
OpenFisca-France, sees the free Complémentaire santé solidaire likely and not claimed,
starts the application from the estimate, ticks the documents received, records a step,
the submission and the decision (granted, with its period and reference number); the
person's rights then show the CSS open. An axe check runs on each new page. Elements are
found by URL, field name, form action or structure, not by wording."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from maillage.core.roles import Role
from maillage.rights.models import (
    Application,
    ApplicationStatus,
    PersonRight,
    RightKind,
    RightsEstimate,
    RightStatus,
)
from tests.conftest import make_member, national_catalogue
from tests.e2e.conftest import login, register

pytestmark = pytest.mark.e2e

STEP = "Dossier complété avec la personne"
REFERENCE = "CSS-93-2024-000417"
# The first estimate of the test process loads the OpenFisca-France model.
ESTIMATE_TIMEOUT_MS = 60_000


def submit(form) -> None:
    """Submit a form and wait for the page it leads to."""
    with form.page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def test_a_social_worker_estimates_the_rights_and_follows_the_css_to_its_decision(page, a11y, desk):
    # 1. Set-up, through the ORM and the actions: the team's social worker, and a
    # registered person (born 01/01/1985, the applicant of the household).
    national_catalogue()  # the live server's tests flush the database
    assert RightKind.objects.filter(structure=None, code="css").exists()
    social = make_member(desk.structure, "social-e2e", Role.SOCIAL_WORKER, "assistant_social")
    person = register(desk, "TRAORE", "Awa", "F", "01/01/1985")
    today = timezone.localdate()
    until = today + datetime.timedelta(days=365)

    # 2. The social worker signs in, opens the person's page, then her rights.
    login(page, "social-e2e", "pw-social-e2e")
    page.goto(f"/personnes/{person.pk}/")
    page.locator(f"main a[href='/droits/{person.pk}/']").click()
    page.wait_for_url(f"**/droits/{person.pk}/")
    a11y.check(page, "social situation and rights")
    page.locator(f"main a[href='/droits/{person.pk}/estimation/']").click()
    page.wait_for_url(f"**/droits/{person.pk}/estimation/")
    expect(page.locator("#result-title")).to_have_count(0)
    a11y.check(page, "estimate, the household form")

    # The household: a couple, two children, no income, social tenants in Montreuil.
    form = page.locator("main form[method=post]:has(input[name=commune])")
    expect(form.locator("input[name=birth_date]")).to_have_value("1985-01-01")
    form.locator("input[name=couple]").check()
    form.locator("input[name=partner_birth_date]").fill("1987-03-03")
    form.locator("input[name=child_1]").fill("2015-06-01")
    form.locator("input[name=child_2]").fill("2018-09-09")
    form.locator("select[name=housing]").select_option("social_tenant")
    form.locator("input[name=rent]").fill("700")
    form.locator("input[name=commune]").fill("93066")
    form.locator("select[name=stay]").select_option("regular")
    with page.expect_navigation(timeout=ESTIMATE_TIMEOUT_MS):
        form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/droits/{person.pk}/estimation/#result-title$"))
    expect(page.locator("#result-title")).to_be_visible()
    estimate = RightsEstimate.objects.get(person=person)
    lines = {line["code"]: line for line in estimate.lines}
    assert lines["css"]["likely"] is True and lines["css_participation"]["likely"] is False
    assert estimate.created_by == social
    assert len([m for m in estimate.inputs["members"] if m["role"] == "child"]) == 2
    a11y.check(page, "estimate, the result")

    # The free CSS is likely and not claimed: its row offers to start the application.
    apply_css = "form[action$='/estimation/demarche/']:has(input[name=right][value=css])"
    row = page.locator("main table tbody tr", has=page.locator(apply_css))
    expect(row).to_have_count(1)
    start = row.locator(apply_css)
    expect(start).to_have_count(1)
    submit(start)
    page.wait_for_url(re.compile(rf"/droits/{person.pk}/demarche/\d+/$"))
    application = Application.objects.get(person=person)
    assert page.url.endswith(f"/droits/{person.pk}/demarche/{application.pk}/")
    assert application.kind.code == "css" and application.kind.structure_id is None
    assert application.from_estimate is True
    assert application.status == ApplicationStatus.PREPARING
    assert application.accompanied_by == social
    assert application.right.status == RightStatus.IN_PROGRESS
    documents = list(application.documents.all())
    assert documents and all(d.received_on is None for d in documents)
    a11y.check(page, "application, being prepared")

    # 3. The documents came in: all ticked, received today.
    received = page.locator("main form[action$='/documents/']:has(input[name=received-documents])")
    boxes = received.locator("input[type=checkbox][name=received-documents]")
    expect(boxes).to_have_count(len(documents))
    for index in range(boxes.count()):
        boxes.nth(index).check()
    received.locator("input[name=received-received_on]").fill(today.isoformat())
    submit(received)
    page.wait_for_url(re.compile(rf"/demarche/{application.pk}/$"))
    assert {d.received_on for d in application.documents.all()} == {today}
    expect(page.locator("main input[name=received-documents]")).to_have_count(0)
    a11y.check(page, "application, documents received")

    # A step done with the person.
    step = page.locator("main form[action$='/etape/']")
    step.locator("input[name=step-on]").fill(today.isoformat())
    step.locator("input[name=step-what]").fill(STEP)
    submit(step)
    page.wait_for_url(re.compile(rf"/demarche/{application.pk}/$"))
    assert [(s.on, s.what, s.by) for s in application.steps.all()] == [(today, STEP, social)]
    a11y.check(page, "application, a step recorded")

    # The application is submitted today.
    sent = page.locator("main form[action$='/deposer/']")
    sent.locator("input[name=submit-submitted_on]").fill(today.isoformat())
    submit(sent)
    page.wait_for_url(re.compile(rf"/demarche/{application.pk}/$"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_on == today
    expect(page.locator("main form[action$='/deposer/']")).to_have_count(0)
    a11y.check(page, "application, submitted")

    # The decision: granted today, for a year, with its reference number.
    decision = page.locator("main form[action$='/decision/']")
    decision.locator("input[name=decision-decision][value=granted]").check()
    decision.locator("input[name=decision-decided_on]").fill(today.isoformat())
    decision.locator("input[name=decision-starts_on]").fill(today.isoformat())
    decision.locator("input[name=decision-ends_on]").fill(until.isoformat())
    decision.locator("input[name=decision-reference]").fill(REFERENCE)
    submit(decision)
    page.wait_for_url(re.compile(rf"/demarche/{application.pk}/$"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED
    assert application.decided_on == today
    right = PersonRight.objects.get(person=person, kind__code="css")
    assert right == application.right
    assert right.status == RightStatus.OPEN
    assert (right.starts_on, right.ends_on, right.reference) == (today, until, REFERENCE)
    # A closed application offers no form any more.
    expect(page.locator("main form[method=post]")).to_have_count(0)
    a11y.check(page, "application, granted")

    # 4. Back to the person's rights: the CSS is there, open for the period decided.
    page.locator(f"main a[href='/droits/{person.pk}/']").first.click()
    page.wait_for_url(f"**/droits/{person.pk}/")
    rights = page.locator("main section[aria-labelledby=rights-title] tbody tr")
    row = rights.filter(has=page.locator(f"a[href='/droits/{person.pk}/droit/{right.pk}/']"))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text(REFERENCE)
    expect(row.locator(f"time[datetime='{today.isoformat()}']")).to_have_count(1)
    expect(row.locator(f"time[datetime='{until.isoformat()}']")).to_have_count(1)
    # The application is listed with the person's applications.
    expect(
        page.locator(f"main a[href='/droits/{person.pk}/demarche/{application.pk}/']")
    ).to_have_count(1)
    a11y.check(page, "social situation and rights, the CSS open")
