from django.urls import URLPattern, URLResolver, path

from api import views
from api.main import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/docs", views.docs, name="api_docs"),
    path("api/v1/", api.urls),
]

# Settings -> API, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns: list[URLPattern] = [
    path("settings/api/", views.tokens, name="api_tokens"),
    path("settings/api/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
