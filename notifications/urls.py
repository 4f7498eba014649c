from django.urls import path

from notifications import views

# Mounted under /w/<slug>/. Ids are <int:pk> so tests/workspace_urls.py can walk them.
workspace_urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
