from django import forms
from django.contrib import admin

from hooks.models import OutgoingWebhook, WebhookEndpoint
from hooks.urls_vetting import UnsafeEndpoint, vet_endpoint_url


class WebhookEndpointForm(forms.ModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ("workspace", "url", "description", "events", "active", "disabled_reason", "created_by")

    def clean_url(self) -> str:
        # The same vetting as the settings page: staff cannot point a workspace's events inside either.
        try:
            return vet_endpoint_url(self.cleaned_data["url"])
        except UnsafeEndpoint as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "workspace", "active", "disabled_at", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description", "workspace__name")
    list_select_related = ("workspace",)
    raw_id_fields = ("workspace", "created_by")
    # The secret is shown to the workspace's admins on their settings page, never in lists or here.
    exclude = ("secret",)
    readonly_fields = ("created_at", "disabled_at")


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(admin.ModelAdmin):
    list_display = (
        "message_id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
    )
    list_filter = ("status", "event_type")
    search_fields = ("message_id", "endpoint__url", "ordering_key")
    list_select_related = ("endpoint",)
    raw_id_fields = ("endpoint",)
    readonly_fields = (
        "message_id",
        "payload",
        "attempts",
        "last_attempt_at",
        "last_status_code",
        "response_excerpt",
        "error",
        "created_at",
        "delivered_at",
    )
