"""What the FHIR interface keeps besides the application's own tables.

A resource created or updated through FHIR may carry elements the application has no
field for (an official example's ``contact``, ``maritalStatus``, a foreign extension) and
identifiers from other systems. They are kept, not dropped: ``KeptElements`` holds the
elements as they were sent and puts them back when the resource is read;
``ExternalIdentifier`` holds the identifiers, indexed for the ``identifier`` search.
See docs/fhir.md, "What is kept, what is refused".
"""

from __future__ import annotations

import uuid

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


class BulkExport(models.Model):
    """A bulk ``$export`` asked by a program: run by the worker, its NDJSON files kept in
    ``MAILLAGE_DATA_DIR/exports/<id>/`` until fetched or expired."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired (files removed)")

    class Level(models.TextChoices):
        SYSTEM = "system", _("every resource")
        PATIENT = "patient", _("the persons' compartments")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey("core.Member", on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey(
        "core.ApiToken", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    types = models.JSONField(default=list)  # empty: every type of the level
    since = models.DateTimeField(null=True, blank=True)
    base_url = models.CharField(max_length=300)
    request_url = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, blank=True)
    output = models.JSONField(default=list)  # [{"type", "file", "count"}]

    class Meta:
        verbose_name = _("bulk FHIR export")
        verbose_name_plural = _("bulk FHIR exports")
        indexes = [models.Index(fields=["member", "status"], name="fhir_export_member")]

    def __str__(self) -> str:
        return f"$export {self.pk} ({self.status})"
