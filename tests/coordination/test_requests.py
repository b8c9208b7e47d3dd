"""Requests to the coordination function (sollicitations): taken down by anyone of the
team, triaged by those who handle requests, through the access policy, audited."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from maillage.coordination.actions import referrals as referral_actions
from maillage.coordination.actions import requests as actions
from maillage.coordination.models import CoordinationRequest, HealthProject, Urgency
from maillage.coordination.queries import requests as queries
from maillage.core.access import record_access
from maillage.core.models import AccessEvent
from maillage.core.roles import Role, Section
from maillage.lib import coordination as flow
from maillage.record.actions import do_record_choice
from tests.conftest import client_for, make_member

LIST = reverse("coordination:requests")
ADD = reverse("coordination:request_add")


@pytest.fixture
def coordinator(centre):
    return make_member(centre, "c", Role.COORDINATOR, "coordinateur")


@pytest.fixture
def as_coordinator(coordinator):
    return client_for(coordinator.user)


def receive(member, **fields):
    values = {
        "concerns": "unregistered",
        "unregistered_name": "Mme Lopez",
        "source": "relative",
        "channel": "phone",
        "first_words": "Sa voisine ne sort plus de chez elle",
    }
    values.update(fields)
    return actions.do_receive_request(member, **values)


def detail(item):
    return reverse("coordination:request", args=[item.pk])


def now_fields(moment=None, prefix="received"):
    moment = timezone.localtime(moment or timezone.now())
    return {f"{prefix}_date": moment.date().isoformat(), f"{prefix}_time": moment.strftime("%H:%M")}


# --- Taking a request down ---------------------------------------------------------------


def test_reception_takes_down_a_phone_call_about_a_registered_person(
    as_reception, reception, person
):
    found = as_reception.get(ADD, {"q": "dupont"})
    assert person in found.context["found"]
    assert AccessEvent.objects.filter(action="search", actor_member=reception).exists()
    page = as_reception.get(ADD, {"personne": person.pk})
    assert page.context["chosen"] == person
    response = as_reception.post(
        f"{ADD}?personne={person.pk}",
        {
            "concerns": "registered",
            "person": person.pk,
            "source": "person",
            "channel": "phone",
            "first_words": "Je n'arrive plus à payer mes médicaments",
            "urgency": "soon",
            "source_contact": "06 12 34 56 78",
            **now_fields(timezone.now() - datetime.timedelta(hours=2)),
        },
    )
    # Reception takes requests down but does not triage them: back to a new one.
    assert response.status_code == 302 and response.url == ADD
    item = CoordinationRequest.objects.get()
    assert item.person == person and item.received_by == reception
    assert item.status == flow.WAITING and item.urgency == "soon"
    assert timezone.now() - item.received_at > datetime.timedelta(minutes=110)
    assert AccessEvent.objects.filter(
        action="create", person=person, section=Section.COORDINATION, object_id=str(item.pk)
    ).exists()
    # …and may neither list nor open requests.
    assert as_reception.get(LIST).status_code == 404
    assert as_reception.get(detail(item)).status_code == 404


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(as_reception):
    typed = {
        "concerns": "registered",
        "source": "institution",
        "source_name": "CCAS de la ville",
        "channel": "email",
        "first_words": "Demande d'accompagnement pour un dossier MDPH",
        "urgency": "routine",
        **now_fields(timezone.now() + datetime.timedelta(days=2)),
    }
    response = as_reception.post(ADD, typed)
    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["concerns"] and form.errors["received_time"]
    assert "CCAS de la ville" in response.content.decode()
    typed.update(concerns="unregistered", **now_fields())
    assert as_reception.post(ADD, typed).context["form"].errors["unregistered_name"]
    typed["received_date"] = "2001-01-01"
    assert as_reception.post(ADD, typed).context["form"].errors["received_time"]
    assert CoordinationRequest.objects.count() == 0


def test_a_collective_issue_taken_down_by_a_coordinator_opens_its_page(as_coordinator):
    response = as_coordinator.post(
        ADD,
        {
            "concerns": "collective",
            "source": "institution",
            "channel": "meeting",
            "first_words": "Plusieurs familles sans médecin traitant dans le quartier",
            "urgency": "routine",
            **now_fields(),
        },
    )
    item = CoordinationRequest.objects.get()
    assert response.url == detail(item)
    assert item.person is None and item.concerns == "collective"
    assert AccessEvent.objects.filter(action="create", object_id=str(item.pk), section="").exists()


def test_a_person_chosen_must_be_one_the_member_sees(as_reception, other_person):
    assert as_reception.get(ADD, {"personne": other_person.pk}).status_code == 404
    assert as_reception.get(ADD, {"personne": "abc"}).status_code == 404
    assert as_reception.get(ADD, {"personne": "9" * 30}).status_code == 404
    response = as_reception.post(
        ADD,
        {
            "concerns": "registered",
            "person": other_person.pk,
            "source": "person",
            "channel": "desk",
            "first_words": "x",
            "urgency": "routine",
            **now_fields(),
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["person"]
    assert CoordinationRequest.objects.count() == 0


def test_the_person_may_still_ask_from_their_own_space(person):
    item = actions.do_receive_request(
        None,
        concerns="registered",
        person=person,
        source="person",
        channel="portal",
        first_words="Besoin d'aide",
        structure_id=person.structure_id,
    )
    assert item.received_by is None and item.status == flow.WAITING


# --- The list ---------------------------------------------------------------------------


def test_waiting_requests_urgent_first_then_oldest_with_the_time_to_first_contact(
    as_coordinator, coordinator, reception
):
    now = timezone.now()
    old = receive(reception, received_at=now - datetime.timedelta(days=3))
    urgent = receive(reception, urgency="urgent", received_at=now - datetime.timedelta(hours=1))
    recent = receive(reception, received_at=now - datetime.timedelta(hours=5))
    contacted = receive(reception, received_at=now - datetime.timedelta(hours=4))
    actions.do_first_contact(coordinator, contacted, at=now - datetime.timedelta(hours=2))
    page = as_coordinator.get(LIST)
    assert [row[0] for row in page.context["rows"]] == [urgent, old, recent]
    assert str(Urgency.URGENT.label) in page.content.decode()  # in words, not a colour
    assert page.context["waiting"] == 3
    assert page.context["stats"] == {"count": 1, "median_minutes": 120, "p90_minutes": 120}
    assert page.context["median"]
    triage = as_coordinator.get(LIST, {"vue": "tri"})
    assert [row[0] for row in triage.context["rows"]] == [contacted]
    assert triage.context["rows"][0][1]  # "2 hours" in words
    assert as_coordinator.get(LIST, {"vue": "nonsense"}).status_code == 200


def test_first_contact_stats_over_the_period(coordinator, reception, centre):
    now = timezone.now()
    for minutes in (10, 20, 30, 40, 50, 60, 70, 80, 90, 600):
        item = receive(reception, received_at=now - datetime.timedelta(days=1))
        actions.do_first_contact(
            coordinator, item, at=item.received_at + datetime.timedelta(minutes=minutes)
        )
    long_ago = receive(reception, received_at=now - datetime.timedelta(days=200))
    CoordinationRequest.objects.filter(pk=long_ago.pk).update(
        status=flow.IN_TRIAGE, first_contact_at=long_ago.received_at
    )
    receive(reception)  # still waiting: not counted
    stats = queries.first_contact_stats(centre.pk, now - datetime.timedelta(days=90))
    assert stats == {"count": 10, "median_minutes": 55, "p90_minutes": 90}
    empty = queries.first_contact_stats(centre.pk, now + datetime.timedelta(days=1))
    assert empty == {"count": 0, "median_minutes": None, "p90_minutes": None}


def test_waiting_requests_for_the_home_in_a_bounded_number_of_queries(
    coordinator, reception, make_person, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            someone = make_person(birth_name=f"NOM{i}", given_names="Test")
            receive(
                reception,
                concerns="registered",
                person=someone,
                unregistered_name="",
                assigned_to=coordinator,
            )

    coordinator.structure  # noqa: B018 (loaded once, as the middleware does)
    fill(3)
    with django_assert_max_num_queries(4) as few:  # + choices and merged records
        assert len(queries.waiting_requests(coordinator, 50)) == 3
    fill(27)
    with django_assert_max_num_queries(len(few)) as many:
        rows = queries.waiting_requests(coordinator, 50)
        assert len(rows) == 30
        assert all(r.person.display_name and r.assigned_to.display_name for r in rows)
    assert len(many) == len(few)


# --- First contact, linking, following, closing -----------------------------------------


def test_first_contact_then_closed_with_information(as_coordinator, coordinator, reception):
    item = receive(reception, received_at=timezone.now() - datetime.timedelta(minutes=90))
    url = detail(item)
    page = as_coordinator.get(url)
    assert page.status_code == 200 and "contact" in page.context["forms"]
    too_early = now_fields(item.received_at - datetime.timedelta(hours=1), prefix="contact-contact")
    response = as_coordinator.post(url, {"step": "contact", **too_early})
    assert response.context["forms"]["contact"].errors["contact_time"]
    response = as_coordinator.post(
        url,
        {
            "step": "contact",
            "contact-listening_notes": "Isolement, peur de sortir",
            "contact-at_stake": "Santé mentale, lien social",
            **now_fields(prefix="contact-contact"),
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == flow.IN_TRIAGE and item.first_contact_by == coordinator
    assert 85 <= item.minutes_to_first_contact <= 91
    assert item.assigned_to == coordinator
    page = as_coordinator.get(url)
    assert page.context["waited"] and "contact" not in page.context["forms"]
    # Closing "closed" needs a reason; the page says so in words.
    response = as_coordinator.post(url, {"step": "close", "close-outcome": "closed"})
    assert response.context["forms"]["close"].errors["note"]
    as_coordinator.post(url, {"step": "close", "close-outcome": "information"})
    item.refresh_from_db()
    assert item.status == flow.CLOSED and item.outcome == "information" and item.closed_at
    # A closed request has no more forms; a stale post is refused without a change.
    assert as_coordinator.get(url).context["forms"] == {}
    response = as_coordinator.post(url, {"step": "contact"})
    assert response.status_code == 302


def test_a_request_for_someone_registered_after_the_call(
    as_coordinator, coordinator, reception, make_person
):
    item = receive(reception, unregistered_name="LOPEZ Ana")
    url = detail(item)
    page = as_coordinator.get(url).content.decode()
    assert reverse("people:register") not in page  # coordinators do not register people
    ana = make_person(birth_name="LOPEZ", given_names="Ana")
    found = as_coordinator.get(url, {"q": "lopez"})
    assert ana in found.context["found"]
    chosen = as_coordinator.get(url, {"personne": ana.pk})
    assert chosen.context["link_to"] == ana
    assert as_coordinator.get(url, {"personne": "x1"}).status_code == 404
    as_coordinator.post(url, {"step": "link", "link-person": ana.pk})
    item.refresh_from_db()
    assert item.person == ana and item.concerns == "registered"
    assert item.unregistered_name == "LOPEZ Ana"
    assert AccessEvent.objects.filter(
        action="update", person=ana, section=Section.COORDINATION, object_id=str(item.pk)
    ).exists()
    # Opening it now reads the person's coordination section.
    as_coordinator.get(url)
    assert AccessEvent.objects.filter(
        action="read", person=ana, section=Section.COORDINATION, actor_member=coordinator
    ).exists()


def test_reception_is_offered_to_register_then_link(reception, coordinator):
    mediator = make_member(reception.structure, "awa", Role.MEDIATOR, "mediateur_sante")
    item = receive(reception, unregistered_name="LOPEZ Ana")
    page = client_for(mediator.user).get(detail(item)).content.decode()
    assert reverse("people:register") + "?nom=LOPEZ%20Ana" in page


def test_following_and_the_outcome_project(as_coordinator, coordinator, reception, person):
    item = receive(reception, concerns="registered", person=person, unregistered_name="")
    url = detail(item)
    as_coordinator.post(url, {"step": "assign", "assign-assigned_to": coordinator.pk})
    item.refresh_from_db()
    assert item.assigned_to == coordinator
    # Reception cannot follow requests: not offered, refused if posted.
    response = as_coordinator.post(url, {"step": "assign", "assign-assigned_to": reception.pk})
    assert response.context["forms"]["assign"].errors["assigned_to"]
    as_coordinator.post(url, {"step": "close", "close-outcome": "project", "close-note": "RDV"})
    item.refresh_from_db()
    project = HealthProject.objects.get(person=person)
    assert item.outcome == "project" and item.project == project
    assert AccessEvent.objects.filter(
        action="create", person=person, object_type="coordination.healthproject"
    ).exists()


def test_project_and_referral_outcomes_need_a_registered_person(as_coordinator, reception):
    item = receive(reception)
    url = detail(item)
    for outcome in ("project", "referral"):
        response = as_coordinator.post(url, {"step": "close", "close-outcome": outcome})
        assert response.context["forms"]["close"].errors["outcome"]
    item.refresh_from_db()
    assert item.status == flow.WAITING


def test_the_outcome_referral_links_one_of_the_persons_referrals(
    as_coordinator, coordinator, reception, person, make_person
):
    access = record_access(coordinator, person)
    mediator = make_member(reception.structure, "awa", Role.MEDIATOR, "mediateur_sante")
    referral = referral_actions.do_propose_referral(access, to_member=mediator, reason="Droits")
    someone_else = make_person(birth_name="DURAND", given_names="Jean")
    elsewhere = referral_actions.do_propose_referral(
        record_access(coordinator, someone_else), to_member=mediator, reason="Autre"
    )
    item = receive(reception, concerns="registered", person=person, unregistered_name="")
    url = detail(item)
    page = as_coordinator.get(url)
    assert list(page.context["forms"]["close"].fields["referral"].queryset) == [referral]
    assert reverse("coordination:referral_add", args=[person.pk]) in page.content.decode()
    response = as_coordinator.post(url, {"step": "close", "close-outcome": "referral"})
    assert response.context["forms"]["close"].errors["referral"]
    response = as_coordinator.post(
        url, {"step": "close", "close-outcome": "referral", "close-referral": elsewhere.pk}
    )
    assert response.context["forms"]["close"].errors["referral"]
    as_coordinator.post(
        url, {"step": "close", "close-outcome": "referral", "close-referral": referral.pk}
    )
    item.refresh_from_db()
    assert item.outcome == "referral" and item.referral == referral
    page = as_coordinator.get(url).content.decode()
    assert reverse("coordination:referral", args=[person.pk, referral.pk]) in page


def test_actions_refuse_what_the_policy_refuses(coordinator, reception, other_member, person):
    item = receive(reception)
    with pytest.raises(PermissionDenied):
        actions.do_first_contact(reception, item)
    with pytest.raises(PermissionDenied):
        actions.do_first_contact(other_member, item)
    with pytest.raises(PermissionDenied):
        actions.do_assign_request(coordinator, item, other_member)
    actions.do_first_contact(coordinator, item)
    with pytest.raises(flow.TransitionError):
        actions.do_first_contact(coordinator, item)
    with pytest.raises(flow.TransitionError, match="reason_needed"):
        actions.do_close_request(coordinator, item, outcome="closed", note=" ")


# --- Who sees what ----------------------------------------------------------------------


def test_outsiders_see_nothing(
    coordinator, reception, person, as_other, as_outsider, as_person, partner, client
):
    item = receive(reception, concerns="registered", person=person, unregistered_name="")
    for url in (LIST, detail(item)):
        assert client.get(url).status_code == 302
        for someone in (as_other, as_outsider, as_person, client_for(partner.user)):
            assert someone.get(url).status_code == 404
            assert someone.post(
                url, {"step": "close", "close-outcome": "information"}
            ).status_code in {
                403,
                404,
            }
    assert client_for(partner.user).get(ADD).status_code == 404
    assert as_person.get(ADD).status_code == 404
    item.refresh_from_db()
    assert item.status == flow.WAITING


def test_a_person_refusing_the_coordination_part_hides_their_requests(
    as_coordinator, coordinator, reception, person
):
    about = receive(reception, concerns="registered", person=person, unregistered_name="")
    other = receive(reception)
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.COORDINATOR,
        user=reception.user,
        on_behalf_by=reception,
    )
    assert [row[0] for row in as_coordinator.get(LIST).context["rows"]] == [other]
    assert as_coordinator.get(detail(about)).status_code == 404
    assert queries.waiting_requests(coordinator, 10) == [other]


def test_reads_of_the_list_are_audited(as_coordinator, coordinator, reception, person):
    receive(reception, concerns="registered", person=person, unregistered_name="")
    as_coordinator.get(LIST)
    assert AccessEvent.objects.filter(
        action="read", person=person, section=Section.COORDINATION, actor_member=coordinator
    ).exists()


def test_hostile_posts_on_the_detail_never_break(as_coordinator, reception, person):
    item = receive(reception, concerns="registered", person=person, unregistered_name="")
    url = detail(item)
    fields = [
        "contact-contact_date",
        "contact-contact_time",
        "contact-listening_notes",
        "contact-at_stake",
        "assign-assigned_to",
        "close-outcome",
        "close-referral",
        "close-note",
        "link-person",
    ]
    for value in ("x" * 60_000, "\x00", "99999999999999999999999", "-1", "<script>", "1e309"):
        for step in ("contact", "assign", "close", "link", "nonsense", value):
            response = as_coordinator.post(url, {"step": step, **dict.fromkeys(fields, value)})
            assert response.status_code < 500
            assert b"<script>" not in response.content
    assert as_coordinator.get(url, {"q": "\x00" * 3}).status_code == 200
    assert as_coordinator.get(url, {"page": "x"}).status_code == 200
    assert as_coordinator.get(LIST, {"page": "99999999999999999999"}).status_code == 200


def test_linking_to_a_person_who_refused_the_coordination_part_is_refused(
    as_coordinator, coordinator, reception, person
):
    item = receive(reception)
    do_record_choice(
        person,
        kind="refuse",
        section=Section.COORDINATION,
        role=Role.COORDINATOR,
        user=reception.user,
        on_behalf_by=reception,
    )
    response = as_coordinator.post(detail(item), {"step": "link", "link-person": person.pk})
    assert response.status_code == 200
    assert response.context["forms"]["link"].non_field_errors()
    item.refresh_from_db()
    assert item.person is None and item.concerns == "unregistered"
