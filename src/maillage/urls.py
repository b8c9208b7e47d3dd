from django.urls import include, path

from maillage.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("structure/changer/", core_views.switch_structure, name="switch_structure"),
    path("equipe/", core_views.members, name="members"),
    path("equipe/<int:pk>/desactiver/", core_views.deactivate_member, name="deactivate_member"),
    path("equipe/<int:pk>/reactiver/", core_views.reactivate_member, name="reactivate_member"),
    path("invitation/<str:token>/", core_views.accept_invitation, name="accept_invitation"),
    path("personnes/", include("maillage.people.urls")),
    path("mon-espace/", include("maillage.portal.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
