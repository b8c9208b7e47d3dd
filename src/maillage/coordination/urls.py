"""Coordination's pages: those of a person's record under ``personnes/<pk>/``, the team's
own under ``coordination/``."""

from maillage.coordination.views import referrals

app_name = "coordination"
urlpatterns = [*referrals.urlpatterns]
