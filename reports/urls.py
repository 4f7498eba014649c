from django.urls import URLPattern, path

from reports import export_views, views

# Pages of one workspace, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = [
    path("", views.workspace_home, name="workspace_home"),
    path("reports/conversations.csv", export_views.conversations_csv, name="reports_conversations_csv"),
]
