"""Coordination's pages: those of a person's record under ``personnes/<pk>/``, the team's
own under ``coordination/``."""

from maillage.coordination.views import circle, meetings, projects, referrals, requests, tasks

app_name = "coordination"
urlpatterns = [
    *referrals.urlpatterns,
    *requests.urlpatterns,
    *tasks.urlpatterns,
    *meetings.urlpatterns,
    *projects.urlpatterns,
    *circle.urlpatterns,
]
