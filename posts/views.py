"""Publishing pages: the post list, the composer (with live per-network previews), the post page (targets,
reviews, scheduling, history), the calendar and the review queue.

Views are thin: reads in `posts.selectors`, writes in `posts.services`. Every action is a plain form POST
that redirects back, so the pages work without JavaScript; HTMX only refreshes the composer's previews.
"""

from __future__ import annotations

import calendar as cal
import contextlib
import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import WorkspaceRequest, workspace_view
from accounts.models import Membership
from accounts.policy import Perm, can
from core import dates
from core.errors import UserError, flash_user_errors, user_errors_on
from networks import registry
from networks.models import Channel
from posts import media as media_lib
from posts import selectors, services, states
from posts.forms import ComposeForm, ListFilters
from posts.models import MediaAsset, Post, PostEvent, PostMedia, PostTarget, Review
from posts.services import PostError

P = Post.Status
T = PostTarget.Status

PAGE_SIZE = 50
# Statuses the calendar shows: posts that have a time of their own.
CALENDAR_STATUSES = [P.SCHEDULED, P.PUBLISHING, P.PUBLISHED, P.PARTIALLY_PUBLISHED, P.FAILED]
SUBMITTABLE = frozenset({P.DRAFT, P.CHANGES_REQUESTED})
CANCELLABLE = frozenset(s for s, nexts in states.POST_TRANSITIONS.items() if P.CANCELLED in nexts)
# Posts the calendar lets one drag to another day: only those not yet handed to the workers.
MOVABLE = frozenset({P.SCHEDULED})
# What the calendar's address may carry back after a move (nothing else is echoed into the redirect).
CALENDAR_PARAMS = ("view", "date", "status", "channel")


def _member(request: WorkspaceRequest) -> Membership:
    return request.membership


def _tz(member: Membership) -> zoneinfo.ZoneInfo:
    """The zone this person reads and types the workspace's times in: their own, else the workspace's
    (`dates.zone_for`, activated for the request by `workspace_view`)."""
    return timezone.get_current_timezone()


def _detail(member: Membership, post: Post | int) -> HttpResponse:
    pk = post.pk if isinstance(post, Post) else post
    return redirect("post_detail", slug=member.workspace.slug, pk=pk)


# --- List --------------------------------------------------------------------------------------------------


def _with_targets(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.select_related("author").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("channel").order_by("pk"))
    )


@workspace_view()
@require_GET
def post_list(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    filters = ListFilters(request.GET, member=member)
    filters.is_valid()
    posts = Post.objects.filter(workspace_id=member.workspace_id)
    if status := filters.cleaned_data.get("status"):
        posts = posts.filter(status=status)
    if author := filters.cleaned_data.get("author"):
        posts = posts.filter(author_id=author)
    if channel := filters.cleaned_data.get("channel"):
        posts = posts.filter(targets__channel_id=channel)
    posts = _with_targets(posts.order_by("-updated_at", "-pk"))
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "posts/list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "can_draft": can(member, Perm.DRAFT_POSTS),
        },
    )


# --- Composer ----------------------------------------------------------------------------------------------


@dataclass
class ImagePreview:
    asset: MediaAsset
    width: int
    height: int
    cropped: bool
    padded: bool


@dataclass
class NetworkPreview:
    channel: Channel
    text: str
    length: int
    limit: int
    weighted: bool
    over: bool
    images: list[ImagePreview] = field(default_factory=list)
    counting: str = ""  # how the network counts, in words, when weighted


def _overrides(data: QueryDict, channels: list[Channel]) -> dict[int, str]:
    return {c.pk: data.get(f"override-{c.pk}", "").strip() for c in channels}


def _previews(
    channels: list[Channel], text: str, overrides: dict[int, str], assets: list[MediaAsset]
) -> list[NetworkPreview]:
    previews = []
    for channel in channels:
        words = overrides.get(channel.pk) or text
        rules = registry.provider_class(channel.network)
        limit, length = registry.text_limit(channel), rules.text_length(words)
        preview = NetworkPreview(
            channel,
            words,
            length,
            limit.max_length,
            weighted=limit.weighted,
            over=length > limit.max_length,
            counting=registry.counting_words(channel),
        )
        for asset in assets:
            if asset.width and asset.height:
                box = media_lib.preview_box(asset.width, asset.height, channel.network)
                preview.images.append(ImagePreview(asset, *box.size, cropped=box.cropped, padded=box.padded))
        previews.append(preview)
    return previews


def _kept_assets(member: Membership, data: QueryDict) -> list[MediaAsset]:
    ids = [int(v) for v in data.getlist("media") if v.isdigit()]
    found = {a.pk: a for a in MediaAsset.objects.filter(workspace_id=member.workspace_id, pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def _compose_context(
    member: Membership, form: ComposeForm, post: Post | None, overrides: dict[int, str], assets: list
) -> dict:
    channels = list(form.fields["channels"].queryset)
    if form.is_bound:
        chosen = {int(v) for v in form.data.getlist("channels") if v.isdigit()}
        text = form.data.get("text", "")
    else:
        chosen = set(form.initial.get("channels", []))
        text = form.initial.get("text", "")
    selected = [c for c in channels if c.pk in chosen]
    return {
        "form": form,
        "post": post,
        "channel_rows": [(c, c.pk in chosen, overrides.get(c.pk, "")) for c in channels],
        "channels_without_posts": selectors.channels_without_posts(member),
        "assets": assets,
        "previews": _previews(selected, text, overrides, assets),
    }


def _save(request: WorkspaceRequest, form: ComposeForm, post: Post | None) -> Post | None:
    """Create or update the post from a valid form; None (with the reason in `form`) when refused."""
    member = _member(request)
    channels = list(form.cleaned_data["channels"])
    assets = _kept_assets(member, request.POST)
    if upload := form.cleaned_data.get("upload"):
        try:
            assets.append(
                services.media_upload(
                    member=member,
                    name=upload.name,
                    data=upload.read(),
                    alt_text=form.cleaned_data["alt_text"],
                )
            )
        except media_lib.MediaRejected as exc:
            form.add_error("upload", exc.render(_))
            return None
    fields = {k: form.cleaned_data[k] for k in ("title", "text", "campaign")}
    overrides = _overrides(request.POST, channels)
    with user_errors_on(form):
        if post is None:
            return services.post_create(
                author=member, channels=channels, overrides=overrides, media=assets, **fields
            )
        return services.post_update(
            post=post, by=member, channels=channels, overrides=overrides, media=assets, **fields
        )
    return None


def _compose(request: WorkspaceRequest, post: Post | None) -> HttpResponse:
    member = _member(request)
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, member=member)
        if form.is_valid():
            saved = _save(request, form, post)
            if saved is not None:
                if request.POST.get("action") == "submit":
                    return _submit(request, saved)
                messages.success(request, _("Draft saved."))
                return _detail(member, saved)
        overrides = _overrides(request.POST, list(form.fields["channels"].queryset))
        assets = _kept_assets(member, request.POST)
    elif post is None:
        form, overrides, assets = ComposeForm(member=member), {}, []
    else:
        targets = list(post.targets.all())
        form = ComposeForm(
            member=member,
            initial={
                "title": post.title,
                "text": post.text,
                "campaign": post.campaign,
                "channels": [t.channel_id for t in targets],
            },
        )
        overrides = {t.channel_id: t.text_override for t in targets}
        assets = [item.asset for item in PostMedia.objects.filter(post=post).select_related("asset")]
    return render(request, "posts/compose.html", _compose_context(member, form, post, overrides, assets))


@workspace_view(Perm.DRAFT_POSTS)
@require_http_methods(["GET", "POST"])
def post_new(request: WorkspaceRequest) -> HttpResponse:
    return _compose(request, None)


@workspace_view(Perm.DRAFT_POSTS)
@require_http_methods(["GET", "POST"])
def post_edit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_member(_member(request), pk)
    if post.status not in states.EDITABLE:
        messages.error(request, _("This post can no longer be edited."))
        return _detail(_member(request), post)
    return _compose(request, post)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_preview(request: WorkspaceRequest) -> HttpResponse:
    """The composer's previews for the form as typed (HTMX)."""
    member = _member(request)
    form = ComposeForm(request.POST, member=member)
    channels = list(form.fields["channels"].queryset)
    context = _compose_context(
        member, form, None, _overrides(request.POST, channels), _kept_assets(member, request.POST)
    )
    return render(request, "posts/compose.html#previews", context)


# --- Post page and its actions -----------------------------------------------------------------------------


def _history(post: Post) -> list[PostEvent]:
    """The post's events; a (re)schedule carries the instant it named, shown in the workspace's zone."""
    events = list(PostEvent.objects.filter(post=post).select_related("actor", "target__channel"))
    for event in events:
        event.due = None
        if event.action in ("scheduled", "rescheduled"):
            with contextlib.suppress(ValueError):  # a detail written by hand in the admin
                event.due = dt.datetime.fromisoformat(event.detail)
    return events


def _detail_context(request: WorkspaceRequest, post: Post, **extra) -> dict:
    member = _member(request)
    local = timezone.localtime(post.scheduled_at, _tz(member)) if post.scheduled_at else None
    own = post.author_id == request.user.pk
    return {
        "post": post,
        "targets": post.targets.select_related("channel").order_by("pk"),
        "reviews": Review.objects.filter(post=post).select_related("reviewer").order_by("created_at", "pk"),
        "events": _history(post),
        "assets": [item.asset for item in PostMedia.objects.filter(post=post).select_related("asset")],
        "can_draft": can(member, Perm.DRAFT_POSTS),
        "can_edit": can(member, Perm.DRAFT_POSTS) and post.status in states.EDITABLE,
        "can_submit": can(member, Perm.DRAFT_POSTS) and post.status in SUBMITTABLE,
        "can_review": can(member, Perm.APPROVE_POSTS) and post.status == P.IN_REVIEW and not own,
        "can_schedule": can(member, Perm.DRAFT_POSTS) and post.status in (P.APPROVED, P.SCHEDULED),
        "can_cancel": can(member, Perm.DRAFT_POSTS) and post.status in CANCELLABLE,
        "own_in_review": own and post.status == P.IN_REVIEW,
        "local_date": local.date().isoformat() if local else "",
        "local_time": local.strftime("%H:%M") if local else "",
        "workspace_timezone": _tz(member).key,
        **extra,
    }


@workspace_view()
@require_GET
def post_detail(request: WorkspaceRequest, pk: int) -> HttpResponse:
    post = selectors.get_post_for_member(_member(request), pk)
    return render(request, "posts/detail.html", _detail_context(request, post))


def _submit(request: WorkspaceRequest, post: Post) -> HttpResponse:
    try:
        services.post_submit(post=post, by=_member(request))
    except PostError as exc:
        messages.error(request, _("Not submitted: fix what each network would refuse."))
        context = _detail_context(request, post, problems=exc.problems or {"": [str(exc)]})
        return render(request, "posts/detail.html", context, status=400)
    except UserError as exc:  # not submittable in its state
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Sent for review."))
    return _detail(_member(request), post)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_submit(request: WorkspaceRequest, pk: int) -> HttpResponse:
    return _submit(request, selectors.get_post_for_member(_member(request), pk))


@workspace_view(Perm.APPROVE_POSTS)
@require_POST
def post_review(request: WorkspaceRequest, pk: int) -> HttpResponse:
    member = _member(request)
    post = selectors.get_post_for_member(member, pk)
    comment = request.POST.get("comment", "").strip()
    with flash_user_errors(request):
        if request.POST.get("decision") == Review.Decision.APPROVE:
            services.review_approve(post=post, by=member, comment=comment)
            messages.success(request, _("Approved."))
        else:
            services.review_request_changes(post=post, by=member, comment=comment)
            messages.success(request, _("Changes requested."))
    return _detail(member, post)


def _local_datetime(request: HttpRequest) -> dt.datetime | None:
    day = dates.parse_date(request.POST.get("date"))
    try:
        time = dt.time.fromisoformat(request.POST.get("time", ""))
    except ValueError:
        return None
    return None if day is None else dt.datetime.combine(day, time)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_schedule(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Schedule an approved post, or move a scheduled one, at a wall-clock time in the zone the person
    reads times in (their own, else the workspace's)."""
    member = _member(request)
    post = selectors.get_post_for_member(member, pk)
    local = _local_datetime(request)
    if local is None:
        messages.error(request, _("Give a date and a time."))
        return _detail(member, post)
    when = services.scheduled_at_from_local(workspace_timezone=_tz(member).key, local=local)
    with flash_user_errors(request):
        if post.status == P.SCHEDULED:
            services.post_reschedule(post=post, by=member, scheduled_at=when)
            messages.success(request, _("Rescheduled."))
        else:
            services.post_schedule(post=post, by=member, scheduled_at=when)
            messages.success(request, _("Scheduled."))
    return _detail(member, post)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_cancel(request: WorkspaceRequest, pk: int) -> HttpResponse:
    member = _member(request)
    post = selectors.get_post_for_member(member, pk)
    with flash_user_errors(request):
        services.post_cancel(post=post, by=member)
        messages.success(request, _("Cancelled."))
    return _detail(member, post)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_duplicate(request: WorkspaceRequest, pk: int) -> HttpResponse:
    member = _member(request)
    post = selectors.get_post_for_member(member, pk)
    with flash_user_errors(request):
        copy = services.post_duplicate(post=post, by=member)
        messages.success(request, _("Copied into a new draft."))
        return redirect("post_edit", slug=member.workspace.slug, pk=copy.pk)
    return _detail(member, post)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def target_retry(request: WorkspaceRequest, pk: int) -> HttpResponse:
    member = _member(request)
    target = selectors.get_target_for_member(member, pk)
    with flash_user_errors(request):
        services.target_retry(target=target, by=member)
        messages.success(request, _("It will be published again shortly."))
    return _detail(member, target.post_id)


# --- Calendar ----------------------------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_period: bool
    posts: list[Post] = field(default_factory=list)


def _period(view: str, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """First and last+1 day shown, and the anchors of the previous and next periods."""
    if view == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        return start, start + dt.timedelta(days=7), start - dt.timedelta(days=7), start + dt.timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    start = first - dt.timedelta(days=first.weekday())
    end = last + dt.timedelta(days=7 - last.weekday())
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return start, end, previous, last + dt.timedelta(days=1)


@workspace_view()
@require_GET
def posts_calendar(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    zone = _tz(member)
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = dates.parse_date(request.GET.get("date"))
    filters = ListFilters(request.GET, member=member)
    filters.is_valid()
    ignored = [str(filters.fields[name].label) for name in filters.errors if name in filters.fields]
    if anchor is None:
        if request.GET.get("date"):
            ignored.insert(0, _("Date"))
        anchor = timezone.localtime(timezone.now(), zone).date()
    start, end, previous, following = _period(view, anchor)

    def instant(day: dt.date) -> dt.datetime:
        return services.scheduled_at_from_local(
            workspace_timezone=_tz(member).key, local=dt.datetime.combine(day, dt.time())
        )

    posts = selectors.posts_in_range(member, instant(start), instant(end))
    status = filters.cleaned_data.get("status")
    posts = (
        posts.filter(status=status)
        if status in CALENDAR_STATUSES
        else posts.filter(status__in=CALENDAR_STATUSES)
    )
    if channel := filters.cleaned_data.get("channel"):
        posts = posts.filter(targets__channel_id=channel).distinct()
    days = (start + dt.timedelta(days=n) for n in range((end - start).days))
    grid = {day: Day(day, view == "week" or day.month == anchor.month) for day in days}
    for post in posts:
        # The Move form's time field wants HH:MM, whatever the language's own format.
        local = timezone.localtime(post.scheduled_at, zone)
        post.local_time = local.strftime("%H:%M")
        day = grid.get(local.date())
        if day is not None:
            day.posts.append(post)
    cells = list(grid.values())
    query = request.GET.copy()
    for key in ("date", "view"):
        query.pop(key, None)
    back = QueryDict(mutable=True)
    back.update({"view": view, "date": anchor.isoformat()})
    for key in ("status", "channel"):
        if value := request.GET.get(key):
            back[key] = value
    return render(
        request,
        "posts/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
            "nothing": not any(day.posts for day in cells if day.in_period),
            "weekdays": [cells[i].date for i in range(7)],
            "previous": previous,
            "following": following,
            "today": timezone.localtime(timezone.now(), zone).date(),
            "filters": filters,
            "ignored_filters": ignored,
            "query": query.urlencode(),
            "calendar_statuses": [(s, P(s).label) for s in CALENDAR_STATUSES],
            "workspace_timezone": _tz(member).key,
            "can_move": can(member, Perm.DRAFT_POSTS),
            "movable": MOVABLE,
            "back": back.urlencode(),
        },
    )


def _back_to_calendar(member: Membership, back: str, day: dt.date | None) -> HttpResponse:
    """The calendar the move was made from (view, period and filters kept), else the new day's month."""
    given = QueryDict(back)
    query = QueryDict(mutable=True)
    for key in CALENDAR_PARAMS:
        if value := given.get(key):
            query[key] = value[:40]
    if "date" not in query and day is not None:
        query["date"] = day.isoformat()
    url = reverse("posts_calendar", args=[member.workspace.slug])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@workspace_view(Perm.DRAFT_POSTS)
@require_POST
def post_move(request: WorkspaceRequest, pk: int) -> HttpResponse:
    """Move a scheduled post to another day (the calendar's drag and drop, or its Move form). The local
    time of day is kept unless a time is given; the approval is kept, as the words and media do not change."""
    member = _member(request)
    post = selectors.get_post_for_member(member, pk)
    back = request.POST.get("back", "")
    day = dates.parse_date(request.POST.get("date"))
    if day is None:
        messages.error(request, _("Give the day to move it to."))
        return _back_to_calendar(member, back, None)
    if post.status not in MOVABLE or post.scheduled_at is None:
        messages.error(
            request,
            _("Only a scheduled post can be moved; this one is “%(status)s”.")
            % {"status": post.get_status_display()},
        )
        return _back_to_calendar(member, back, day)
    zone = _tz(member)
    time = timezone.localtime(post.scheduled_at, zone).time()
    if request.POST.get("time"):
        try:
            time = dt.time.fromisoformat(request.POST["time"])
        except ValueError:
            messages.error(request, _("Give a time like 09:30."))
            return _back_to_calendar(member, back, day)
    when = services.scheduled_at_from_local(
        workspace_timezone=_tz(member).key, local=dt.datetime.combine(day, time)
    )
    with flash_user_errors(request):
        services.post_reschedule(post=post, by=member, scheduled_at=when)
        local = timezone.localtime(when, zone)
        messages.success(
            request,
            _("“%(post)s” moved to %(day)s at %(time)s.")
            % {
                "post": str(post),
                "day": dates.format_instant(local.date(), "date"),
                "time": dates.format_instant(local, "time"),
            },
        )
    return _back_to_calendar(member, back, day)


# --- Review queue ------------------------------------------------------------------------------------------


@workspace_view(Perm.APPROVE_POSTS)
@require_GET
def review_queue(request: WorkspaceRequest) -> HttpResponse:
    member = _member(request)
    posts = selectors.posts_awaiting_review(member).prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related("channel").order_by("pk"))
    )
    return render(request, "posts/review.html", {"posts": posts})
