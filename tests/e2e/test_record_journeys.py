"""Journeys on the shared record in a real browser, with an axe check on each new page.

Elements are found by URL, form field name or structure rather than by visible text, so
the journeys do not depend on the wording of the catalogue.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from django.utils import timezone, translation
from fhir.resources.R4B import get_fhir_model_class
from playwright.sync_api import expect

from maillage.core.access import record_access
from maillage.core.models import AccessEvent, Member, Structure, User
from maillage.core.roles import Role, Section, StructureKind
from maillage.people.models import Person
from maillage.record import actions
from maillage.record.choices import EncounterKind, SharingKind
from maillage.record.models import BreakGlass, Encounter, Entry, SharingChoice
from tests.conftest import make_member
from tests.e2e.conftest import login, register
from tests.record.test_icpc2 import load_rubrics

pytestmark = pytest.mark.e2e

DESK_LOGIN = ("accueil-e2e", "pw-accueil-e2e")


def sign_in(page, member_or_username) -> None:
    """Log out whoever is signed in (through the menu), then sign in as someone else."""
    if page.url.startswith("http") and page.locator("form[action$='/logout/']").count():
        page.locator("form[action$='/logout/'] button[type=submit]").click()
        page.wait_for_load_state()
    username = (
        member_or_username.user.username
        if isinstance(member_or_username, Member)
        else member_or_username
    )
    login(page, username, "pw-" + username)


def member_of(structure: Structure, username: str, role: str, profession: str) -> Member:
    return make_member(structure, username, role, profession)


def with_account(person: Person, username: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    person.user = user
    person.save(update_fields=["user"])
    return user


def marie_seen_by_a_gp(desk: Member) -> tuple[Member, Person]:
    """Marie, with an account for her space, and the GP's consultation in her record."""
    gp = member_of(desk.structure, "docteur-e2e", Role.GP, "medecin_generaliste")
    person = register(desk, "DUPONT", "Marie", "F", "12/03/1985")
    with_account(person, "marie")
    actions.do_record_encounter(
        record_access(gp, person),
        actions.EncounterInput(
            kind=EncounterKind.CONSULTATION,
            section=Section.CLINICAL,
            occurred_at=timezone.now(),
            note="Follow-up of asthma.",
        ),
    )
    return gp, person


def entries(page):
    return page.locator("main article.entry")


def entry_article(page, entry: Entry):
    return page.locator(f"main article[aria-labelledby='entry-{entry.pk}-title']")


def label(page, choice) -> str:
    """A choice's label in the language of the page shown."""
    with translation.override(page.locator("html").get_attribute("lang") or "en"):
        return str(choice.label)


def test_gp_records_a_co_consultation_seen_by_those_who_took_part(page, a11y, desk):
    centre = desk.structure
    gp = member_of(centre, "docteur-e2e", Role.GP, "medecin_generaliste")
    social = member_of(centre, "social-e2e", Role.SOCIAL_WORKER, "assistant_service_social")
    interpreter = member_of(centre, "interprete-e2e", Role.INTERPRETER, "interprete")
    person = register(desk, "HADDAD", "Samir", "M", "02/05/1980")
    # An earlier clinical note: neither the social worker nor the interpreter read it.
    earlier = actions.do_add_note(
        record_access(gp, person), section=Section.CLINICAL, text="Earlier clinical note."
    )

    sign_in(page, gp)
    page.goto(f"/personnes/{person.pk}/")
    page.locator(f"main a[href='/personnes/{person.pk}/dossier/']").first.click()
    page.wait_for_url(f"**/personnes/{person.pk}/dossier/")
    a11y.check(page, "timeline")

    page.locator(f"main a[href='/personnes/{person.pk}/dossier/rencontre/']").click()
    page.wait_for_url(f"**/personnes/{person.pk}/dossier/rencontre/")
    a11y.check(page, "encounter form")
    form = page.locator("main form[method=post]")
    form.locator("select[name=kind]").select_option(EncounterKind.CO_CONSULTATION)
    # Filed in coordination, which the social worker reads; the measure stays clinical.
    form.locator("select[name=section]").select_option(Section.COORDINATION)
    form.locator(f"input[name=members][value='{social.pk}']").check()
    form.locator("select[name=interpreter]").select_option(str(interpreter.pk))
    form.locator("select[name=interpreting_language]").select_option("ar")
    form.locator("textarea[name=note]").fill("Joint visit: housing and blood pressure.")
    form.locator("select[name=note_section]").select_option(Section.COORDINATION)
    form.locator("input[name=bp_systolic]").fill("142")
    form.locator("input[name=bp_diastolic]").fill("91")
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**/personnes/{person.pk}/dossier/")
    encounter = Entry.objects.get(person=person, kind="encounter")
    assert encounter.encounter.kind == EncounterKind.CO_CONSULTATION
    assert encounter.encounter.interpreting_language == "ar"
    assert {p.member_id for p in encounter.participants.all()} == {
        gp.pk,
        social.pk,
        interpreter.pk,
    }
    article = entry_article(page, encounter)
    for who in (gp, social, interpreter):
        expect(article).to_contain_text(who.display_name)
    expect(article).to_contain_text("Joint visit: housing and blood pressure.")
    expect(article.locator(".measure")).to_contain_text("142")
    a11y.check(page, "timeline with the encounter")

    # The social worker reads the encounter and its note, not the clinical parts.
    sign_in(page, social)
    page.goto(f"/personnes/{person.pk}/dossier/")
    article = entry_article(page, encounter)
    expect(article).to_be_visible()
    expect(article).to_contain_text("Joint visit: housing and blood pressure.")
    expect(article.locator(".measure")).to_have_count(0)
    expect(entry_article(page, earlier)).to_have_count(0)
    a11y.check(page, "timeline of the social worker")

    # The interpreter reads the encounter they took part in, and nothing else.
    sign_in(page, interpreter)
    page.goto(f"/personnes/{person.pk}/dossier/")
    expect(entry_article(page, encounter)).to_be_visible()
    for who in (gp, social, interpreter):
        expect(entry_article(page, encounter)).to_contain_text(who.display_name)
    expect(entries(page)).to_have_count(1)
    expect(entry_article(page, earlier)).to_have_count(0)
    a11y.check(page, "timeline of the interpreter")


def test_person_hides_the_coordination_part_from_reception(page, a11y, desk):
    centre = desk.structure
    social = member_of(centre, "social-e2e", Role.SOCIAL_WORKER, "assistant_service_social")
    person = register(desk, "LEFÈVRE", "Hélène", "F", "04/07/1962")
    with_account(person, "helene")
    # Reception reads the coordination part by default: the person's refusal must hide it.
    social_note = actions.do_add_note(
        record_access(social, person),
        section=Section.COORDINATION,
        text="Housing application filed.",
    )
    assert record_access(desk, person).can_read(Section.COORDINATION)
    admin_note = actions.do_add_note(
        record_access(desk, person),
        section=Section.ADMINISTRATIVE,
        text="Health coverage card checked.",
    )

    sign_in(page, "helene")
    page.wait_for_url("**/mon-espace/")
    page.goto("/mon-espace/partage/")
    a11y.check(page, "my sharing choices")
    form = page.locator("main form[action$='/mon-espace/partage/refuser/']")
    form.locator("select[name=refuse-section]").select_option(Section.COORDINATION)
    form.locator("select[name=refuse-target]").select_option(f"role:{Role.RECEPTION}")
    form.locator("button[type=submit]").click()

    page.wait_for_url("**/mon-espace/partage/")
    choice = SharingChoice.objects.get(person=person)
    assert (choice.kind, choice.section, choice.role) == (
        SharingKind.REFUSE,
        Section.COORDINATION,
        Role.RECEPTION,
    )
    assert choice.recorded_by_member is None
    assert Section.COORDINATION in record_access(desk, person).refused
    current = page.locator("main form[action$='/retirer/']")
    expect(current).to_have_count(1)
    expect(page.locator("main table").first).to_contain_text(label(page, Section.COORDINATION))
    a11y.check(page, "my sharing choices with a refusal")

    sign_in(page, desk)
    page.goto(f"/personnes/{person.pk}/dossier/")
    expect(entry_article(page, admin_note)).to_contain_text("Health coverage card checked.")
    expect(entry_article(page, social_note)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Housing application filed.")
    a11y.check(page, "timeline of reception")


def test_break_glass_outside_the_care_team_tells_the_referent(page, a11y):
    house = Structure.objects.create(
        name="Maison de santé Les Essais", kind=StructureKind.CENTRE, is_care_team=False
    )
    desk = member_of(house, "accueil-msp", Role.RECEPTION, "accueillant")
    referent = member_of(house, "infirmiere-msp", Role.NURSE, "infirmier")
    gp = member_of(house, "docteur-msp", Role.GP, "medecin_generaliste")
    person = register(desk, "MARTIN", "Paul", "M", "01/02/1970")
    actions.do_add_to_care_team(referent, person, referent, referent=True)
    note = actions.do_add_note(
        record_access(referent, person), section=Section.CLINICAL, text="Insulin since March."
    )
    reason = "Found unconscious in the waiting room, referent unreachable."

    sign_in(page, gp)
    response = page.goto(f"/personnes/{person.pk}/dossier/")
    assert response is not None and response.status == 403
    expect(page.locator("main")).not_to_contain_text("Insulin since March.")
    a11y.check(page, "no access to the record")

    page.locator(f"main a[href='/personnes/{person.pk}/acces-urgence/']").click()
    page.wait_for_url(f"**/personnes/{person.pk}/acces-urgence/")
    a11y.check(page, "emergency access form")
    form = page.locator("main form[method=post]")
    form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**/personnes/{person.pk}/dossier/")
    assert BreakGlass.objects.filter(person=person, member=gp).exists()
    expect(page.locator("main p.message.warning[role=status]")).to_be_visible()
    expect(entry_article(page, note)).to_contain_text("Insulin since March.")
    a11y.check(page, "record opened in an emergency")

    sign_in(page, referent)
    page.goto("/notifications/")
    notice = page.locator("main article", has_text=reason)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(gp.display_name)
    a11y.check(page, "notifications of the referent")


def test_person_sees_the_gp_read_in_their_access_log(page, a11y, desk):
    gp, person = marie_seen_by_a_gp(desk)

    # The GP reads the record: the clinical part is logged.
    sign_in(page, gp)
    page.goto(f"/personnes/{person.pk}/dossier/")
    expect(entries(page)).to_have_count(1)

    sign_in(page, "marie")
    page.wait_for_url("**/mon-espace/")
    log = page.locator("main table").last
    row = log.locator("tbody tr", has_text=gp.display_name).filter(
        has_text=label(page, Section.CLINICAL)
    )
    expect(row.first).to_be_visible()
    a11y.check(page, "my space with the access log")

    page.locator("main a[href='/mon-espace/dossier/']").click()
    page.wait_for_url("**/mon-espace/dossier/")
    expect(page.locator("main")).to_contain_text("Follow-up of asthma.")
    a11y.check(page, "my record")
    assert Encounter.objects.filter(entry__person=person).count() == 1


def test_gp_finds_an_icpc2_code_by_a_word_of_its_title(page, a11y, desk):
    # Titles invented for the test: the real ones are loaded by each structure.
    load_rubrics("code;titre\nR05;Cough (test)\nA03;Fever (test)\nT90;Type 2 diabetes (test)\n")
    gp = member_of(desk.structure, "docteur-cisp", Role.GP, "medecin_generaliste")
    person = register(desk, "BENALI", "Nadia", "F", "11/09/1975")

    sign_in(page, gp)
    page.goto(f"/personnes/{person.pk}/dossier/rencontre/")
    form = page.locator("main form[method=post]")
    codes = form.locator("input[name=reason_codes]")
    codes.fill("A03")
    search = form.locator("[data-code-search] input[type=search]")
    expect(search).to_be_visible()
    search.fill("cugh")  # a typo still finds the rubric
    choice = form.locator("[data-code-search] button[data-code=R05]")
    expect(choice).to_be_visible()
    a11y.check(page, "encounter form with code search results")
    search.press("Enter")  # searches again, never submits the record's form
    expect(choice).to_be_visible()  # a submitted form would come back without results
    assert not Entry.objects.filter(person=person).exists()
    choice.click()
    expect(codes).to_have_value("A03, R05")
    expect(form.locator("[data-code-status]")).to_contain_text("R05")
    form.locator("textarea[name=reason]").fill("Cough and fever for three days.")
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**/personnes/{person.pk}/dossier/")
    encounter = Entry.objects.get(person=person, kind="encounter")
    assert encounter.encounter.reason_codes == ["A03", "R05"]
    expect(entry_article(page, encounter)).to_contain_text("R05 Cough (test)")


def test_person_downloads_their_data(page, a11y, desk):
    _gp, person = marie_seen_by_a_gp(desk)

    # From her space, the page that explains both downloads.
    sign_in(page, "marie")
    page.wait_for_url("**/mon-espace/")
    page.locator("main a[href='/mon-espace/mes-donnees/']").click()
    page.wait_for_url("**/mon-espace/mes-donnees/")
    a11y.check(page, "download my data")

    # The readable summary, then the FHIR file.
    with page.expect_download() as summary:
        page.locator("main a[href='/mon-espace/mes-donnees/resume/']").click()
    assert summary.value.suggested_filename.endswith(".pdf")
    assert Path(summary.value.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as fhir_file:
        page.locator("main a[href='/mon-espace/mes-donnees/fhir/']").click()
    bundle = json.loads(Path(fhir_file.value.path()).read_text(encoding="utf-8"))
    get_fhir_model_class("Bundle").model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "Patient" and "Encounter" in kinds
    notes = [
        base64.b64decode(c["attachment"]["data"]).decode()
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
        for c in e["resource"]["content"]
        if "data" in c["attachment"]
    ]
    assert "Follow-up of asthma." in notes
    assert AccessEvent.objects.filter(person=person, reason="download", action="export").exists()
