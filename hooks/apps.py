from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HooksConfig(AppConfig):
    name = "hooks"
    verbose_name = _("Outgoing webhooks")

    def ready(self) -> None:
        from core.crypto import register_encrypted_column
        from hooks import receivers  # noqa: F401 - the lower apps' events into the outbox
        from hooks.models import WebhookEndpoint

        register_encrypted_column(WebhookEndpoint, "secret")  # re-encrypted by rotate_credentials
