from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from core import waiting
        from posts.waiting import posts_awaiting_my_review

        waiting.register("posts", posts_awaiting_my_review)
