from django.urls import path

from inbox import reply_views as views

# Mounted under /w/<slug>/. Ids are <int:conversation_id> / <int:pk> so tests/workspace_urls.py can walk them.
reply_urlpatterns = [
    path("inbox/<int:conversation_id>/reply/", views.reply_composer, name="reply_composer"),
    path("inbox/<int:conversation_id>/reply/send/", views.reply_create, name="reply_create"),
    path("inbox/<int:conversation_id>/reply/count/", views.reply_count, name="reply_count"),
    path("inbox/replies/<int:pk>/status/", views.reply_status, name="reply_status"),
    path("inbox/replies/<int:pk>/retry/", views.reply_retry, name="reply_retry"),
    path("inbox/approvals/", views.reply_approvals, name="reply_approvals"),
    path("inbox/approvals/<int:pk>/approve/", views.reply_approve, name="reply_approve"),
    path("inbox/approvals/<int:pk>/edit/", views.reply_edit_approve, name="reply_edit_approve"),
    path("inbox/approvals/<int:pk>/reject/", views.reply_reject, name="reply_reject"),
    path("settings/saved-replies/", views.saved_reply_list, name="saved_replies"),
    path("settings/saved-replies/<int:pk>/", views.saved_reply_edit, name="saved_reply_edit"),
    path("settings/saved-replies/<int:pk>/delete/", views.saved_reply_delete, name="saved_reply_delete"),
    path("settings/inbox/", views.inbox_settings, name="inbox_settings"),
]
