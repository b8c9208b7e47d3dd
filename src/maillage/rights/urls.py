"""The social situation and rights of a person (``/droits/<person>/…``) and the
structure's catalogue of rights."""

from django.urls import path

from maillage.rights.views import (
    applications,
    estimate,
    indicators,
    overview,
    rights,
    situation,
)

app_name = "rights"
P = "<int:person_pk>/"
APP = P + "demarche/<int:application_pk>/"
urlpatterns = [
    path("catalogue/", rights.catalogue, name="catalogue"),
    path("indicateurs/", indicators.indicators, name="indicators"),
    path(P, overview.overview, name="overview"),
    path(P + "situation/", situation.living, name="living"),
    path(P + "situation/historique/", situation.living_history, name="living_history"),
    path(P + "epices/", situation.epices, name="epices"),
    path(P + "estimation/", estimate.estimate, name="estimate"),
    path(P + "estimation/demarche/", estimate.estimate_apply, name="estimate_apply"),
    path(P + "droit/nouveau/", rights.right_add, name="right_add"),
    path(P + "droit/<int:right_pk>/", rights.right_edit, name="right_edit"),
    path(P + "demarche/nouvelle/", applications.application_add, name="application_add"),
    path(APP, applications.application, name="application"),
    path(APP + "etape/", applications.step, name="application_step"),
    path(APP + "documents/", applications.documents, name="application_documents"),
    path(APP + "deposer/", applications.submit, name="application_submit"),
    path(APP + "decision/", applications.decide, name="application_decide"),
    path(APP + "abandon/", applications.abandon, name="application_abandon"),
    path(APP + "recours/", applications.appeal, name="application_appeal"),
]
