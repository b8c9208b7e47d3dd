"""Renewals: a follow-up task a configurable number of days before a right ends, once
whatever how many times the job runs; a right still held after its end has lapsed."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from maillage.coordination.models import Task, TaskKind
from maillage.core.access import record_access
from maillage.core.roles import Role
from maillage.record.actions import do_add_to_care_team, do_set_referent
from maillage.rights import actions, renewals, tasks
from maillage.rights.catalogue import NATIONAL
from maillage.rights.models import PersonRight, Renewal, RightChange, RightKind, RightStatus
from tests.conftest import make_member, national_catalogue

TODAY = datetime.date(2026, 11, 24)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def add_right(social_worker, person):
    def add(code="css", *, ends_on, status=RightStatus.OPEN, follower=None, who=None):
        access = record_access(social_worker, who or person)
        assert access is not None
        return actions.do_add_right(
            access,
            actions.RightInput(
                kind=RightKind.objects.get(structure=None, code=code),
                status=status,
                starts_on=ends_on - datetime.timedelta(days=365),
                ends_on=ends_on,
                follower=follower,
            ),
        )

    return add


@pytest.mark.django_db
def test_the_migration_makes_the_national_catalogue():
    national_catalogue()  # (the migration's function: a flushed database lost its rows)
    codes = set(RightKind.objects.filter(structure=None).values_list("code", flat=True))
    assert codes == set(NATIONAL)


def test_a_task_for_the_follower_before_the_right_ends(add_right, social_worker, settings):
    settings.RIGHTS_RENEWAL_DAYS = 60
    soon = add_right(ends_on=days(45), follower=social_worker)
    add_right("rsa", ends_on=days(90), follower=social_worker)  # not yet
    add_right("ame", ends_on=days(30), status=RightStatus.REFUSED)  # not held

    assert renewals.run(TODAY) == {"tasks": 1}
    task = Task.objects.get(kind=TaskKind.RENEWAL)
    assert task.person_id == soon.person_id
    assert list(task.assignees.all()) == [social_worker]
    assert task.due_on == days(30)  # a fortnight before the end
    soon.refresh_from_db()
    assert soon.status == RightStatus.TO_RENEW
    assert soon.changes.filter(what=RightChange.What.TO_RENEW).count() == 1


def test_running_it_twice_makes_nothing_twice(add_right, social_worker):
    add_right(ends_on=days(10), follower=social_worker)
    assert renewals.run(TODAY)["tasks"] == 1
    assert renewals.run(TODAY)["tasks"] == 0
    assert renewals.run(days(1))["tasks"] == 0
    assert Task.objects.filter(kind=TaskKind.RENEWAL).count() == 1
    assert Renewal.objects.count() == 1


def test_the_delay_is_configurable(add_right, settings):
    add_right(ends_on=days(80))
    settings.RIGHTS_RENEWAL_DAYS = 60
    assert renewals.run(TODAY)["tasks"] == 0
    settings.RIGHTS_RENEWAL_DAYS = 90
    assert renewals.run(TODAY)["tasks"] == 1


def test_renewed_to_a_later_end_it_gets_a_new_task_when_that_end_comes(
    add_right, social_worker, person
):
    right = add_right(ends_on=days(20), follower=social_worker)
    renewals.run(TODAY)
    access = record_access(social_worker, person)
    actions.do_update_right(
        access,
        right,
        actions.RightInput(
            kind=right.kind,
            status=RightStatus.OPEN,
            starts_on=days(21),
            ends_on=days(21 + 365),
            follower=social_worker,
        ),
    )
    assert right.changes.filter(what=RightChange.What.RENEWED).exists()
    assert renewals.run(TODAY)["tasks"] == 0
    assert renewals.run(days(330))["tasks"] == 1
    assert Task.objects.filter(kind=TaskKind.RENEWAL).count() == 2


def test_without_a_follower_the_referent_then_the_social_team(
    add_right, person, make_person, reception, centre, social_worker
):
    mediator = make_member(centre, "mediatrice", Role.MEDIATOR, "mediateur")
    nurse = make_member(centre, "nurse", Role.NURSE, "infirmier")
    do_add_to_care_team(reception, person, nurse)
    do_set_referent(reception, person, person.care_team.current().get(member=nurse))
    other = make_person(birth_name="LEROY", given_names="Anne", sex="F")
    add_right(ends_on=days(5))
    add_right(ends_on=days(6), who=other)
    renewals.run(TODAY)
    by_person = {t.person_id: set(t.assignees.all()) for t in Task.objects.all()}
    assert by_person[person.pk] == {nurse}
    assert by_person[other.pk] == {social_worker, mediator}


def test_a_right_held_after_its_end_has_lapsed(add_right, social_worker, person):
    right = add_right(ends_on=days(-1))
    assert renewals.run(TODAY) == {"expired": 1}
    right.refresh_from_db()
    assert right.status == RightStatus.EXPIRED
    assert right.changes.filter(what=RightChange.What.LAPSED).count() == 1
    assert renewals.run(TODAY) == {}
    # Renewed after it lapsed: a late renewal.
    actions.do_update_right(
        record_access(social_worker, person),
        right,
        actions.RightInput(
            kind=right.kind, status=RightStatus.OPEN, starts_on=TODAY, ends_on=days(365)
        ),
    )
    assert right.changes.filter(what=RightChange.What.RENEWED_LATE).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_instant_make_one_task(add_right, social_worker):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite runs write transactions one at a time: nothing to race")
    add_right(ends_on=days(10), follower=social_worker)
    start = threading.Barrier(2)
    results = []

    def work():
        start.wait()
        try:
            results.append(renewals.run(TODAY)["tasks"])
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert Task.objects.filter(kind=TaskKind.RENEWAL).count() == 1


def test_the_task_and_the_worker(add_right, social_worker):
    add_right(ends_on=timezone.localdate() + datetime.timedelta(days=3), follower=social_worker)
    assert tasks.renew_rights.call() == {"tasks": 1}
    add_right("rsa", ends_on=timezone.localdate() + datetime.timedelta(days=4))
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "1" in out.getvalue().splitlines()[-1]
    assert PersonRight.objects.filter(status=RightStatus.TO_RENEW).count() == 2
