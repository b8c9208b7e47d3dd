"""The national rights of the catalogue (names in French; the interface translates them
from their code)."""

from django.db import migrations

NATIONAL = [
    ("puma", "PUMa (assurance maladie de base)", "coverage"),
    ("css", "Complémentaire santé solidaire (gratuite)", "coverage"),
    ("css_participation", "Complémentaire santé solidaire (avec participation)", "coverage"),
    ("ame", "AME (aide médicale de l'État)", "coverage"),
    ("ald", "ALD (affection de longue durée, prise en charge à 100 %)", "coverage"),
    ("rsa", "RSA", "income"),
    ("ppa", "Prime d'activité", "income"),
    ("apl", "APL (aide personnalisée au logement)", "housing"),
    ("als", "ALS (allocation de logement sociale)", "housing"),
    ("alf", "ALF (allocation de logement familiale)", "housing"),
    ("aah", "AAH (allocation aux adultes handicapés)", "disability"),
    ("mdph", "Reconnaissance du handicap (MDPH)", "disability"),
    ("domiciliation", "Domiciliation", "stay"),
    ("residence_permit", "Titre de séjour", "stay"),
]


def add(apps, schema_editor):
    RightKind = apps.get_model("rights", "RightKind")
    for code, label, category in NATIONAL:
        RightKind.objects.update_or_create(
            structure=None, code=code, defaults={"label": label, "category": category}
        )


class Migration(migrations.Migration):
    dependencies = [("rights", "0001_social_situation_and_rights")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
