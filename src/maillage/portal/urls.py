from django.urls import path

from maillage.portal import (
    appointment_views,
    data_views,
    invite_views,
    project_views,
    rights_views,
    sharing_views,
    views,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("dossier/", views.my_record, name="record"),
    path("documents/<int:entry_pk>/", views.document_download, name="document_download"),
    path("partage/", sharing_views.sharing, name="sharing"),
    path("partage/refuser/", sharing_views.refuse, name="sharing_refuse"),
    path("partage/ouvrir/", sharing_views.grant, name="sharing_grant"),
    path("partage/<int:choice_pk>/retirer/", sharing_views.withdraw, name="sharing_withdraw"),
    path("projet/", project_views.my_project, name="project"),
    path(
        "projet/problematiques/<int:problematique_pk>/",
        project_views.my_words,
        name="project_words",
    ),
    path("projet/objectifs/<int:goal_pk>/", project_views.my_goal, name="project_goal"),
    path("projet/rencontre/", project_views.ask_meeting, name="project_meeting"),
    path("rendez-vous/", appointment_views.my_appointments, name="appointments"),
    path("droits/", rights_views.my_rights, name="rights"),
    path("mes-donnees/", data_views.my_data, name="my_data"),
    path("mes-donnees/fhir/", data_views.my_data_fhir, name="my_data_fhir"),
    path("mes-donnees/resume/", data_views.my_data_pdf, name="my_data_pdf"),
    path("rendez-vous/rappels/", appointment_views.reminders, name="appointment_reminders"),
    path(
        "rendez-vous/<int:appointment_pk>/annuler/",
        appointment_views.cancel,
        name="appointment_cancel",
    ),
    path(
        "rendez-vous/<int:appointment_pk>/deplacer/",
        appointment_views.ask_to_move,
        name="appointment_move",
    ),
    path("activer/", invite_views.activate, name="activate"),
    path("activer/<str:token>/", invite_views.activate_link, name="activate_link"),
]
