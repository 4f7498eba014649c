from django.contrib import admin

from assistant.models import AssistantPolicy, FaqEntry, MessageTriage, Suggestion, TriageCorrection


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
