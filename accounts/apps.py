from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and workspaces")

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401 - sign-in and two-factor events into the audit log
