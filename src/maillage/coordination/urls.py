from maillage.coordination.views import referrals

app_name = "coordination"
urlpatterns = [*referrals.urlpatterns]
