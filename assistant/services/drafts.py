"""First drafts written by the optional language model, and the workspace's tone guide."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, Workspace
from accounts.policy import Perm
from assistant import llm, selectors
from assistant.models import AssistantPolicy, Language, Suggestion
from inbox import replies
from inbox.models import Conversation, Message

from .common import AssistantError, _require
from .suggestions import _language_and_intent

log = logging.getLogger(__name__)


DRAFT_THREAD_MESSAGES = 10  # the latest messages of the conversation the model sees
DRAFT_FAQ_PASSAGES = 3


def _draft_thread(conversation: Conversation) -> list[llm.ThreadMessage]:
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(direction=Message.Direction.OUT, send_status=Message.SendStatus.REJECTED)
        .select_related("author_contact")
        .order_by("-created_at", "-pk")[:DRAFT_THREAD_MESSAGES]
    )
    return [
        llm.ThreadMessage(
            sender="customer" if m.direction == Message.Direction.IN else "team",
            name=(m.author_contact.name if m.author_contact else "")
            if m.direction == Message.Direction.IN
            else "",
            text=m.text,
        )
        for m in reversed(rows)
    ]


def reply_draft_write(*, member: Membership, conversation: Conversation) -> Suggestion:
    """Ask the language model for a draft answer to the conversation's latest inbound message, grounded in
    the workspace's FAQ and tone guide. The draft is stored as a `llm` Suggestion and returned: it only ever
    goes into the composer for a person to edit and send. Nothing else here writes: no reply, no status,
    no assignment. Raises `llm.LlmError` (plain words) when there is no draft to show."""
    _require(member, Perm.REPLY)
    if conversation.workspace_id != member.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    if not llm.configured():
        raise llm.NotConfigured(_("No language model is configured for this installation."))
    message = selectors.latest_inbound(conversation)
    if message is None or not message.text.strip():
        raise AssistantError(_("There is no customer message to answer yet."))
    workspace = member.workspace
    language, intent = _language_and_intent(message)
    if language not in Language.values:
        language = workspace.default_language
    index, entries = selectors.faq_index_for(workspace.pk)
    found = index.suggest(message.text, language=language, limit=DRAFT_FAQ_PASSAGES, intent=intent)
    faq = [entries[int(s.entry_id)] for s in found if s.language == language]
    policy = AssistantPolicy.objects.filter(workspace=workspace).first()
    limit = replies.reply_limit(conversation)
    prompt = llm.prompt_build(
        workspace_name=workspace.name,
        network=conversation.channel.get_network_display(),
        language=language,
        limit=limit.max_length,
        tone_guide=policy.tone_guide if policy else "",
        faq=[llm.FaqPassage(answer=e.answer, url=e.url) for e in faq],
        thread=_draft_thread(conversation),
    )
    raw = llm.chat_complete(prompt.messages)
    # Links are checked against the whole active FAQ, not only the passages sent: the workspace vouches for it
    faq_texts = [t for e in entries.values() for t in (e.url, e.answer) if t]
    links = llm.LinkPolicy.from_faq(faq_texts, settings.CMHUB_LLM_ALLOWED_DOMAINS)
    try:
        text = llm.draft_check(
            raw,
            prompt=prompt,
            links=links,
            limit=limit.max_length,
            length=lambda t: replies.reply_length(conversation, t),
        )
    except llm.DraftRefused:
        log.warning("llm draft refused conversation=%s message=%s", conversation.pk, message.pk)
        raise
    with transaction.atomic():
        # A new draft replaces the agent's earlier ones for this message: those were not used.
        Suggestion.objects.filter(
            message=message, kind=Suggestion.Kind.LLM, fate=Suggestion.Fate.PENDING
        ).update(fate=Suggestion.Fate.IGNORED, decided_by=member.user, decided_at=timezone.now())
        return Suggestion.objects.create(
            message=message,
            kind=Suggestion.Kind.LLM,
            text=text,
            rank=0,
            confidence=0.0,
            language=language,
        )


@transaction.atomic
def tone_guide_update(*, workspace: Workspace, by: Membership, tone_guide: str) -> AssistantPolicy:
    """Managers say how the team writes; the model's drafts follow it."""
    _require(by, Perm.MANAGE_RULES)
    if workspace.pk != by.workspace_id:
        raise AssistantError(_("This belongs to another workspace."))
    policy, _created = AssistantPolicy.objects.get_or_create(workspace=workspace)
    before = {"tone_guide": policy.tone_guide}
    policy.tone_guide = tone_guide.strip()
    policy.save(update_fields=["tone_guide"])
    audit_record(
        workspace=workspace,
        action=AuditAction.ASSISTANT_SETTINGS_CHANGED,
        target=policy,
        actor=by,
        before=before,
        after={"tone_guide": policy.tone_guide},
    )
    return policy
