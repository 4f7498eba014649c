from django.contrib import admin

from inbox.models import (
    Contact,
    Conversation,
    ConversationRead,
    InboxPolicy,
    Label,
    Message,
    Note,
    PublishedPost,
    SavedReply,
)


@admin.register(InboxPolicy)
class InboxPolicyAdmin(admin.ModelAdmin):
    list_display = ["workspace", "agent_replies_need_approval", "first_response_minutes", "after_reply"]
    list_filter = ["after_reply"]
    list_select_related = ["workspace"]
    search_fields = ["workspace__name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["display_name", "network", "handle", "workspace", "message_count", "last_seen_at"]
    list_filter = ["network", "workspace"]
    search_fields = ["name", "handle", "external_id"]
    list_select_related = ["workspace"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "color"]
    list_filter = ["workspace"]
    search_fields = ["name"]
    list_select_related = ["workspace"]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "channel", "status", "priority", "assignee", "last_message_at"]
    list_filter = ["status", "kind", "priority", "workspace"]
    search_fields = ["root_external_id", "preview", "contact__name", "contact__handle"]
    list_select_related = ["workspace", "channel", "assignee"]
    raw_id_fields = ["contact", "assignee", "channel", "preview_author"]
    filter_horizontal = ["labels"]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "conversation", "direction", "send_status", "created_at", "hidden"]
    list_filter = ["direction", "send_status", "hidden"]
    search_fields = ["external_id", "text"]
    list_select_related = ["conversation"]
    raw_id_fields = ["conversation", "channel", "author_contact", "author_user", "approved_by"]
    readonly_fields = ["raw", "ingested_at"]
    show_full_result_count = False


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["__str__", "conversation", "author", "created_at"]
    search_fields = ["text"]
    list_select_related = ["conversation", "author"]
    raw_id_fields = ["conversation", "author", "mentioned"]


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "shortcut", "language", "workspace"]
    list_filter = ["language", "workspace"]
    search_fields = ["title", "body", "shortcut"]
    list_select_related = ["workspace"]


@admin.register(ConversationRead)
class ConversationReadAdmin(admin.ModelAdmin):
    list_display = ["conversation", "user", "read_at"]
    list_select_related = ["conversation", "user"]
    raw_id_fields = ["conversation", "user"]
    search_fields = ["user__email"]


@admin.register(PublishedPost)
class PublishedPostAdmin(admin.ModelAdmin):
    """Posts of ours as they went out, which name the threads under them (written by publishing)."""

    list_display = ["external_id", "channel", "text"]
    list_select_related = ["channel"]
    search_fields = ["external_id", "text"]
    raw_id_fields = ["channel"]
    show_full_result_count = False


from inbox import moderation_admin  # noqa: E402, F401 - registers ModerationAction
