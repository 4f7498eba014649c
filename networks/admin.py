from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.text import single_line
from networks import registry, services, tasks, webhooks
from networks.models import (
    Channel,
    ChannelWebhookState,
    NetworkApp,
    PollRun,
    QuotaLedger,
    ServerApp,
    StreamState,
    WatchSettings,
    WebhookDelivery,
)


class NetworkAppForm(forms.ModelForm):
    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted. Leave empty to keep the current secret."),
    )
    webhook_verify_token = forms.CharField(
        label=_("webhook verify token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Meta only: what you type as “Verify token” next to the webhook URL in Meta's App Dashboard. "
            "Stored encrypted. Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = NetworkApp
        fields = [
            "network",
            "client_id",
            "client_secret",
            "api_base_url",
            "oauth_base_url",
            "webhook_verify_token",
        ]

    def clean_client_secret(self) -> str:
        return self.cleaned_data["client_secret"] or (self.instance.client_secret if self.instance.pk else "")

    def clean_webhook_verify_token(self) -> str:
        token = self.cleaned_data["webhook_verify_token"]
        return token or (self.instance.webhook_verify_token if self.instance.pk else "")

    def clean(self) -> dict:
        data = super().clean()
        network = data.get("network", "")
        for name in ("api_base_url", "oauth_base_url"):
            url = data.get(name)
            if url and not registry.allowed_url(network, url):
                self.add_error(
                    name,
                    _(
                        "Only the network's own https hosts, or a host listed in CMHUB_ALLOWED_API_HOSTS, "
                        "can receive its tokens."
                    ),
                )
        return data


@admin.register(NetworkApp)
class NetworkAppAdmin(admin.ModelAdmin):
    form = NetworkAppForm
    list_display = ["network", "client_id", "api_base_url", "oauth_base_url", "webhook_address"]
    search_fields = ["client_id"]
    readonly_fields = ["webhook_address"]

    @admin.display(description=_("webhook URL"))
    def webhook_address(self, app: NetworkApp) -> str:
        """What to give the network's dashboard (Meta: with the verify token; LinkedIn: it signs with the
        client secret)."""
        if webhooks.receiver(app.network) is None:
            return str(_("none: this network is polled only"))
        return webhooks.webhook_url(app.network)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "network", "status", "refusal", "events", "stored", "skipped", "stale"]
    list_filter = ["network", "status", "refusal"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ChannelWebhookState)
class ChannelWebhookStateAdmin(admin.ModelAdmin):
    list_display = ["channel", "subscribed_at", "last_delivery_at", "deliveries", "stored", "refused"]
    list_select_related = ["channel"]
    readonly_fields = [f.name for f in ChannelWebhookState._meta.fields]
    actions = ["subscribe"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Ask the network again to send these channels' webhooks"))
    def subscribe(self, request, queryset):
        for state in queryset.select_related("channel"):
            tasks.enqueue_webhook_subscribe(state.channel_id)


class ChannelAdminForm(forms.ModelForm):
    # No Meta: ChannelAdmin says which fields (modelform_factory fills in the model).

    def clean_name(self) -> str:
        # As channel_connect stores it: one line, since the name goes into mail subjects.
        return single_line(self.cleaned_data["name"])


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelAdminForm
    list_display = [
        "name",
        "network",
        "workspace",
        "status",
        "last_polled_at",
        "consecutive_failures",
        "next_poll_at",
    ]
    list_filter = ["network", "status", "workspace"]
    search_fields = ["name", "handle", "external_id", "workspace__name"]
    list_select_related = ["workspace"]
    # Where a channel's token goes and whose data it is are set by the connect flow only: editing the URL
    # sent the customer's token to any address, editing the workspace moved a channel to another tenant.
    readonly_fields = [
        "workspace",
        "network",
        "external_id",
        "api_base_url",
        "created_at",
        "connected_by",
        "last_polled_at",
        "last_error",
        "last_error_at",
        "consecutive_failures",
        "rate_limit_remaining",
        "rate_limit_reset_at",
        "backfill_status",
        "backfill_fetched",
        "scopes_granted",
    ]
    exclude = ["cursor"]
    actions = ["pause", "resume"]

    @admin.action(description=_("Pause polling of the selected channels"))
    def pause(self, request, queryset):
        for channel in queryset:
            services.channel_pause(channel=channel, by=request.user)

    @admin.action(description=_("Resume polling of the selected channels"))
    def resume(self, request, queryset):
        for channel in queryset:
            services.channel_resume(channel=channel, by=request.user)


@admin.register(PollRun)
class PollRunAdmin(admin.ModelAdmin):
    list_display = ["channel", "started_at", "finished_at", "fetched", "skipped", "outcome"]
    list_filter = ["outcome", "channel__network"]
    search_fields = ["channel__name", "error"]
    list_select_related = ["channel"]
    date_hierarchy = "started_at"


@admin.register(ServerApp)
class ServerAppAdmin(admin.ModelAdmin):
    """Registered by CM Hub itself the first time someone connects an account on a server; deleting one
    makes the next connection there register again."""

    list_display = ("server_url", "network", "client_id", "created_at")
    list_filter = ("network",)
    search_fields = ("server_url",)
    readonly_fields = ("network", "server_url", "redirect_uri", "client_id", "scopes", "created_at")
    exclude = ("client_secret",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(StreamState)
class StreamStateAdmin(admin.ModelAdmin):
    list_display = ("key", "network", "connected_at", "last_event_at", "events", "stored", "reconnects")
    list_filter = ("network",)
    readonly_fields = [f.name for f in StreamState._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WatchSettings)
class WatchSettingsAdmin(admin.ModelAdmin):
    list_display = ["workspace", *WatchSettings.LIMITS, "updated_at"]
    search_fields = ["workspace__name", "workspace__slug"]
    raw_id_fields = ["workspace"]


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(admin.ModelAdmin):
    """A shared daily quota's days (YouTube's units per Google project): read only, the providers write it."""

    list_display = (
        "network",
        "project",
        "day",
        "spent",
        "poll_units",
        "write_units",
        "polls",
        "exhausted_at",
    )
    list_filter = ("network",)
    readonly_fields = [f.name for f in QuotaLedger._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
