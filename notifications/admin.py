from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["text", "recipient", "workspace", "kind", "created_at", "read_at"]
    list_filter = ["kind", "workspace"]
    search_fields = ["text", "recipient__email", "workspace__name"]
    list_select_related = ["recipient", "workspace"]
    raw_id_fields = ["recipient", "workspace"]
    date_hierarchy = "created_at"
