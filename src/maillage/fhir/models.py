"""What the FHIR interface keeps besides the application's own tables.

A resource created or updated through FHIR may carry elements the application has no
field for (an official example's ``contact``, ``maritalStatus``, a foreign extension) and
identifiers from other systems. They are kept, not dropped: ``KeptElements`` holds the
elements as they were sent and puts them back when the resource is read;
``ExternalIdentifier`` holds the identifiers, indexed for the ``identifier`` search.
See docs/fhir.md, "What is kept, what is refused".
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class KeptElements(models.Model):
    resource_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    elements = models.JSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("kept FHIR elements")
        verbose_name_plural = _("kept FHIR elements")
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "object_id"], name="one_kept_elements_per_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.object_id}"


class ExternalIdentifier(models.Model):
    resource_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    system = models.CharField(max_length=300, blank=True)
    value = models.CharField(max_length=300)
    data = models.JSONField(default=dict)  # the whole Identifier, as sent

    class Meta:
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["resource_type", "value", "system"], name="fhir_identifier_value"),
            models.Index(fields=["resource_type", "object_id"], name="fhir_identifier_object"),
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
