"""Applications (démarches) through their pages: started for a right, its documents
ticked as they come, its steps, the submission and the decision (a granted right is
open for the period given), abandoned, or refused and appealed. Only the forms the
state allows are shown and accepted; bad input is refused on the form (400), never a
500, nothing written; the GP reads, reception and outsiders see nothing."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.rights import actions
from maillage.rights.catalogue import NATIONAL
from maillage.rights.models import (
    Application,
    ApplicationDocument,
    ApplicationStep,
    PersonRight,
    RightChange,
    RightKind,
    RightStatus,
)

TODAY = timezone.localdate()
PAGE_FORMS = (
    "step_form",
    "document_form",
    "received_form",
    "submit_form",
    "decision_form",
    "abandon_form",
    "appeal_form",
)


def day(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def national(code: str) -> RightKind:
    return RightKind.objects.get(structure=None, code=code)


def url(name: str, application: Application) -> str:
    return reverse(f"rights:{name}", args=[application.person_id, application.pk])


def page_url(application: Application) -> str:
    return url("application", application)


def shown_forms(response) -> set[str]:
    return {name for name in PAGE_FORMS if name in response.context}


def opened(member, person, code="ame", days_ago=30) -> Application:
    return actions.do_open_application(
        record_access(member, person),
        national(code),
        opened_on=TODAY - datetime.timedelta(days=days_ago),
        organisation="CPAM",
    )


def test_the_whole_journey_of_a_granted_application(as_social, social_worker, person):
    add = reverse("rights:application_add", args=[person.pk])
    form_page = as_social.get(add + "?droit=css")
    assert form_page.status_code == 200
    assert form_page.context["form"]["kind"].value() == national("css").pk
    assert form_page.context["form"]["opened_on"].value() == TODAY
    response = as_social.post(
        add,
        {
            "kind": national("css").pk,
            "opened_on": day(-20),
            "organisation": "CPAM du Rhône",
            "accompanied_by": social_worker.pk,
        },
    )
    application = Application.objects.get(person=person)
    assert response.status_code == 302
    assert response.url == page_url(application)
    assert application.kind.code == "css" and application.organisation == "CPAM du Rhône"
    assert application.right is not None and application.right.status == RightStatus.IN_PROGRESS

    # The documents usually needed are listed, to be ticked.
    page = as_social.get(page_url(application))
    assert page.status_code == 200
    expected = [str(name) for name in NATIONAL["css"].documents]
    assert [d.name for d, _box in page.context["documents"]] == expected
    assert all(box is not None for _d, box in page.context["documents"])
    assert shown_forms(page) == set(PAGE_FORMS) - {"appeal_form"}
    body = page.content.decode()
    assert f'action="{url("application_documents", application)}"' in body
    assert f'action="{url("application_submit", application)}"' in body

    first, second, *_rest = application.documents.all()
    response = as_social.post(
        url("application_documents", application),
        {"received-documents": [first.pk, second.pk], "received-received_on": day(-5)},
    )
    assert response.status_code == 302 and response.url == page_url(application)
    assert set(application.documents.filter(received_on=TODAY - datetime.timedelta(days=5))) == {
        first,
        second,
    }
    response = as_social.post(
        url("application_documents", application), {"doc-name": "Avis d'imposition"}
    )
    assert response.status_code == 302
    assert application.documents.filter(name="Avis d'imposition", received_on=None).exists()

    response = as_social.post(
        url("application_step", application),
        {"step-on": day(-4), "step-what": "Rendez-vous à la CPAM"},
    )
    assert response.status_code == 302
    step = ApplicationStep.objects.get(application=application)
    assert (step.what, step.by) == ("Rendez-vous à la CPAM", social_worker)

    response = as_social.post(
        url("application_submit", application), {"submit-submitted_on": day(-3)}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "submitted"
    page = as_social.get(page_url(application))
    assert "submit_form" not in shown_forms(page) and "decision_form" in shown_forms(page)

    response = as_social.post(
        url("application_decide", application),
        {
            "decision-decision": "granted",
            "decision-decided_on": day(-1),
            "decision-outcome": "Accord pour un an",
            "decision-starts_on": day(0),
            "decision-ends_on": day(364),
            "decision-reference": "CSS-42",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "granted"
    right = PersonRight.objects.get(pk=application.right_id)
    assert right.status == RightStatus.OPEN
    assert (right.starts_on, right.ends_on) == (TODAY, TODAY + datetime.timedelta(days=364))
    assert right.reference == "CSS-42"
    assert right.changes.filter(what=RightChange.What.DECIDED, by=social_worker).exists()

    # Decided: nothing is left to do on the page.
    page = as_social.get(page_url(application))
    assert shown_forms(page) == set()
    assert all(box is None for _d, box in page.context["documents"])
    assert f'href="{reverse("rights:right_edit", args=[person.pk, right.pk])}"' in (
        page.content.decode()
    )
    events = AccessEvent.objects.filter(actor_member=social_worker, person=person)
    assert events.filter(section="social", action="create", object_id=str(application.pk))
    assert events.filter(section="social", action="update", object_id=str(application.pk))
    assert events.filter(section="social", action="read", object_id=str(application.pk))


def test_a_refusal_is_appealed(as_social, social_worker, person):
    application = opened(social_worker, person, "ame")
    response = as_social.post(
        url("application_decide", application),
        {
            "decision-decision": "refused",
            "decision-decided_on": day(-2),
            "decision-outcome": "Présence en France non prouvée",
            # Typed but not kept: a refusal opens no period.
            "decision-ends_on": day(300),
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "refused"
    right = PersonRight.objects.get(pk=application.right_id)
    assert right.status == RightStatus.REFUSED and right.ends_on is None

    page = as_social.get(page_url(application))
    assert shown_forms(page) == {"appeal_form"}
    assert page.context["may_appeal"]
    response = as_social.post(url("application_appeal", application), {"appeal-opened_on": day(0)})
    appeal = Application.objects.get(appeal_of=application)
    assert response.status_code == 302 and response.url == page_url(appeal)
    assert (appeal.kind, appeal.right_id, appeal.organisation) == (
        application.kind,
        application.right_id,
        "CPAM",
    )
    assert appeal.status == "preparing"
    # Each page links to the other.
    assert f'href="{page_url(application)}"' in as_social.get(page_url(appeal)).content.decode()
    original = as_social.get(page_url(application))
    assert f'href="{page_url(appeal)}"' in original.content.decode()
    assert not original.context["may_appeal"]


def test_an_application_is_abandoned(as_social, social_worker, person):
    application = opened(social_worker, person, "rsa")
    response = as_social.post(
        url("application_abandon", application), {"abandon-why": "La personne a déménagé"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.outcome) == ("abandoned", "La personne a déménagé")
    assert PersonRight.objects.get(pk=application.right_id).status == RightStatus.NOT_CLAIMED
    assert shown_forms(as_social.get(page_url(application))) == set()


def test_what_the_state_no_longer_allows_is_not_done(as_social, social_worker, person):
    application = opened(social_worker, person)
    access = record_access(social_worker, person)
    actions.do_submit_application(access, application, TODAY)
    # Submitted twice (a page opened before): the first date stays.
    response = as_social.post(
        url("application_submit", application), {"submit-submitted_on": day(-1)}
    )
    assert response.status_code == 302 and response.url == page_url(application)
    application.refresh_from_db()
    assert application.submitted_on == TODAY
    # Appealed while not refused.
    response = as_social.post(url("application_appeal", application), {"appeal-opened_on": day(0)})
    assert response.status_code == 302
    assert not Application.objects.filter(appeal_of=application).exists()
    actions.do_abandon_application(access, application)
    for name, data in [
        ("application_decide", {"decision-decision": "granted", "decision-decided_on": day(0)}),
        ("application_step", {"step-on": day(0), "step-what": "Appel"}),
        ("application_documents", {"doc-name": "RIB"}),
        ("application_abandon", {}),
    ]:
        assert as_social.post(url(name, application), data).status_code == 302
    application.refresh_from_db()
    assert application.status == "abandoned" and application.decided_on is None
    assert not application.steps.exists()
    assert not application.documents.filter(name="RIB").exists()


@pytest.mark.parametrize(
    ("name", "data", "form", "error"),
    [
        ("application_step", {"step-on": day(1), "step-what": "Appel"}, "step_form", "on"),
        ("application_step", {"step-on": day(0), "step-what": "   "}, "step_form", "what"),
        ("application_step", {"step-on": "31/02/2026", "step-what": "x"}, "step_form", "on"),
        ("application_documents", {"doc-name": ""}, "document_form", "name"),
        ("application_documents", {"doc-name": "x" * 201}, "document_form", "name"),
        (
            "application_documents",
            {"received-documents": ["abc"], "received-received_on": day(0)},
            "received_form",
            "documents",
        ),
        (
            "application_documents",
            {"received-documents": ["99999999999999999999999"], "received-received_on": day(0)},
            "received_form",
            "documents",
        ),
        ("application_documents", {"received-received_on": day(0)}, "received_form", "documents"),
        ("application_submit", {"submit-submitted_on": day(1)}, "submit_form", "submitted_on"),
        ("application_submit", {"submit-submitted_on": day(-31)}, "submit_form", "submitted_on"),
        (
            "application_decide",
            {"decision-decision": "granted", "decision-decided_on": day(1)},
            "decision_form",
            "decided_on",
        ),
        (
            "application_decide",
            {"decision-decision": "granted", "decision-decided_on": day(-31)},
            "decision_form",
            "decided_on",
        ),
        (
            "application_decide",
            {
                "decision-decision": "granted",
                "decision-decided_on": day(0),
                "decision-starts_on": day(10),
                "decision-ends_on": day(5),
            },
            "decision_form",
            "ends_on",
        ),
        (
            "application_decide",
            {"decision-decision": "maybe", "decision-decided_on": day(0)},
            "decision_form",
            "decision",
        ),
        ("application_abandon", {"abandon-why": "x" * 2001}, "abandon_form", "why"),
    ],
)
def test_bad_input_is_refused_on_the_page(
    as_social, social_worker, person, name, data, form, error
):
    application = opened(social_worker, person, "ame", days_ago=30)
    documents = list(application.documents.values_list("pk", "received_on"))
    response = as_social.post(url(name, application), data)
    assert response.status_code == 400
    assert error in response.context[form].errors
    # The other forms are there, empty.
    for other in shown_forms(response) - {form}:
        assert not response.context[other].is_bound
    application.refresh_from_db()
    assert (application.status, application.submitted_on, application.decided_on) == (
        "preparing",
        None,
        None,
    )
    assert not application.steps.exists()
    assert list(application.documents.values_list("pk", "received_on")) == documents
    assert PersonRight.objects.get(pk=application.right_id).status == RightStatus.IN_PROGRESS


def test_a_document_of_another_application_cannot_be_ticked(as_social, social_worker, person):
    application = opened(social_worker, person, "ame")
    other = opened(social_worker, person, "rsa")
    theirs = other.documents.first()
    assert theirs is not None
    response = as_social.post(
        url("application_documents", application),
        {"received-documents": [theirs.pk], "received-received_on": day(0)},
    )
    assert response.status_code == 400
    assert not ApplicationDocument.objects.filter(received_on__isnull=False).exists()


def test_a_decision_before_the_submission_is_refused(as_social, social_worker, person):
    application = opened(social_worker, person, days_ago=30)
    actions.do_submit_application(
        record_access(social_worker, person), application, TODAY - datetime.timedelta(days=10)
    )
    response = as_social.post(
        url("application_decide", application),
        {"decision-decision": "refused", "decision-decided_on": day(-20)},
    )
    assert response.status_code == 400
    assert "decided_on" in response.context["decision_form"].errors
    application.refresh_from_db()
    assert application.status == "submitted"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"kind": 99999999}, "kind"),
        ({"kind": "css"}, "kind"),
        ({"kind": "99999999999999999999999"}, "kind"),
        ({"opened_on": day(1)}, "opened_on"),
        ({"opened_on": "1800-01-01"}, "opened_on"),
        ({"accompanied_by": "abc"}, "accompanied_by"),
    ],
)
def test_bad_input_is_refused_when_starting(as_social, person, change, error):
    response = as_social.post(
        reverse("rights:application_add", args=[person.pk]),
        {"kind": national("css").pk, "opened_on": day(0), **change},
    )
    assert response.status_code == 400
    assert error in response.context["form"].errors
    assert not Application.objects.exists()
    assert not PersonRight.objects.exists()


def test_the_application_must_be_the_persons(as_social, social_worker, person, make_person):
    other = make_person(birth_name="DURAND", given_names="Jean")
    theirs = opened(social_worker, other)
    wrong = reverse("rights:application", args=[person.pk, theirs.pk])
    assert as_social.get(wrong).status_code == 404
    step = reverse("rights:application_step", args=[person.pk, theirs.pk])
    assert as_social.post(step, {"step-on": day(0), "step-what": "x"}).status_code == 404
    assert not theirs.steps.exists()
    huge = f"/droits/{person.pk}/demarche/99999999999999999999/"
    assert as_social.get(huge).status_code == 404


def test_the_gp_reads_the_page_and_nothing_more(as_doctor, doctor, social_worker, person):
    application = opened(social_worker, person)
    page = as_doctor.get(page_url(application))
    assert page.status_code == 200
    assert shown_forms(page) == set()
    assert AccessEvent.objects.filter(
        actor_member=doctor, person=person, section="social", action="read"
    ).exists()
    for name in (
        "application_step",
        "application_documents",
        "application_submit",
        "application_decide",
        "application_abandon",
        "application_appeal",
    ):
        assert as_doctor.post(url(name, application), {}).status_code == 404
    assert as_doctor.get(reverse("rights:application_add", args=[person.pk])).status_code == 404
    application.refresh_from_db()
    assert application.status == "preparing"


@pytest.mark.parametrize("who", ["as_reception", "as_other", "as_outsider", "as_person"])
def test_others_see_nothing(who, request, social_worker, person):
    application = opened(social_worker, person)
    client = request.getfixturevalue(who)
    assert client.get(page_url(application)).status_code in {302, 404}
    add = reverse("rights:application_add", args=[person.pk])
    assert client.get(add).status_code in {302, 404}
    assert client.post(add, {"kind": national("css").pk, "opened_on": day(0)}).status_code in {
        302,
        404,
    }
    data = {"submit-submitted_on": day(0)}
    assert client.post(url("application_submit", application), data).status_code in {302, 404}
    application.refresh_from_db()
    assert application.status == "preparing"
    assert Application.objects.count() == 1


def test_the_page_is_cheap(as_social, social_worker, person, django_assert_max_num_queries):
    application = opened(social_worker, person, "css")
    access = record_access(social_worker, person)
    for n in range(10):
        actions.do_add_step(access, application, TODAY, f"Étape {n}")
    with django_assert_max_num_queries(25):
        assert as_social.get(page_url(application)).status_code == 200


def test_hostile_input_as_the_social_worker(as_social, social_worker, person):
    """What tests/core/test_hostile_input.py does for the roles that do not write the
    social section: every form of these pages, posted hostile values to where it posts."""
    from tests.core.test_hostile_input import HOSTILE, MARKUP, ONE_BY_ONE, forms_of

    right = actions.do_add_right(
        record_access(social_worker, person),
        actions.RightInput(kind=national("css"), status=RightStatus.OPEN),
    )
    preparing = opened(social_worker, person, "ame")
    refused = opened(social_worker, person, "rsa")
    actions.do_decide_application(
        record_access(social_worker, person),
        refused,
        actions.Decision(granted=False, decided_on=TODAY),
    )
    targets = {
        "step_form": "application_step",
        "document_form": "application_documents",
        "received_form": "application_documents",
        "submit_form": "application_submit",
        "decision_form": "application_decide",
        "abandon_form": "application_abandon",
        "appeal_form": "application_appeal",
    }
    pages = [
        (reverse("rights:right_add", args=[person.pk]), {}),
        (reverse("rights:right_edit", args=[person.pk, right.pk]), {}),
        (reverse("rights:application_add", args=[person.pk]), {}),
        (page_url(preparing), {k: url(v, preparing) for k, v in targets.items()}),
        (page_url(refused), {k: url(v, refused) for k, v in targets.items()}),
    ]
    failures = []
    posted = 0
    for page_address, actions_of in pages:
        page = as_social.get(page_address)
        assert page.status_code == 200
        named = {name: page.context[name] for name in PAGE_FORMS if name in page.context}
        found = [(actions_of.get(n, page_address), f) for n, f in named.items()]
        if not named:
            found = [(page_address, f) for f in forms_of(page)]
        for target, form in found:
            fields = [f"{form.prefix}-{n}" if form.prefix else n for n in form.fields]
            batches = [dict.fromkeys(fields, value) for value in HOSTILE]
            batches += [{n: value} for value in ONE_BY_ONE for n in fields]
            for data in batches:
                value = next(iter(data.values()), "")
                response = as_social.post(target, data)
                posted += 1
                if response.status_code >= 500:
                    failures.append((target, sorted(data)[:3], repr(value[:20])))
                elif value == MARKUP and MARKUP in response.content.decode(errors="replace"):
                    failures.append((target, "unescaped markup", sorted(data)[:3]))
    assert posted > 100
    assert failures == []
