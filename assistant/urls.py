from django.urls import path

from assistant import views

# Mounted under /w/<slug>/. Ids are <int:pk> / <int:conversation_id> so tests/workspace_urls.py can walk them.
workspace_urlpatterns = [
    path("settings/faq/", views.faq_list, name="faq_entries"),
    path("settings/faq/import/", views.faq_import, name="faq_import"),
    path("settings/faq/export/", views.faq_export, name="faq_export"),
    path("settings/faq/<int:pk>/", views.faq_edit, name="faq_entry_edit"),
    path("settings/faq/<int:pk>/deactivate/", views.faq_deactivate, name="faq_entry_deactivate"),
    path("assistant/faq/stats/", views.faq_stats, name="faq_stats"),
    path("assistant/suggestions/<int:conversation_id>/", views.suggestion_list, name="assistant_suggestions"),
]
