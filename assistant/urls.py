from django.urls import path

from assistant import triage_views, views

# Mounted under /w/<slug>/. Ids are <int:pk> / <int:conversation_id> so tests/workspace_urls.py can walk them.
workspace_urlpatterns = [
    path("settings/faq/", views.faq_list, name="faq_entries"),
    path("settings/faq/import/", views.faq_import, name="faq_import"),
    path("settings/faq/export/", views.faq_export, name="faq_export"),
    path("settings/faq/vocabulary/", views.faq_vocabulary, name="faq_vocabulary"),
    path("settings/faq/<int:pk>/", views.faq_edit, name="faq_entry_edit"),
    path("settings/faq/<int:pk>/deactivate/", views.faq_deactivate, name="faq_entry_deactivate"),
    path(
        "settings/faq/phrasings/<int:pk>/accept/",
        views.faq_phrasing_decide,
        {"decision": "accept"},
        name="faq_phrasing_accept",
    ),
    path(
        "settings/faq/phrasings/<int:pk>/dismiss/",
        views.faq_phrasing_decide,
        {"decision": "dismiss"},
        name="faq_phrasing_dismiss",
    ),
    path("settings/rules/", views.rule_list, name="rules"),
    path("settings/rules/new/", views.rule_create, name="rule_create"),
    path("settings/rules/dry-run/", views.rule_dry_run, name="rule_dry_run"),
    path("settings/rules/log/", views.rule_log, name="rule_log"),
    path("settings/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("settings/rules/<int:pk>/activate/", views.rule_activate, name="rule_activate"),
    path("settings/rules/<int:pk>/move/", views.rule_move, name="rule_move"),
    path("settings/auto-replies/", views.auto_reply_settings, name="auto_reply_settings"),
    path("assistant/faq/stats/", views.faq_stats, name="faq_stats"),
    path("assistant/triage/accuracy/", triage_views.triage_accuracy, name="triage_accuracy"),
    path("assistant/triage/<int:pk>/", triage_views.triage_correct_form, name="triage_correct_form"),
    path("assistant/triage/<int:pk>/correct/", triage_views.triage_correct, name="triage_correct"),
    path("assistant/suggestions/<int:conversation_id>/", views.suggestion_list, name="assistant_suggestions"),
    path("assistant/draft/<int:conversation_id>/", views.reply_draft, name="assistant_draft"),
]
