from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = _("Networks and channels")

    def ready(self) -> None:
        from networks import checks  # noqa: F401 - registers the system checks
