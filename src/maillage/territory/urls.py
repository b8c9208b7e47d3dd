from maillage.territory.views import directory, professionals, territories

app_name = "territory"
urlpatterns = [*directory.urlpatterns, *professionals.urlpatterns, *territories.urlpatterns]
