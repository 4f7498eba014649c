from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from accounts.urls import workspace_urlpatterns as account_pages
from api.urls import workspace_urlpatterns as api_pages
from assistant.urls import workspace_urlpatterns as assistant_pages
from core import views as core_views
from core.signed_media import serve_signed_media
from hooks.urls import workspace_urlpatterns as webhook_pages
from inbox.urls import workspace_urlpatterns as inbox_pages
from networks.urls import workspace_urlpatterns as network_pages
from notifications.urls import workspace_urlpatterns as notification_pages
from posts.urls import workspace_urlpatterns as posts_pages
from reports.urls import workspace_urlpatterns as report_pages

# The admin login goes through allauth, so staff get the same MFA and rate limits as everyone.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "CM Hub"
admin.site.site_title = "CM Hub admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("healthz/", core_views.healthz, name="healthz"),
    path("", include("ops.urls")),
    path("m/<str:token>/", serve_signed_media, name="signed_media"),
    path(
        "w/<slug:slug>/",
        include(
            account_pages
            + inbox_pages
            + network_pages
            + assistant_pages
            + posts_pages
            + notification_pages
            + report_pages
            + api_pages
            + webhook_pages
        ),
    ),
    path("", include("api.urls")),
    path("", include("networks.urls")),
    path("", include("accounts.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
