from django.urls import URLPattern, path

from reports import export_views, views

# Pages of one workspace, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = [
    path("", views.workspace_home, name="workspace_home"),
    path("reports/", views.reports_home, name="reports"),
    path("reports/inbox/", views.reports_inbox, name="reports_inbox"),
    path("reports/team/", views.reports_team, name="reports_team"),
    path("reports/sentiment/", views.reports_sentiment, name="reports_sentiment"),
    path("reports/publishing/", views.reports_publishing, name="reports_publishing"),
    path("reports/reviews/", views.reports_reviews, name="reports_reviews"),
    path("reports/drill/", views.reports_drill, name="reports_drill"),
    path("reports/conversations.csv", export_views.conversations_csv, name="reports_conversations_csv"),
]
