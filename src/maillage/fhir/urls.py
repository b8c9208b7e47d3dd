from django.urls import path, re_path

from maillage.fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("$export", views.export_system, name="export"),
    path("Patient/$export", views.export_patients, name="export_patients"),
    path("$export-status/<uuid:job_id>", views.export_status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:file_name>", views.export_file, name="export_file"),
    path("<str:resource_type>", views.type_endpoint, name="type"),
    path("Patient/<str:resource_id>/$everything", views.everything_endpoint, name="everything"),
    path("<str:resource_type>/_search", views.search_endpoint, name="search"),
    path("<str:resource_type>/<str:resource_id>", views.instance_endpoint, name="instance"),
    # Last: an id holding a slash, an unknown operation… answer in FHIR, not in HTML.
    re_path(r"^(?P<path>.*)$", views.unknown_endpoint, name="unknown"),
]
