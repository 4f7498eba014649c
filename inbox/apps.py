from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from core import waiting
        from inbox import receivers  # noqa: F401 - stores what networks fetch
        from inbox.waiting import replies_awaiting_approval

        waiting.register("replies", replies_awaiting_approval)
