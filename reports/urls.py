from django.urls import URLPattern, path

from reports import views

# Pages of one workspace, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = [
    path("", views.workspace_home, name="workspace_home"),
]
