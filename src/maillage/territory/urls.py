from maillage.territory.views import directory, territories

app_name = "territory"
urlpatterns = [*directory.urlpatterns, *territories.urlpatterns]
