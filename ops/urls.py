from django.urls import URLPattern

# Site-wide pages (not under a workspace), mounted at the root by the project's urls.
urlpatterns: list[URLPattern] = []
