from django.urls import URLPattern, path

from hooks import views

# Mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = [
    path("settings/webhooks/", views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", views.webhook_endpoint, name="webhook_endpoint"),
    path("settings/webhooks/<int:pk>/secret/", views.webhook_secret, name="webhook_secret"),
    path("settings/webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("settings/webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("settings/webhooks/<int:pk>/enable/", views.webhook_enable, name="webhook_enable"),
    path("settings/webhooks/<int:pk>/disable/", views.webhook_disable, name="webhook_disable"),
    path("settings/webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("settings/webhooks/messages/<int:pk>/redeliver/", views.webhook_redeliver, name="webhook_redeliver"),
]
