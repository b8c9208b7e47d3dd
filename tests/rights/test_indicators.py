"""Indicators of access to rights: rights opened by type, median time to a decision,
renewals on time against lapses, potential non-take-up; counts below 5 masked."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from maillage.core.access import record_access
from maillage.rights import actions, indicators, renewals
from maillage.rights.models import RightKind, RightsEstimate, RightStatus

TODAY = timezone.localdate()
URL = reverse("rights:indicators")


def kind(code):
    return RightKind.objects.get(structure=None, code=code)


def persons(make_person, n):
    return [
        make_person(birth_name=f"PERSONNE{chr(65 + i)}", given_names="Test", sex="F")
        for i in range(n)
    ]


def granted(social_worker, person, code, waited_days):
    access = record_access(social_worker, person)
    opened = TODAY - datetime.timedelta(days=waited_days + 10)
    application = actions.do_open_application(access, kind(code), opened_on=opened)
    actions.do_submit_application(access, application, opened + datetime.timedelta(days=10))
    actions.do_decide_application(
        access,
        application,
        actions.Decision(
            granted=True,
            decided_on=TODAY,
            starts_on=TODAY,
            ends_on=TODAY + datetime.timedelta(days=365),
        ),
    )


def test_counts_medians_and_masking(social_worker, make_person, as_social):
    people = persons(make_person, 6)
    for index, person in enumerate(people):
        granted(social_worker, person, "css", waited_days=10 * (index + 1))
    for person in people[:2]:
        granted(social_worker, person, "rsa", waited_days=5)
    found = indicators.compute(
        social_worker.structure_id, TODAY - datetime.timedelta(days=30), TODAY
    )
    opened = {k.code: n for k, n in found.opened}
    assert opened == {"css": 6, "rsa": None}  # two: masked
    assert found.opened_total == 8
    assert found.decisions == 8
    # 5, 5, 10, 20, 30, 40, 50 and 60 days: the median of eight is (20 + 30) / 2.
    assert found.median_days == 25.0
    page = as_social.get(URL).content.decode()
    assert "<strong>25 jours</strong>" in page


def test_renewals_on_time_and_lapses(social_worker, make_person):
    people = persons(make_person, 6)
    for person in people:
        access = record_access(social_worker, person)
        right = actions.do_add_right(
            access,
            actions.RightInput(
                kind=kind("css"),
                status=RightStatus.OPEN,
                starts_on=TODAY - datetime.timedelta(days=300),
                ends_on=TODAY + datetime.timedelta(days=20),
            ),
        )
        actions.do_update_right(
            access,
            right,
            actions.RightInput(
                kind=right.kind,
                status=RightStatus.OPEN,
                starts_on=TODAY,
                ends_on=TODAY + datetime.timedelta(days=400),
            ),
        )
    lapsing = actions.do_add_right(
        record_access(social_worker, people[0]),
        actions.RightInput(
            kind=kind("rsa"),
            status=RightStatus.OPEN,
            starts_on=TODAY - datetime.timedelta(days=100),
            ends_on=TODAY - datetime.timedelta(days=2),
        ),
    )
    renewals.run(TODAY)
    lapsing.refresh_from_db()
    assert lapsing.status == RightStatus.EXPIRED
    found = indicators.compute(
        social_worker.structure_id, TODAY - datetime.timedelta(days=1), TODAY
    )
    assert found.renewed_on_time == 6
    assert found.lapsed is None  # one: masked
    assert found.renewed_late is None


def test_potential_non_take_up_from_the_latest_estimates(social_worker, make_person):
    people = persons(make_person, 7)
    lines = [{"code": "css", "likely": True, "monthly": None, "note": ""}]
    for person in people:
        RightsEstimate.objects.create(
            person=person,
            inputs={},
            lines=[{"code": "css", "likely": False, "monthly": None, "note": ""}],
            legislation=TODAY.replace(day=1),
            version="test",
            created_by=social_worker,
            created_at=timezone.now() - datetime.timedelta(days=5),
        )
        RightsEstimate.objects.create(
            person=person,
            inputs={},
            lines=lines,
            legislation=TODAY.replace(day=1),
            version="test",
            created_by=social_worker,
        )
    # One already holds it.
    actions.do_add_right(
        record_access(social_worker, people[0]),
        actions.RightInput(kind=kind("css"), status=RightStatus.OPEN),
    )
    found = indicators.compute(
        social_worker.structure_id, TODAY - datetime.timedelta(days=30), TODAY
    )
    assert found.non_take_up == [("css", 6)]
    assert found.estimated_persons == 7


def test_the_page_and_who_may_read_it(
    as_social, as_admin, as_reception, as_other, as_outsider, as_person
):
    assert as_social.get(URL).status_code == 200
    assert as_admin.get(URL).status_code == 200
    assert as_social.get(URL, {"du": "01/01/2026", "au": "01/02/2026"}).status_code == 200
    bad = as_social.get(URL, {"du": "01/02/2026", "au": "01/01/2026"})
    assert bad.status_code == 400 and "au" in bad.context["form"].errors
    assert as_social.get(URL, {"du": "demain"}).status_code == 400
    for client in (as_reception, as_other, as_outsider, as_person):
        assert client.get(URL).status_code in {302, 404}


@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_a_network_reads_the_indicators_on_its_replica(
    social_worker, make_person, as_social, reports_replica
):
    for person in persons(make_person, 5):
        granted(social_worker, person, "css", waited_days=10)
    period = (social_worker.structure_id, TODAY - datetime.timedelta(days=30), TODAY)
    with (
        CaptureQueriesContext(connection) as primary,
        CaptureQueriesContext(reports_replica) as replica,
    ):
        found = indicators.compute(*period)
    assert found.opened_total == 5 and found.median_days == 10
    assert replica.captured_queries and not primary.captured_queries
    with CaptureQueriesContext(reports_replica) as replica:
        page = as_social.get(URL)
    assert page.status_code == 200 and page.context["found"].opened_total == 5
    assert replica.captured_queries


@pytest.mark.django_db(transaction=True, databases=["default", "reports"])
def test_when_the_replica_does_not_answer_the_database_does(
    social_worker, make_person, as_social, reports_replica, monkeypatch, caplog
):
    for person in persons(make_person, 5):
        granted(social_worker, person, "css", waited_days=10)

    def away():
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(reports_replica, "cursor", away)
    with caplog.at_level(logging.WARNING, logger="maillage.core.reports"):
        page = as_social.get(URL)
    assert page.status_code == 200 and page.context["found"].opened_total == 5
    assert "reports: the replica does not answer (OperationalError)" in caplog.text
