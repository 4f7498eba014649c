from django.urls import path

from inbox import views

# Mounted under /w/<slug>/. Ids are <int:conversation_id> / <int:pk> so tests/workspace_urls.py can walk them.
inbox_urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/updates/", views.inbox_updates, name="inbox_updates"),
    path("inbox/badge/", views.inbox_badge, name="inbox_badge"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox_bulk"),
    path("inbox/<int:conversation_id>/", views.conversation, name="inbox_conversation"),
    path("inbox/<int:conversation_id>/thread/", views.conversation_thread, name="inbox_thread"),
    path("inbox/<int:conversation_id>/presence/", views.conversation_presence, name="inbox_presence"),
    path("inbox/<int:conversation_id>/assign/", views.conversation_assign, name="inbox_assign"),
    path("inbox/<int:conversation_id>/status/", views.conversation_status, name="inbox_status"),
    path("inbox/<int:conversation_id>/priority/", views.conversation_priority, name="inbox_priority"),
    path("inbox/<int:conversation_id>/sensitive/", views.conversation_sensitive, name="inbox_sensitive"),
    path("inbox/<int:conversation_id>/labels/", views.conversation_labels, name="inbox_labels"),
    path("inbox/<int:conversation_id>/notes/", views.conversation_note, name="inbox_note"),
    path("inbox/<int:conversation_id>/contact-notes/", views.contact_notes, name="inbox_contact_notes"),
]
