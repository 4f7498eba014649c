from django.urls import path

from inbox import moderation_views as views

# Mounted under /w/<slug>/. Ids are <int:conversation_id> / <int:pk> so tests/workspace_urls.py can walk them.
moderation_urlpatterns = [
    path(
        "inbox/<int:conversation_id>/messages/<int:pk>/moderate/",
        views.message_moderate,
        name="inbox_message_moderate",
    ),
    path(
        "inbox/<int:conversation_id>/messages/<int:pk>/moderation/",
        views.message_moderation,
        name="inbox_message_moderation",
    ),
]
