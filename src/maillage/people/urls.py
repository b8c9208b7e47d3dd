from django.urls import path

from maillage.people import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("inscrire/", views.register, name="register"),
    path("doublons/", views.duplicates, name="duplicates"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/modifier/", views.edit, name="edit"),
    path("<int:pk>/historique/", views.history, name="history"),
    path("<int:pk>/entourage/ajouter/", views.relation_add, name="relation_add"),
    path("<int:pk>/entourage/<int:relation_pk>/retirer/", views.relation_end, name="relation_end"),
    path("<int:pk>/arrivee/", views.arrive, name="arrive"),
    path("passage/<int:visit_pk>/vu/", views.seen, name="seen"),
    path("<int:pk>/doublons/", views.person_duplicates, name="person_duplicates"),
    path("<int:pk>/fusion/<int:other_pk>/", views.merge, name="merge"),
    path("<int:pk>/differents/<int:other_pk>/", views.dismiss, name="dismiss"),
    path("<int:pk>/acces/", views.access_log, name="access_log"),
]
