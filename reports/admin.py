from django.contrib import admin

from reports.models import ReportingEvent


@admin.register(ReportingEvent)
class ReportingEventAdmin(admin.ModelAdmin):
    """Facts are rebuilt by `reports_backfill`, never edited by hand: read-only."""

    list_display = ("kind", "workspace", "conversation", "at", "value_seconds", "sla_met")
    list_filter = ("kind",)
    raw_id_fields = ("workspace", "conversation", "channel", "user")

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
