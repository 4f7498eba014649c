from django.urls import URLPattern

# Pages of one workspace, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = []
