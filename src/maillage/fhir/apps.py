from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirConfig(AppConfig):
    name = "maillage.fhir"
    label = "fhir"
    verbose_name = _("FHIR interface")

    def ready(self) -> None:
        from maillage.fhir import resources  # noqa: F401 (registers the resource types)
