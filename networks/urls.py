from django.urls import path

from networks import views, watch_views, webhook_views

workspace_urlpatterns = [
    path("channels/", views.health, name="channel_health"),
    path("settings/channels/", views.channel_settings, name="channel_settings"),
    path("settings/watching/", watch_views.watch_settings, name="watch_settings"),
    path("settings/channels/<int:pk>/progress/", views.backfill_progress, name="channel_backfill"),
    path("settings/channels/<int:pk>/<slug:action>/", views.channel_action, name="channel_action"),
    path("settings/channels/connect/<slug:network>/", views.connect_start, name="connect_start"),
    path(
        "settings/channels/connect/<slug:network>/authorise/",
        views.connect_authorise,
        name="connect_authorise",
    ),
    path(
        "settings/channels/connect/<slug:network>/password/", views.connect_password, name="connect_password"
    ),
    path("settings/channels/connect/<slug:network>/<str:key>/", views.connect_choose, name="connect_choose"),
]

urlpatterns = [
    path("oauth/<slug:network>/callback/", views.oauth_callback, name="oauth_callback"),
    path("webhooks/<slug:network>/", webhook_views.network_webhook, name="network_webhook"),
]
