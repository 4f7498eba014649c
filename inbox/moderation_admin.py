"""Moderation actions in Django admin: the audit of who hid, deleted or answered what privately, filterable
by action, state, network and workspace. Read-only: a change on a network is asked for from the inbox."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from inbox.models import ModerationAction


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "action",
        "state",
        "channel",
        "requested_by",
        "requested_at",
        "attempts",
        "done_at",
    ]
    list_filter = ["action", "state", "channel__network", "workspace"]
    search_fields = ["message__external_id", "text", "error", "requested_by__email"]
    list_select_related = ["channel", "requested_by", "message"]
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in ModerationAction._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ModerationAction | None = None) -> bool:
        return False
