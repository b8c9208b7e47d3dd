from django.urls import include, path

from maillage.api import api
from maillage.core import health, notification_views, token_views
from maillage.core import views as core_views
from maillage.portal import invite_views as portal_invite_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("sante/", health.health, name="health"),
    path("structure/changer/", core_views.switch_structure, name="switch_structure"),
    path("equipe/", core_views.members, name="members"),
    path("equipe/<int:pk>/desactiver/", core_views.deactivate_member, name="deactivate_member"),
    path("equipe/<int:pk>/reactiver/", core_views.reactivate_member, name="reactivate_member"),
    path(
        "equipe/<int:pk>/export/",
        core_views.member_export_right,
        name="member_export_right",
    ),
    path("invitation/<str:token>/", core_views.accept_invitation, name="accept_invitation"),
    path("notifications/", notification_views.notifications, name="notifications"),
    path(
        "notifications/<int:pk>/lue/",
        notification_views.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/tout-lu/",
        notification_views.notifications_read_all,
        name="notifications_read_all",
    ),
    path("compte/jetons/", token_views.token_list, name="tokens"),
    path("compte/jetons/<int:pk>/revoquer/", token_views.token_revoke, name="token_revoke"),
    path("api/", api.urls),
    path("fhir/R4/", include("maillage.fhir.urls")),
    path("personnes/<int:pk>/espace/inviter/", portal_invite_views.invite, name="portal_invite"),
    path("personnes/", include("maillage.people.urls")),
    path("personnes/", include("maillage.record.urls")),
    path("territoire/", include("maillage.territory.urls")),
    path("", include("maillage.coordination.urls")),
    path("agenda/", include("maillage.agenda.views")),
    path("droits/", include("maillage.rights.urls")),
    path("mon-espace/", include("maillage.portal.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
