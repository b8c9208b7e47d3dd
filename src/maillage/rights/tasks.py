"""Background tasks of the rights (django-tasks), run by ``maillage worker``."""

from __future__ import annotations

from django_tasks import task

from maillage.rights import renewals


@task()
def renew_rights() -> dict[str, int]:
    """Make the renewal tasks that are due and mark lapsed rights expired."""
    return dict(renewals.run())
