"""Views of the shared record, one module per part: the journal, sharing and the care
team, documents. Each module lists its own ``urlpatterns``."""
