"""Rules: what the team wants done to new inbound messages, run in order after triage.

A rule is `conditions` (all must hold; an empty one matches everything) and `actions`:

    conditions = {
        "networks": ["facebook"], "channels": [12], "kinds": ["comment"], "languages": ["fr"],
        "intents": ["complaint"], "sentiment_above": -0.5, "sentiment_below": 0.2,
        "keywords": ["livraison", "delivery"],   # any of them, accents and case ignored
        "regex": "commande\\s*n[o°]?\\s*\\d+",  # run by RE2 (linear time), see `compile_pattern`
        "first_time_author": true, "outside_business_hours": true,
    }
    actions = [
        {"type": "add_label", "label": "Livraison"},
        {"type": "assign", "user": 7},
        {"type": "round_robin", "users": [7, 8, 9]},
        {"type": "set_priority", "priority": 2},
        {"type": "mark_spam"},
        {"type": "suggest_faq"},
        {"type": "auto_reply"},
    ]

Running is two steps: `plan` decides, reading only, and says exactly what each matching rule would do
(the round-robin member, the FAQ answer, whether an auto-reply would be a draft or go out); `_apply` writes
that plan. The dry run is `plan` alone, over the last days, so what it shows is what a real run does.

Rule actions are the workspace's own automation, not a person's: they write directly (with the same
conditional updates as `inbox.services`) rather than through services that check a person's role.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass, field

import re2
from django.db import IntegrityError, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import AuditAction, audit_record
from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from assistant import autoreply, selectors
from assistant.engine.text import fold
from assistant.models import MessageTriage, Rule, RuleExecution, Suggestion
from core.errors import UserError
from inbox.models import Conversation, InboxPolicy, Label, Message

log = logging.getLogger(__name__)

DRY_RUN_WINDOW = dt.timedelta(days=7)
DRY_RUN_LIMIT = 500
REGEX_MAX_CHARS = 200
REGEX_INPUT_CHARS = 2000  # patterns see at most this much of a message
KEYWORDS_MAX = 50
SUGGEST_MIN_CONFIDENCE = 0.3

ACTION_TYPES = (
    "add_label",
    "assign",
    "round_robin",
    "set_priority",
    "mark_spam",
    "suggest_faq",
    "auto_reply",
)


class RuleError(UserError):
    """A refused rule, in plain words."""


# A rule's pattern runs on every customer's message, so it runs on RE2, whose time is linear in the input
# whatever the pattern: Python's backtracking `re` takes minutes on 30 characters for "(a|aa)*c". RE2's
# \w \d \s are ASCII-only; people write patterns for French text, so they are rewritten to the Unicode
# classes Python's `re` gives them (outside a bracket, and inside one where a union can say it).
# \b stays ASCII: RE2 has no Unicode word boundary.
_UNICODE_CLASSES = {
    "w": r"\p{L}\p{N}_",
    "d": r"\p{Nd}",
    "s": r"\t-\r\x{1c}-\x{1f}\x{85}\p{Z}",
}
_UNICODE_CLASSES_IN_BRACKETS = {**_UNICODE_CLASSES, "D": r"\P{Nd}"}


def _unicode_classes(pattern: str) -> str:
    out, i, in_brackets = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if in_brackets and escaped in _UNICODE_CLASSES_IN_BRACKETS:
                out.append(_UNICODE_CLASSES_IN_BRACKETS[escaped])
            elif not in_brackets and escaped.lower() in _UNICODE_CLASSES:
                negate = "^" if escaped.isupper() else ""
                out.append(f"[{negate}{_UNICODE_CLASSES[escaped.lower()]}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_brackets:
            in_brackets = True
            out.append(char)
            i += 1
            # A "]" first in a class (after an optional "^") is a literal, not its end.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("]")
                i += 1
            continue
        if char == "]" and in_brackets:
            in_brackets = False
        out.append(char)
        i += 1
    return "".join(out)


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a refused pattern is the person's mistake, said on the form; not stderr
    return options


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re2._Regexp:
    """A rule's pattern compiled for RE2, case ignored; raises `re2.error` when RE2 refuses it."""
    return re2.compile(_unicode_classes(pattern), _options())


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` may not be used in a rule, or None when it may."""
    if len(pattern) > REGEX_MAX_CHARS:
        return _("The pattern is too long (%(max)d characters at most).") % {"max": REGEX_MAX_CHARS}
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        try:
            re.compile(pattern)
        except re.error as python_exc:
            return _("The pattern is not valid: %(error)s") % {"error": python_exc}
        # Valid for Python but not for RE2: what RE2 leaves out to stay linear.
        log.info("rule pattern refused by RE2: %s", exc)
        return _(
            "Rules cannot use this pattern: back-references (such as \\1) and look-arounds (such as (?=…) "
            "or (?<!…)) are not supported."
        )
    return None


def _pattern_matches(pattern: str, text: str) -> bool:
    """Whether a stored pattern finds `text`; a pattern RE2 refuses (saved before RE2, or by hand) matches
    nothing, and is logged, rather than stopping triage."""
    try:
        compiled = compile_pattern(pattern)
    except re2.error:
        log.warning("rule pattern refused by RE2, rule skipped", extra={"pattern": pattern[:REGEX_MAX_CHARS]})
        return False
    return compiled.search(text[:REGEX_INPUT_CHARS]) is not None


def validate(conditions: dict, actions: list[dict], workspace: Workspace) -> None:
    """Raise RuleError when a rule could not run as written."""
    pattern = conditions.get("regex") or ""
    if pattern and (problem := regex_problem(pattern)):
        raise RuleError(problem)
    if len(conditions.get("keywords") or []) > KEYWORDS_MAX:
        raise RuleError(_("Too many keywords (%(max)d at most).") % {"max": KEYWORDS_MAX})
    if not actions:
        raise RuleError(_("A rule needs at least one action."))
    members = set(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
    for action in actions:
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            raise RuleError(_("Unknown action."))
        users = action.get("users", []) if kind == "round_robin" else [action.get("user")]
        if kind in ("assign", "round_robin") and (not users or not set(users) <= members):
            raise RuleError(_("Assign only to members of this workspace."))
        if kind == "set_priority" and action.get("priority") not in Conversation.Priority.values:
            raise RuleError(_("Unknown priority."))
        if kind == "add_label" and not " ".join(str(action.get("label", "")).split()):
            raise RuleError(_("A label needs a name."))


# --- Deciding -------------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What the conditions look at, for one message."""

    message: Message
    triage: MessageTriage
    first_time_author: bool
    outside_business_hours: bool


@dataclass
class Planned:
    rule: Rule
    actions: list[dict]


@dataclass
class State:
    """What earlier decisions of the same run change for later ones: round-robin turns, direct sends."""

    cursors: dict[int, int] = field(default_factory=dict)
    sent_today: int | None = None
    auto_answered: set[int] = field(default_factory=set)


def outside_business_hours(at: dt.datetime, hours: dict | None, timezone_name: str) -> bool:
    if not hours:
        return False  # no hours set: the inbox is open around the clock
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(timezone_name or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at.astimezone(dt.UTC)
    span = hours.get(str(local.weekday()))
    if not span:
        return True
    opens, closes = span
    return not (opens <= local.strftime("%H:%M") < closes)


def _matches(conditions: dict, facts: Facts) -> bool:
    message, triage = facts.message, facts.triage
    conversation = message.conversation
    c = conditions
    if c.get("networks") and conversation.channel.network not in c["networks"]:
        return False
    if c.get("channels") and message.channel_id not in c["channels"]:
        return False
    if c.get("kinds") and conversation.kind not in c["kinds"]:
        return False
    if c.get("languages") and triage.language not in c["languages"]:
        return False
    if c.get("intents") and triage.intent not in c["intents"]:
        return False
    if c.get("sentiment_above") is not None and not triage.sentiment > float(c["sentiment_above"]):
        return False
    if c.get("sentiment_below") is not None and not triage.sentiment < float(c["sentiment_below"]):
        return False
    if c.get("keywords"):
        text = fold(message.text)
        if not any(fold(k) in text for k in c["keywords"] if k.strip()):
            return False
    pattern = c.get("regex")
    if pattern and not _pattern_matches(pattern, message.text):
        return False
    if c.get("first_time_author") and not facts.first_time_author:
        return False
    return not (c.get("outside_business_hours") and not facts.outside_business_hours)


def _resolve(action: dict, rule: Rule, facts: Facts, state: State, members: set[int]) -> dict | None:
    """The concrete step an action takes for this message, or None when it has nothing to do."""
    kind = action.get("type")
    if kind == "add_label":
        return {"type": kind, "label": " ".join(str(action["label"]).split())[:50]}
    if kind == "assign":
        return {"type": kind, "user": action["user"]} if action["user"] in members else None
    if kind == "round_robin":
        users = [u for u in action.get("users", []) if u in members]
        if not users:
            return None
        turn = state.cursors.get(rule.pk, rule.round_robin_cursor)
        state.cursors[rule.pk] = turn + 1
        return {"type": "assign", "user": users[turn % len(users)], "round_robin": True}
    if kind == "set_priority":
        return {"type": kind, "priority": int(action["priority"])}
    if kind == "mark_spam":
        return {"type": kind}
    if kind == "suggest_faq":
        best = autoreply.best_faq(facts.message, facts.triage)
        if best is None or best[1] < SUGGEST_MIN_CONFIDENCE:
            return None
        return {"type": kind, "faq_entry": best[0].pk, "confidence": round(best[1], 4)}
    if kind == "auto_reply":
        return autoreply.decide(rule=rule, message=facts.message, triage=facts.triage, state=state)
    return None


def plan(rules: list[Rule], facts: Facts, state: State) -> list[Planned]:
    """What the rules would do to one message, in order, reading only."""
    members = set(
        Membership.objects.filter(workspace_id=facts.message.workspace_id, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    out = []
    for rule in rules:
        if not _matches(rule.conditions or {}, facts):
            continue
        steps = [s for a in rule.actions or [] if (s := _resolve(a, rule, facts, state, members))]
        out.append(Planned(rule, steps))
        if rule.stop_here:
            break
    return out


def _facts(message: Message, triage: MessageTriage, policy: InboxPolicy | None, tz_name: str) -> Facts:
    earlier = Message.objects.filter(
        workspace_id=message.workspace_id,
        author_contact_id=message.author_contact_id,
        direction=Message.Direction.IN,
        created_at__lt=message.created_at,
    ).exists()
    return Facts(
        message=message,
        triage=triage,
        first_time_author=bool(message.author_contact_id) and not earlier,
        outside_business_hours=outside_business_hours(
            message.created_at, policy.business_hours if policy else None, tz_name
        ),
    )


def _active_rules(workspace_id: int) -> list[Rule]:
    return list(Rule.objects.filter(workspace_id=workspace_id, active=True).order_by("position", "pk"))


# --- Doing ----------------------------------------------------------------------------------------------


def _apply(step: dict, planned: Planned, message: Message, triage: MessageTriage, now: dt.datetime) -> dict:
    conversation_id = message.conversation_id
    kind = step["type"]
    if kind == "add_label":
        label = Label.objects.filter(workspace_id=message.workspace_id, name__iexact=step["label"]).first()
        if label is None:
            label, _created = Label.objects.get_or_create(
                workspace_id=message.workspace_id, name=step["label"]
            )
        Conversation.labels.through.objects.get_or_create(conversation_id=conversation_id, label=label)
    elif kind == "assign":
        Conversation.objects.filter(pk=conversation_id).update(assignee_id=step["user"], updated_at=now)
        if step.get("round_robin"):
            Rule.objects.filter(pk=planned.rule.pk).update(round_robin_cursor=F("round_robin_cursor") + 1)
    elif kind == "set_priority":
        Conversation.objects.filter(pk=conversation_id).update(priority=step["priority"], updated_at=now)
    elif kind == "mark_spam":
        Conversation.objects.filter(pk=conversation_id, status=Conversation.Status.OPEN).update(
            status=Conversation.Status.SPAM, updated_at=now
        )
    elif kind == "suggest_faq":
        if not Suggestion.objects.filter(message=message, faq_entry_id=step["faq_entry"]).exists():
            entry = selectors.faq_index_for(message.workspace_id)[1].get(step["faq_entry"])
            if entry is not None:
                rank = Suggestion.objects.filter(message=message).count() + 1
                Suggestion.objects.create(
                    message=message,
                    kind=Suggestion.Kind.FAQ,
                    faq_entry=entry,
                    text=entry.answer,
                    rank=rank,
                    confidence=step["confidence"],
                    language=entry.language,
                )
    elif kind == "auto_reply":
        return autoreply.carry_out(step, rule=planned.rule, message=message)
    Conversation.objects.filter(pk=conversation_id).update(updated_at=now)
    return step


def rules_run(triages: list[MessageTriage]) -> int:
    """Run each workspace's active rules on freshly triaged messages; returns how many rules applied.

    One message at a time, each in its own transaction: one broken message does not stop the others, and
    the execution row (unique per rule and message) makes a rerun apply nothing twice."""
    applied = 0
    by_workspace: dict[int, list[MessageTriage]] = {}
    for t in triages:
        by_workspace.setdefault(t.message.workspace_id, []).append(t)
    for workspace_id, items in by_workspace.items():
        try:
            autoreply.hand_back([t.message for t in items])
        except Exception:
            log.exception("auto-reply hand-back failed", extra={"workspace": workspace_id})
        rules = _active_rules(workspace_id)
        if not rules:
            continue
        workspace = Workspace.objects.get(pk=workspace_id)
        policy = InboxPolicy.objects.filter(workspace_id=workspace_id).first()
        for t in sorted(items, key=lambda t: (t.message.created_at, t.message.pk)):
            try:
                applied += _run_one(rules, t, policy, workspace.timezone)
            except Exception:
                log.exception("rules failed", extra={"message": t.message_id})
    return applied


def _run_one(rules: list[Rule], triage: MessageTriage, policy: InboxPolicy | None, tz_name: str) -> int:
    message = Message.objects.select_related("conversation__channel").get(pk=triage.message_id)
    for rule in rules:
        rule.refresh_from_db(fields=["round_robin_cursor"])
    plans = plan(rules, _facts(message, triage, policy, tz_name), State())
    now = timezone.now()
    count = 0
    for planned in plans:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    execution = RuleExecution.objects.create(
                        rule=planned.rule, message=message, actions=[], created_at=now
                    )
            except IntegrityError:
                continue  # this rule already ran on this message
            done = [_apply(step, planned, message, triage, now) for step in planned.actions]
            execution.actions = done
            execution.save(update_fields=["actions"])
            count += 1
    return count


# --- Dry run --------------------------------------------------------------------------------------------


@dataclass
class DryRunRow:
    message: Message
    triage: MessageTriage
    rules: list[Planned]


def rules_dry_run(
    *, workspace: Workspace, rules: list[Rule] | None = None, since: dt.datetime | None = None
) -> list[DryRunRow]:
    """What the rules (the active ones by default) would have done to the inbound messages of the last
    days, oldest first, with their stored triage. Writes nothing."""
    rules = _active_rules(workspace.pk) if rules is None else rules
    since = since or timezone.now() - DRY_RUN_WINDOW
    triages = list(
        MessageTriage.objects.filter(
            message__workspace=workspace,
            message__direction=Message.Direction.IN,
            message__created_at__gte=since,
        )
        .select_related("message__conversation__channel")
        .order_by("message__created_at", "message__pk")[:DRY_RUN_LIMIT]
    )
    policy = InboxPolicy.objects.filter(workspace=workspace).first()
    state = State()
    rows = []
    for t in triages:
        planned = plan(rules, _facts(t.message, t, policy, workspace.timezone), state)
        rows.append(DryRunRow(t.message, t, planned))
    return rows


# --- Upkeep ---------------------------------------------------------------------------------------------


def rule_save(
    *,
    workspace: Workspace,
    by: Membership,
    name: str,
    conditions: dict,
    actions: list[dict],
    stop_here: bool = False,
    active: bool = True,
    rule: Rule | None = None,
) -> Rule:
    if by.workspace_id != workspace.pk or not can(by, Perm.MANAGE_RULES):
        raise RuleError(_("Your role in this workspace does not allow this."))
    if rule is not None and rule.workspace_id != workspace.pk:
        raise RuleError(_("This belongs to another workspace."))
    validate(conditions, actions, workspace)
    now = timezone.now()
    before = _rule_state(rule) if rule is not None else None
    if rule is None:
        last = (
            Rule.objects.filter(workspace=workspace).order_by("-position").values_list("position", flat=True)
        )
        rule = Rule(workspace=workspace, created_by=by.user, position=(last.first() or 0) + 1, created_at=now)
    rule.name, rule.conditions, rule.actions = name.strip()[:120], conditions, actions
    rule.stop_here, rule.active, rule.updated_at = stop_here, active, now
    with transaction.atomic():
        rule.save()
        audit_record(
            workspace=workspace,
            action=AuditAction.RULE_CREATED if before is None else AuditAction.RULE_CHANGED,
            target=rule,
            actor=by,
            before=before,
            after=_rule_state(rule),
            only_changes=before is not None,
        )
    return rule


def _rule_state(rule: Rule) -> dict:
    """What the audit log keeps of a rule, before and after a change."""
    return {
        "name": rule.name,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "stop_here": rule.stop_here,
        "active": rule.active,
    }


@transaction.atomic
def rule_move(*, rule: Rule, by: Membership, up: bool) -> None:
    """Swap a rule with its neighbour; positions are renumbered 1..n so ties never confuse the order."""
    if by.workspace_id != rule.workspace_id or not can(by, Perm.MANAGE_RULES):
        raise RuleError(_("Your role in this workspace does not allow this."))
    ordered = list(
        Rule.objects.select_for_update().filter(workspace_id=rule.workspace_id).order_by("position", "pk")
    )
    i = next(n for n, r in enumerate(ordered) if r.pk == rule.pk)
    j = i - 1 if up else i + 1
    if 0 <= j < len(ordered):
        ordered[i], ordered[j] = ordered[j], ordered[i]
    for position, r in enumerate(ordered, start=1):
        if r.position != position:
            Rule.objects.filter(pk=r.pk).update(position=position)


def rule_set_active(*, rule: Rule, by: Membership, active: bool) -> Rule:
    if by.workspace_id != rule.workspace_id or not can(by, Perm.MANAGE_RULES):
        raise RuleError(_("Your role in this workspace does not allow this."))
    before = rule.active
    rule.active, rule.updated_at = active, timezone.now()
    with transaction.atomic():
        rule.save(update_fields=["active", "updated_at"])
        audit_record(
            workspace=rule.workspace_id,
            action=AuditAction.RULE_CHANGED,
            target=rule,
            actor=by,
            before={"active": before},
            after={"active": active},
        )
    return rule


def get_rule_for_member(member: Membership, pk: int) -> Rule:
    return get_object_or_404(Rule, pk=pk, workspace_id=member.workspace_id)


def executions_for(workspace: Workspace, limit: int = 200) -> list[RuleExecution]:
    return list(
        RuleExecution.objects.filter(rule__workspace=workspace)
        .select_related("rule", "message__conversation")
        .order_by("-created_at", "-pk")[:limit]
    )
