from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, Invitation, Membership, User, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "language", "is_staff", "is_active", "last_login", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "display_name", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {"fields": ["display_name", "first_name", "last_name", "avatar", "language", "timezone"]},
        ),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "default_language", "require_mfa", "created_at"]
    list_filter = ["default_language", "require_mfa"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    search_fields = ["user__email", "user__display_name", "workspace__name"]
    list_select_related = ["user", "workspace"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "workspace",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role", "workspace"]
    search_fields = ["email", "workspace__name"]
    list_select_related = ["workspace", "invited_by"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by", "invited_by"]

    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        # The link's token is shown once, to the person who sends it: invitations start in Settings.
        return False

    @admin.action(description=_("Revoke the selected pending invitations"))
    def revoke(self, request, queryset) -> None:
        from accounts import services

        revoked = 0
        for invitation in queryset:
            try:
                services.invitation_revoke(invitation=invitation, by=request.user)
                revoked += 1
            except services.AccountsError:
                pass
        self.message_user(request, _("%(count)d invitation(s) revoked.") % {"count": revoked})


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Platform staff read every workspace's log here; nobody adds, changes or deletes an event."""

    list_display = [
        "created_at",
        "workspace",
        "actor_label",
        "actor_kind",
        "action",
        "target_label",
        "ip_address",
    ]
    list_filter = ["action", "actor_kind", "workspace", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "target_label", "target_id", "ip_address"]
    list_select_related = ["workspace"]
    date_hierarchy = "created_at"
    # A raw id, not a select of every user and workspace, on the (read-only) change page.
    raw_id_fields = ["workspace", "actor"]
    show_full_result_count = False  # a count(*) of the whole log on every page is the slow part

    def get_readonly_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> list[str]:
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
