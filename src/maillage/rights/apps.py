from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RightsConfig(AppConfig):
    name = "maillage.rights"
    label = "rights"
    verbose_name = _("Social situation and rights")
