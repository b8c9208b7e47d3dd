"""Fill the point and hours each service inherits (its own, else its organisation's)."""

from django.db import migrations


def fill(apps, schema_editor):
    Service = apps.get_model("territory", "Service")
    batch = []
    for service in Service.objects.select_related("organisation").iterator(chunk_size=1000):
        organisation = service.organisation
        own = service.latitude is not None and service.longitude is not None
        service.place_latitude = service.latitude if own else organisation.latitude
        service.place_longitude = service.longitude if own else organisation.longitude
        service.place_hours = service.horaires_accueil or organisation.horaires_accueil
        batch.append(service)
        if len(batch) >= 1000:
            Service.objects.bulk_update(batch, ["place_latitude", "place_longitude", "place_hours"])
            batch = []
    Service.objects.bulk_update(batch, ["place_latitude", "place_longitude", "place_hours"])


class Migration(migrations.Migration):
    dependencies = [("territory", "0003_service_place")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
