from django.contrib import admin

from assistant.models import (
    AssistantPolicy,
    AutoReply,
    AutoReplyPolicy,
    FaqEntry,
    LearnedPhrasing,
    MessageTriage,
    Rule,
    RuleExecution,
    Suggestion,
    TriageCorrection,
)


@admin.register(AssistantPolicy)
class AssistantPolicyAdmin(admin.ModelAdmin):
    list_display = ["workspace", "mark_spam"]
    list_select_related = ["workspace"]
    search_fields = ["workspace__name"]


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "active", "updated_at"]
    list_filter = ["language", "active", "workspace"]
    search_fields = ["group", "answer", "workspace__name"]
    list_select_related = ["workspace"]


@admin.register(LearnedPhrasing)
class LearnedPhrasingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "workspace", "faq_entry", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["text", "workspace__name"]
    list_select_related = ["workspace", "faq_entry", "decided_by"]
    raw_id_fields = ["faq_entry", "message", "decided_by"]


class TriageCorrectionInline(admin.TabularInline):
    model = TriageCorrection
    extra = 0
    raw_id_fields = ["corrected_by"]


@admin.register(MessageTriage)
class MessageTriageAdmin(admin.ModelAdmin):
    list_display = ["message", "language", "intent", "priority", "sentiment", "spam_score", "engine_version"]
    list_filter = ["language", "intent", "priority", "engine_version"]
    search_fields = ["message__text"]
    list_select_related = ["message"]
    raw_id_fields = ["message"]
    inlines = [TriageCorrectionInline]
    show_full_result_count = False


@admin.register(TriageCorrection)
class TriageCorrectionAdmin(admin.ModelAdmin):
    list_display = ["triage", "field", "old_value", "new_value", "corrected_by", "corrected_at"]
    list_filter = ["field"]
    search_fields = ["triage__message__text"]
    list_select_related = ["triage", "corrected_by"]
    raw_id_fields = ["triage", "corrected_by"]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "faq_entry", "rank", "confidence", "fate", "decided_by", "decided_at"]
    list_filter = ["kind", "fate"]
    search_fields = ["text", "final_text"]
    list_select_related = ["message", "faq_entry", "decided_by"]
    raw_id_fields = ["message", "faq_entry", "decided_by"]
    show_full_result_count = False


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "position", "active", "stop_here", "updated_at"]
    list_filter = ["active", "workspace"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    raw_id_fields = ["created_by"]


@admin.register(RuleExecution)
class RuleExecutionAdmin(admin.ModelAdmin):
    list_display = ["rule", "message", "dry_run", "created_at"]
    list_filter = ["dry_run"]
    list_select_related = ["rule", "message"]
    raw_id_fields = ["rule", "message"]
    show_full_result_count = False


@admin.register(AutoReplyPolicy)
class AutoReplyPolicyAdmin(admin.ModelAdmin):
    list_display = ["workspace", "enabled", "min_confidence", "daily_cap", "updated_at"]
    list_select_related = ["workspace"]
    search_fields = ["workspace__name"]
    filter_horizontal = ["faq_entries", "channels"]


@admin.register(AutoReply)
class AutoReplyAdmin(admin.ModelAdmin):
    list_display = ["message", "workspace", "rule", "mode", "reason", "confidence", "created_at"]
    list_filter = ["mode", "reason"]
    list_select_related = ["message", "workspace", "rule"]
    raw_id_fields = ["rule", "message", "reply", "faq_entry"]
    show_full_result_count = False
