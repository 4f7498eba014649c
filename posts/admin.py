from django.contrib import admin

from posts.models import (
    MediaAsset,
    Post,
    PostEvent,
    PostMedia,
    PostMetricsSnapshot,
    PostTarget,
    PublishingPolicy,
    Rendition,
    Review,
)


@admin.register(PublishingPolicy)
class PublishingPolicyAdmin(admin.ModelAdmin):
    list_display = ["workspace", "approvals_required", "missed_grace_minutes"]
    list_filter = ["approvals_required"]
    search_fields = ["workspace__name"]
    list_select_related = ["workspace"]


class PostTargetInline(admin.TabularInline):
    model = PostTarget
    extra = 0
    fields = ["channel", "status", "external_id", "permalink", "attempts", "next_attempt_at", "error"]
    readonly_fields = ["external_id", "permalink", "attempts", "next_attempt_at", "error"]


class PostMediaInline(admin.TabularInline):
    model = PostMedia
    extra = 0


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "author", "status", "scheduled_at", "campaign", "updated_at"]
    list_filter = ["status", "workspace"]
    search_fields = ["title", "text", "campaign"]
    list_select_related = ["workspace", "author"]
    date_hierarchy = "scheduled_at"
    inlines = [PostTargetInline, PostMediaInline]


@admin.register(PostTarget)
class PostTargetAdmin(admin.ModelAdmin):
    list_display = ["post", "channel", "status", "attempts", "next_attempt_at", "published_at", "external_id"]
    list_filter = ["status", "channel__network"]
    search_fields = ["external_id", "post__title", "channel__name"]
    list_select_related = ["post", "channel"]


@admin.register(PostMetricsSnapshot)
class PostMetricsSnapshotAdmin(admin.ModelAdmin):
    """Read from the networks: shown, never edited by hand."""

    list_display = ["target", "day", "views", "likes", "comments", "shares", "fetched_at"]
    list_filter = ["target__channel__network"]
    search_fields = ["target__external_id", "target__post__title"]
    list_select_related = ["target", "target__post"]
    date_hierarchy = "day"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = ["upload", "workspace", "format", "width", "height", "frames", "created_at"]
    list_filter = ["format", "workspace"]
    search_fields = ["upload", "alt_text"]
    list_select_related = ["workspace"]


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    list_display = ["asset", "network", "fit", "width", "height", "mime", "created_at"]
    list_filter = ["network", "fit"]
    search_fields = ["file"]
    list_select_related = ["asset"]


@admin.register(PostMedia)
class PostMediaAdmin(admin.ModelAdmin):
    list_display = ["post", "asset", "position", "fit"]
    list_filter = ["fit"]
    search_fields = ["post__title"]
    list_select_related = ["post", "asset"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["post", "reviewer", "decision", "current", "created_at"]
    list_filter = ["decision", "current"]
    search_fields = ["post__title", "comment", "reviewer__email"]
    list_select_related = ["post", "reviewer"]


@admin.register(PostEvent)
class PostEventAdmin(admin.ModelAdmin):
    list_display = ["post", "action", "actor", "target", "created_at"]
    list_filter = ["action"]
    search_fields = ["post__title", "detail"]
    list_select_related = ["post", "actor", "target"]
