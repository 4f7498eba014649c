from django.urls import path

from accounts import audit_views, views

# Pages of one workspace, mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns = [
    path("settings/", views.workspace_settings, name="workspace_settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("settings/invitations/", views.invitations, name="invitations"),
    path("settings/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/audit/", audit_views.audit_log, name="audit_log"),
    path("settings/audit/export.csv", audit_views.audit_log_export, name="audit_log_export"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
