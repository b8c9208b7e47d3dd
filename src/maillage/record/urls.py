from maillage.record.views import codes, documents, sharing
from maillage.record.views import journal as journal

app_name = "record"
urlpatterns = [
    *journal.urlpatterns,
    *sharing.urlpatterns,
    *documents.urlpatterns,
    *codes.urlpatterns,
]
