from django.urls import URLPattern, path

from ops import views

# Site-wide pages (not under a workspace), mounted at the root by the project's urls.
urlpatterns: list[URLPattern] = [
    path("metrics", views.metrics, name="ops_metrics"),
]
