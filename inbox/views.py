"""Inbox pages: the conversation list (filters, search, keyset pages, live updates, bulk actions) and the
conversation page (thread, notes, contact card, triage actions, presence).

Every action is a POST that works without JavaScript (it redirects back) and, under HTMX, answers with the
partial it changed. Views are thin: reads in `inbox.selectors`, writes in `inbox.services`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.access import WorkspaceRequest, workspace_view
from accounts.models import Membership, User
from accounts.policy import Perm, can
from core import dates
from core.errors import flash_user_errors
from core.htmx import fragment_or_page, fragment_or_redirect, is_htmx
from inbox import moderation, presence, selectors, services
from inbox.forms import RATINGS, SORT_CHOICES, FilterForm
from inbox.models import Conversation, Intent
from inbox.selectors import AssigneeFilter, Cursor, InboxFilters, Sort
from networks.models import network_choices

#: The event a response fires (HX-Trigger) when counts may have moved: the sidebar badge asks again.
INBOX_CHANGED = "inbox-changed"

# --- Filters --------------------------------------------------------------------------------------------


FILTER_PARAMS = tuple(FilterForm.base_fields)


def _filter_query(params: QueryDict) -> str:
    """The list's filters as a query string, without cursors and polling state: shareable."""
    kept = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        value = params.get(name, "")
        if value:
            kept[name] = value
    return kept.urlencode()


def _cursor_param(sort: Sort) -> str:
    return "before" if sort == Sort.NEWEST else "after"


def _list_context(request: WorkspaceRequest, params: QueryDict) -> dict:
    workspace, member = request.workspace, request.membership
    channels = selectors.workspace_channels(workspace)
    labels = selectors.workspace_labels(workspace)
    members = selectors.workspace_members(workspace)
    form = FilterForm(params, channels=channels, labels=labels, members=members)
    filters = form.filters()
    cursor = Cursor.decode(params.get(_cursor_param(filters.sort), ""))
    now = timezone.now()
    page = selectors.conversation_page(
        workspace=workspace, user=request.user, filters=filters, cursor=cursor, now=now
    )
    query = _filter_query(params)
    base = reverse("inbox", args=[workspace.slug])
    next_url = ""
    if page.next_cursor:
        more = QueryDict(query, mutable=True)
        more[_cursor_param(filters.sort)] = page.next_cursor.encode()
        next_url = f"{base}?{more.urlencode()}"
    return {
        "page": page,
        "rows": page.rows,
        "form": form,
        "filter_errors": [str(form.fields[name].label) for name in form.errors if name in form.fields],
        "filters": filters,
        "paged": cursor is not None,
        "next_url": next_url,
        "filter_query": query,
        "active_filters": sum(1 for name in FILTER_PARAMS if name != "q" and params.get(name)),
        "list_url": f"{base}?{query}" if query else base,
        "since": now.isoformat(),
        "channels": channels,
        "labels": labels,
        "label_colours": selectors.label_colours(labels),
        "members": members,
        "networks": network_choices(),
        "statuses": Conversation.Status.choices,
        "priorities": Conversation.Priority.choices,
        "sorts": SORT_CHOICES,
        "intents": Intent.choices,
        "kinds": Conversation.Kind.choices,
        "ratings": [(n, ngettext("%(count)s star", "%(count)s stars", n) % {"count": n}) for n in RATINGS],
        **_view_counts_context(request, filters, now),
        "can_assign": can(member, Perm.ASSIGN),
        "can_triage": can(member, Perm.REPLY),
        "selected_ids": set(),
        "sort_descending": filters.sort == Sort.NEWEST,
    }


def _view_counts_context(request: WorkspaceRequest, filters: InboxFilters, now: dt.datetime) -> dict:
    """The quick views with what each holds that needs a person (inbox.selectors.view_counts)."""
    counts = selectors.view_counts(workspace=request.workspace, user=request.user, now=now)
    return {
        "filters": filters,
        "assignee_views": [
            (AssigneeFilter.ME, _("Mine"), counts["me"]),
            (AssigneeFilter.UNASSIGNED, _("Unassigned"), counts["unassigned"]),
            (AssigneeFilter.ANYONE, _("Everyone's"), counts["anyone"]),
        ],
        "overdue_count": counts["overdue"],
        "count_cap": selectors.BADGE_CAP,
    }


# --- The list -------------------------------------------------------------------------------------------


@workspace_view()
@require_GET
def inbox(request: WorkspaceRequest) -> HttpResponse:
    context = _list_context(request, request.GET)
    # "Load more" asks for the next page only; the filter bar asks for the whole list region.
    partial = "rows-more" if request.GET.get("more") else "list"
    return fragment_or_page(request, "inbox/list.html", partial, context)


def _parse_shown(values: list[str]) -> dict[int, str]:
    shown: dict[int, str] = {}
    for value in values[:1000]:
        pk, sep, _version = value.partition(":")
        if sep and pk.isdigit():
            shown[int(pk)] = value
    return shown


@workspace_view()
@require_GET
def inbox_updates(request: WorkspaceRequest) -> HttpResponse:
    """What changed since the page's last poll, as out-of-band swaps: changed rows in place, new rows
    added, rows that left the filter removed. The new `since` comes back in the same response."""
    workspace = request.workspace
    now = timezone.now()
    since = dates.parse_datetime(request.GET.get("since")) or now
    since = max(since, now - dt.timedelta(hours=1))  # a tab that slept all night reloads, it doesn't replay
    filters = FilterForm(request.GET).filters()
    paged = bool(request.GET.get("before") or request.GET.get("after"))
    shown = _parse_shown(request.GET.getlist("shown"))
    changes = selectors.conversation_changes(
        workspace=workspace, user=request.user, filters=filters, since=since, shown=shown, now=now
    )
    # On a later page (reached without JavaScript) new conversations belong to page one: only redraw.
    insert = [c for c in changes.upsert if c.pk not in shown and not paged]
    replace = [c for c in changes.upsert if c.pk in shown]
    selected = {int(i) for i in request.GET.getlist("ids") if i.isdigit()}
    context = {
        "insert": insert,
        "replace": replace,
        "remove": changes.remove,
        "since": changes.now.isoformat(),
        "selected_ids": selected,
        "can_triage": can(request.membership, Perm.REPLY),
        "sort_descending": filters.sort == Sort.NEWEST,
        "filter_query": _filter_query(request.GET),
    }
    changed = bool(insert or replace or changes.remove)
    if changed:  # the quick views count again (four capped counts, only when something moved)
        context.update(_view_counts_context(request, filters, now))
    response = render(request, "inbox/list.html#updates", context)
    if changed:
        response["HX-Trigger"] = INBOX_CHANGED  # and so does the sidebar badge
    return response


@workspace_view()
@require_GET
def inbox_badge(request: WorkspaceRequest) -> HttpResponse:
    count = selectors.my_queue_count(workspace=request.workspace, user=request.user)
    return render(request, "inbox/list.html#badge", {"count": count, "cap": selectors.BADGE_CAP})


def _safe_next(request: HttpRequest, fallback: str) -> str:
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


def _member_user(request: WorkspaceRequest, value: str) -> User | None:
    """The member named by a form value: "me", a user id of this workspace, or None for "nobody"."""
    if value == "me":
        return request.user
    if value.isdigit():
        member = (
            Membership.objects.select_related("user")
            .filter(workspace=request.workspace, user_id=int(value))
            .first()
        )
        if member is None:
            raise services.InboxError(_("Choose a member of this workspace."))
        return member.user
    return None


def _label_from(request: WorkspaceRequest, value: str):
    if not value.isdigit():
        raise services.InboxError(_("Choose a label."))
    return selectors.get_label_for_member(request.membership, int(value))


def _report(request: HttpRequest, result: services.BulkResult) -> None:
    messages.success(
        request,
        ngettext("%(count)s conversation updated.", "%(count)s conversations updated.", result.changed)
        % {"count": result.changed},
    )
    if result.skipped:
        messages.warning(
            request,
            ngettext(
                "%(count)s conversation was left as it was: your role cannot reassign it.",
                "%(count)s conversations were left as they were: your role cannot reassign them.",
                result.skipped,
            )
            % {"count": result.skipped},
        )


@workspace_view(Perm.REPLY)
@require_POST
def inbox_bulk(request: WorkspaceRequest) -> HttpResponse:
    """One action on the ticked conversations (or, for shortcuts, the one under the cursor)."""
    member = request.membership
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
    action = request.POST.get("action", "")
    back = _safe_next(request, reverse("inbox", args=[request.workspace.slug]))
    with flash_user_errors(request):
        if not ids:
            raise services.InboxError(_("Tick at least one conversation first."))
        if action == "resolve":
            result = services.conversations_bulk_set_status(
                ids=ids, status=Conversation.Status.RESOLVED, by=member
            )
        elif action == "status":
            result = services.conversations_bulk_set_status(
                ids=ids, status=request.POST.get("status", ""), by=member
            )
        elif action == "assign_me":
            result = services.conversations_bulk_assign(ids=ids, assignee=request.user, by=member)
        elif action == "assign":
            assignee = _member_user(request, request.POST.get("assignee", ""))
            result = services.conversations_bulk_assign(ids=ids, assignee=assignee, by=member)
        elif action in ("label", "unlabel"):
            label = _label_from(request, request.POST.get("label", ""))
            result = services.conversations_bulk_label(ids=ids, label=label, by=member, add=action == "label")
        elif action == "priority":
            priority = request.POST.get("priority", "")
            if not priority.isdigit():
                raise services.InboxError(_("Unknown priority."))
            result = services.conversations_bulk_set_priority(ids=ids, priority=int(priority), by=member)
        elif action == "read":
            result = services.conversations_bulk_mark_read(ids=ids, user=request.user, by=member)
        elif action == "unread":
            result = services.conversations_mark_unread(ids=ids, user=request.user, by=member)
        else:
            raise services.InboxError(_("Choose an action."))
        _report(request, result)
    params = QueryDict(back.partition("?")[2])
    return fragment_or_redirect(
        request, "inbox/list.html#list", lambda: _list_context(request, params), back, trigger=INBOX_CHANGED
    )


# --- One conversation -----------------------------------------------------------------------------------


def _header_context(
    request: WorkspaceRequest,
    conversation: Conversation,
    *,
    labels: list | None = None,
    members: list | None = None,
) -> dict:
    """What the header draws; the split page passes the labels and members its list already read."""
    labels = selectors.workspace_labels(request.workspace) if labels is None else labels
    member = request.membership
    if not can(member, Perm.ASSIGN):
        members = []
    elif members is None:
        members = selectors.workspace_members(request.workspace)
    return {
        "conversation": conversation,
        "conversation_labels": list(conversation.labels.all()),
        "labels": labels,
        "label_colours": selectors.label_colours(labels),
        "members": members,
        "statuses": Conversation.Status.choices,
        "priorities": Conversation.Priority.choices,
        "can_assign": can(member, Perm.ASSIGN),
        "can_triage": can(member, Perm.REPLY),
        "can_unflag": can(member, Perm.APPROVE_REPLIES),
        "may_take": services.may_assign(member, current=conversation.assignee_id, to=request.user.pk),
        "may_release": conversation.assignee_id == request.user.pk,
        "overdue": selectors.decorate([conversation], sort=Sort.NEWEST, now=timezone.now())[0].overdue,
    }


def _thread_context(request: WorkspaceRequest, conversation: Conversation) -> dict:
    # Each message's moderation state and buttons: only what the network supports and the role allows.
    thread = moderation.attach(
        selectors.thread(conversation), member=request.membership, conversation=conversation
    )
    return {
        "conversation": conversation,
        "thread": thread,
        "thread_version": selectors.thread_version(conversation, thread),
        "can_triage": can(request.membership, Perm.REPLY),
    }


PANE = "conversation-pane"  # the split inbox's conversation column, which the list's JavaScript fills


@workspace_view()
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def conversation(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """The split inbox with this conversation open (list | thread | contact), or, for the list's
    JavaScript (HX-Target: the pane), the conversation column alone."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    services.conversation_mark_read(conversation=conv, user=request.user)
    pane_only = is_htmx(request) and request.headers.get("HX-Target") == PANE
    # The list beside it keeps the filters the conversation was opened from (its query string).
    listing = {} if pane_only else _list_context(request, request.GET)
    context = {
        **listing,
        "filter_query": _filter_query(request.GET),
        **_header_context(request, conv, labels=listing.get("labels"), members=listing.get("members")),
        **_thread_context(request, conv),
        "notes": selectors.notes(conv),
        "history": selectors.contact_history(conv),
        "contact": selectors.decorate_contact(conv.contact),
        "others": presence.presence_others(conversation_id=conv.pk, user_id=request.user.pk),
        **selectors.post_context(conv),
    }
    if pane_only:
        return render(request, "inbox/conversation.html#pane", context)
    return render(request, "inbox/conversation.html", context)


@workspace_view()
@require_GET
def conversation_thread(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """The thread alone, with its new version out of band: what "show new messages" and a composer that
    just sent a reply (HX-Trigger: thread-changed) ask for."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    services.conversation_mark_read(conversation=conv, user=request.user)
    if not is_htmx(request):
        return redirect("inbox_conversation", slug=request.workspace.slug, conversation_id=conv.pk)
    return render(request, "inbox/conversation.html#thread-update", _thread_context(request, conv))


@workspace_view()
@require_POST
def conversation_presence(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """A ping from an open conversation page: records this member's state, answers who else is here and
    whether messages arrived after the thread version the page shows."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    state = request.POST.get("state", presence.State.VIEWING)
    if state == "left":
        presence.presence_leave(conversation_id=conv.pk, user_id=request.user.pk)
        return HttpResponse(status=204)
    presence.presence_ping(
        conversation_id=conv.pk, user_id=request.user.pk, name=request.user.name, state=state
    )
    version = request.POST.get("thread_version", "")
    newer = version.isdigit() and selectors.has_messages_after(conv, int(version))
    context = {
        "conversation": conv,
        "others": presence.presence_others(conversation_id=conv.pk, user_id=request.user.pk),
        "newer": newer,
        "oob": True,
    }
    return render(request, "inbox/conversation.html#presence", context)


def _after_action(request: WorkspaceRequest, conv: Conversation) -> HttpResponse:
    """After a change to the conversation: its header again (the counts may have moved), or its page."""

    def context() -> dict:
        fresh = selectors.get_conversation_for_member(request.membership, conv.pk)
        return {**_header_context(request, fresh), "more_open": request.POST.get("from_more") == "1"}

    return _conversation_answer(request, conv, "header", context, trigger=INBOX_CHANGED)


def _conversation_answer(
    request: WorkspaceRequest,
    conv: Conversation,
    partial: str,
    context: Callable[[], dict],
    trigger: str = "",
) -> HttpResponse:
    return fragment_or_redirect(
        request,
        f"inbox/conversation.html#{partial}",
        context,
        "inbox_conversation",
        slug=request.workspace.slug,
        conversation_id=conv.pk,
        trigger=trigger,
    )


@workspace_view(Perm.REPLY)
@require_POST
def conversation_assign(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)

    with flash_user_errors(request):
        assignee = _member_user(request, request.POST.get("assignee", ""))
        services.conversation_assign(conversation=conv, assignee=assignee, by=request.membership)
        if assignee is None:
            messages.success(request, _("Nobody is assigned now."))
        else:
            messages.success(request, _("Assigned to %(name)s.") % {"name": assignee.name})
    return _after_action(request, conv)


@workspace_view(Perm.REPLY)
@require_POST
def conversation_status(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    status = request.POST.get("status", "")

    with flash_user_errors(request):
        services.conversation_set_status(conversation=conv, status=status, by=request.membership)
        messages.success(request, _("Status: %(status)s.") % {"status": conv.get_status_display()})
    return _after_action(request, conv)


@workspace_view(Perm.REPLY)
@require_POST
def conversation_priority(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    value = request.POST.get("priority", "")

    with flash_user_errors(request):
        if not value.isdigit():
            raise services.InboxError(_("Unknown priority."))
        services.conversation_set_priority(conversation=conv, priority=int(value), by=request.membership)
        messages.success(request, _("Priority: %(priority)s.") % {"priority": conv.get_priority_display()})
    return _after_action(request, conv)


@workspace_view(Perm.REPLY)
@require_POST
def conversation_sensitive(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    sensitive = request.POST.get("sensitive") == "1"

    with flash_user_errors(request):
        services.conversation_set_sensitive(conversation=conv, sensitive=sensitive, by=request.membership)
        if sensitive:
            messages.success(request, _("Marked sensitive: replies need a manager's approval."))
        else:
            messages.success(request, _("No longer marked sensitive."))
    return _after_action(request, conv)


@workspace_view(Perm.REPLY)
@require_POST
def conversation_labels(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    """Add a label (picked, or typed: a new name creates it) or remove one."""
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    member = request.membership

    removed = request.POST.get("remove", "")
    name = request.POST.get("name", "").strip()
    with flash_user_errors(request):
        if removed:
            label = _label_from(request, removed)
            services.conversation_label(conversation=conv, remove=[label], by=member)
            messages.success(request, _("Label “%(name)s” removed.") % {"name": label.name})
        else:
            if name:  # typed: an existing label of that name, or a new one
                label, _created = services.label_get_or_create(name=name, by=member)
            else:  # picked from the menu
                label = _label_from(request, request.POST.get("add", ""))
            services.conversation_label(conversation=conv, add=[label], by=member)
            messages.success(request, _("Label “%(name)s” added.") % {"name": label.name})
    return _after_action(request, conv)


@workspace_view(Perm.REPLY)
@require_POST
def conversation_note(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    text = request.POST.get("text", "")
    error = ""
    try:
        note = services.note_create(conversation=conv, author=request.user, text=text, by=request.membership)
    except services.InboxError as exc:
        error = str(exc)
        messages.error(request, error)
    else:
        text = ""
        names = ", ".join(u.name for u in note.mentioned.all())
        if names:
            messages.success(request, _("Note added; %(names)s will be emailed.") % {"names": names})
        else:
            messages.success(request, _("Note added."))
    context = {"conversation": conv, "note_text": text, "note_error": error}
    return _conversation_answer(request, conv, "notes", lambda: {**context, "notes": selectors.notes(conv)})


@workspace_view(Perm.REPLY)
@require_POST
def contact_notes(request: WorkspaceRequest, conversation_id: int) -> HttpResponse:
    conv = selectors.get_conversation_for_member(request.membership, conversation_id)
    if conv.contact is not None:
        with flash_user_errors(request):
            services.contact_set_notes(
                contact=conv.contact, notes=request.POST.get("notes", ""), by=request.membership
            )
            messages.success(request, _("Contact notes saved."))
    return _conversation_answer(
        request,
        conv,
        "contact-card",
        lambda: {
            "conversation": conv,
            "contact": selectors.decorate_contact(conv.contact),
            "history": selectors.contact_history(conv),
            "can_triage": True,
        },
    )
