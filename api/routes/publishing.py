"""Posts (drafts for several channels, with media; submitted for review like the composer's, never past
approvals), channels (their health) and reports (the figures of the report pages)."""

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field, StringConstraints

from accounts.policy import Perm, can
from api.auth import ApiRequest, scoped
from api.problems import forbidden, invalid, refused
from api.schemas import ERRORS, ChannelRef, StrictIn, absolute, channel_ref
from core.uploads import read_upload
from networks.models import Channel
from posts.media import MediaRejected
from posts.models import MediaAsset, Post
from posts.selectors import get_post_for_member
from posts.services.common import PostError
from posts.services.compose import post_create, post_submit
from posts.services.media import media_upload
from reports import selectors
from reports.framework import report_filter_parse
from reports.selectors import first_response_summary

router = Router()


# --- Media and posts ----------------------------------------------------------------------------------


class MediaOut(Schema):
    id: int
    width: int
    height: int
    format: str
    alt_text: str


@router.post("/media", response={201: MediaOut}, tags=["posts"], summary="Upload an image for a post")
@scoped("posts:write")
def upload_media(request: ApiRequest, file: File[UploadedFile], alt_text: Form[str] = "") -> Status:
    """Multipart `file` (JPEG, PNG, GIF or WebP), checked as the composer checks it."""
    try:
        data = read_upload(file, max_bytes=settings.POST_MEDIA_MAX_BYTES)
        asset = media_upload(member=request.member, name=file.name or "image", data=data, alt_text=alt_text)
    except DjangoValidationError as exc:
        raise invalid([{"loc": ["body", "file"], "msg": " ".join(exc.messages)}]) from exc
    except MediaRejected as exc:
        raise invalid([{"loc": ["body", "file"], "msg": exc.render(_)}]) from exc
    return Status(
        201,
        MediaOut(
            id=asset.pk, width=asset.width, height=asset.height, format=asset.format, alt_text=asset.alt_text
        ),
    )


class PostIn(StrictIn):
    text: str = Field(..., min_length=1, max_length=65000, pattern=r"\S")
    channel_ids: list[int] = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=200)
    campaign: str = Field("", max_length=100)
    overrides: dict[int, Annotated[str, StringConstraints(max_length=65000)]] = Field(
        default_factory=dict, max_length=50, description="Per channel id, its own words."
    )
    media_ids: list[int] = Field(default_factory=list, max_length=10)
    scheduled_at: dt.datetime | None = None
    submit: bool = Field(False, description="Send it for review at once (as the composer's Submit).")


class TargetOut(Schema):
    channel: ChannelRef
    status: str
    text: str
    permalink: str
    error: str
    published_at: dt.datetime | None


class PostOut(Schema):
    id: int
    status: str
    title: str
    text: str
    campaign: str
    scheduled_at: dt.datetime | None
    approvals_required: int
    targets: list[TargetOut]
    media_ids: list[int]
    created_at: dt.datetime
    link: str


def _post_out(post: Post, slug: str) -> PostOut:
    targets = post.targets.select_related("channel").order_by("pk")
    return PostOut(
        id=post.pk,
        status=post.status,
        title=post.title,
        text=post.text,
        campaign=post.campaign,
        scheduled_at=post.scheduled_at,
        approvals_required=post.approvals_required,
        targets=[
            TargetOut(
                channel=channel_ref(t.channel),
                status=t.status,
                text=t.text_override or post.text,
                permalink=t.permalink,
                error=t.error,
                published_at=t.published_at,
            )
            for t in targets
        ],
        media_ids=list(post.post_media.order_by("position", "pk").values_list("asset_id", flat=True)),
        created_at=post.created_at,
        link=absolute(reverse("post_detail", args=[slug, post.pk])),
    )


def _post_problem(exc: PostError) -> Exception:
    errors = [
        {"loc": ["body", "channels", name], "msg": " ".join(found)} for name, found in exc.problems.items()
    ]
    return refused(exc.message, errors=errors)


@router.post("/posts", response={201: PostOut}, tags=["posts"], summary="Draft a post (and submit it)")
@scoped("posts:write")
def create_post(request: ApiRequest, body: PostIn) -> Status:
    """A draft with one target per channel. With `submit`, it goes to review as from the composer: it is
    published only once approved (and scheduled) by the people the workspace's policy names."""
    member = request.member
    channels = list(Channel.objects.filter(workspace_id=member.workspace_id, pk__in=body.channel_ids))
    missing = set(body.channel_ids) - {c.pk for c in channels}
    if missing:
        raise invalid([{"loc": ["body", "channel_ids"], "msg": f"Unknown channels: {sorted(missing)}"}])
    media = list(MediaAsset.objects.filter(workspace_id=member.workspace_id, pk__in=body.media_ids))
    if len(media) != len(set(body.media_ids)):
        raise invalid([{"loc": ["body", "media_ids"], "msg": "Unknown media."}])
    by_id = {m.pk: m for m in media}
    if not can(member, Perm.DRAFT_POSTS):
        raise forbidden(_("Your role in this workspace does not allow this."))
    try:
        # One write: a post that cannot be submitted is not left behind as a draft nobody asked for.
        with transaction.atomic():
            post = post_create(
                author=member,
                text=body.text,
                channels=channels,
                title=body.title,
                campaign=body.campaign,
                overrides=body.overrides,
                media=[by_id[pk] for pk in dict.fromkeys(body.media_ids)],
                scheduled_at=body.scheduled_at,
            )
            if body.submit:
                post = post_submit(post=post, by=member)
    except PostError as exc:
        raise _post_problem(exc) from exc
    return Status(201, _post_out(post, member.workspace.slug))


@router.get("/posts/{post_id}", response=PostOut, tags=["posts"], summary="Get a post and its targets")
@scoped("posts:read")
def get_post(request: ApiRequest, post_id: int) -> PostOut:
    post = get_post_for_member(request.member, post_id)
    return _post_out(post, request.member.workspace.slug)


@router.post("/posts/{post_id}/submit", response=PostOut, tags=["posts"], summary="Submit a draft for review")
@scoped("posts:write")
def submit_post(request: ApiRequest, post_id: int) -> PostOut:
    post = get_post_for_member(request.member, post_id)
    try:
        post = post_submit(post=post, by=request.member)
    except PostError as exc:
        raise _post_problem(exc) from exc
    return _post_out(post, request.member.workspace.slug)


# --- Channels ------------------------------------------------------------------------------------------


class ChannelOut(ChannelRef):
    handle: str
    status: str
    last_polled_at: dt.datetime | None
    next_poll_at: dt.datetime
    consecutive_failures: int
    last_error: str
    last_error_at: dt.datetime | None
    token_expires_at: dt.datetime | None


@router.get("/channels", response=list[ChannelOut], tags=["channels"], summary="Channels and their health")
@scoped("channels:read")
def list_channels(request: ApiRequest) -> list[ChannelOut]:
    channels = Channel.objects.filter(workspace_id=request.member.workspace_id).order_by("name", "pk")
    return [
        ChannelOut(
            id=c.pk,
            name=c.name,
            network=c.network,
            handle=c.handle,
            status=c.status,
            last_polled_at=c.last_polled_at,
            next_poll_at=c.next_poll_at,
            consecutive_failures=c.consecutive_failures,
            last_error=c.last_error,
            last_error_at=c.last_error_at,
            token_expires_at=c.token_expires_at,
        )
        for c in channels
    ]


# --- Reports -------------------------------------------------------------------------------------------


class ReportQuery(Schema):
    range: Literal["7d", "30d", "90d", "custom"] = Field("30d", description="With custom: start and end.")
    start: dt.date | None = None
    end: dt.date | None = None
    grouping: Literal["day", "week", "month"] = "day"
    compare: bool = Field(False, description="Also the previous period of the same length.")
    business_hours: bool = False
    channel: int | None = Field(None, ge=1)
    network: str = ""
    label: int | None = Field(None, ge=1)
    assignee: int | None = Field(None, ge=1)


class Durations(Schema):
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None


class FirstResponseReport(Schema):
    start: dt.datetime
    end: dt.datetime
    first_response: Durations
    buckets: list[int] = Field(..., description="0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+")
    within_sla_percent: float | None


class PeriodFigures(Schema):
    created: int
    received: int
    sent: int
    first_response: Durations
    reply: Durations
    resolution: Durations
    buckets: list[int] = Field(..., description="First responses in 0-1 h, 1-4 h, 4-8 h, 8-24 h, 24 h+")
    sla_met: int
    sla_missed: int
    sla_percent: float | None


class SeriesPoint(Schema):
    day: dt.date
    created: int
    received: int
    sent: int


class InboxReport(Schema):
    start: dt.datetime
    end: dt.datetime
    current: PeriodFigures
    previous: PeriodFigures | None
    series: list[SeriesPoint]
    heatmap: list[list[int]] | None = Field(
        None, description="Inbound messages, 7 rows (Monday first) of 24 hours; null for an agent's own view."
    )


class TeamRow(Schema):
    user_id: int
    name: str
    replies: int
    resolved: int
    first_response_median_seconds: float | None
    reply_median_seconds: float | None
    sla_met: int
    sla_missed: int
    approvals_given: int
    approvals_requested: int


def _report_filter(request: ApiRequest, query: ReportQuery):
    member = request.member
    data = QueryDict(mutable=True)
    for name, value in query.dict().items():
        if value is None or value == "" or value is False:
            continue
        data[name] = (
            "on" if value is True else value.isoformat() if isinstance(value, dt.date) else str(value)
        )
    zone = member.workspace.timezone or "UTC"
    # The workspace's today, as the report pages count it (no zone is active for a token's request).
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    parsed, form = report_filter_parse(data, timezone_name=zone, today=today)
    if parsed is None:
        errors = [
            {"loc": ["query", name], "msg": " ".join(str(e) for e in found)}
            for name, found in form.errors.items()
        ]
        raise invalid(errors)
    return parsed


def _own_user_id(request: ApiRequest) -> int | None:
    """Agents get the figures that name them, as on the report pages."""
    return None if can(request.member, Perm.VIEW_REPORTS) else request.member.user_id


def _durations(found) -> Durations:
    return Durations(
        count=found.count, median_seconds=found.median, p90_seconds=found.p90, mean_seconds=found.mean
    )


def _figures(summary) -> PeriodFigures:
    return PeriodFigures(
        **summary.counts,
        first_response=_durations(summary.durations["first_response"]),
        reply=_durations(summary.durations["reply"]),
        resolution=_durations(summary.durations["resolution"]),
        buckets=summary.buckets,
        sla_met=summary.sla_met,
        sla_missed=summary.sla_missed,
        sla_percent=summary.sla_percent,
    )


@router.get(
    "/reports/first-response",
    response={200: FirstResponseReport, **ERRORS},
    tags=["reports"],
    summary="First response",
)
@scoped("reports:read")
def first_response_report(request: ApiRequest, query: Query[ReportQuery]) -> FirstResponseReport:
    """The report page's first-response figures: median, p90, mean, buckets and the share within the SLA.
    Agents get their own figures, as on the page."""
    parsed = _report_filter(request, query)
    summary = first_response_summary(request.member.workspace, parsed, user_id=_own_user_id(request))
    return FirstResponseReport(
        start=parsed.start,
        end=parsed.end,
        first_response=_durations(summary["durations"]),
        buckets=summary["buckets"],
        within_sla_percent=summary["within_sla_percent"],
    )


@router.get("/reports/inbox", response={200: InboxReport, **ERRORS}, tags=["reports"], summary="Inbox report")
@scoped("reports:read")
def inbox_report(request: ApiRequest, query: Query[ReportQuery]) -> InboxReport:
    """The figures of the Inbox report page, from the same selectors (volumes, times, SLA, the series by
    day, week or month, the hour-of-week heatmap)."""
    parsed = _report_filter(request, query)
    report = selectors.inbox_report(request.member.workspace, parsed, user_id=_own_user_id(request))
    heat = report["heatmap"]
    return InboxReport(
        start=parsed.start,
        end=parsed.end,
        current=_figures(report["current"]),
        previous=_figures(report["previous"]) if report["previous"] else None,
        series=[
            SeriesPoint(day=p["day"], created=p["created"], received=p["received"], sent=p["sent"])
            for p in report["series"]
        ],
        heatmap=[[cell.count for cell in row] for row in heat] if heat is not None else None,
    )


@router.get("/reports/team", response={200: list[TeamRow], **ERRORS}, tags=["reports"], summary="Team report")
@scoped("reports:read")
def team_report(request: ApiRequest, query: Query[ReportQuery]) -> list[TeamRow]:
    parsed = _report_filter(request, query)
    rows = selectors.team_report(request.member.workspace, parsed, user_id=_own_user_id(request))
    return [
        TeamRow(
            user_id=row.user.pk,
            name=row.user.name,
            replies=row.replies,
            resolved=row.resolved,
            first_response_median_seconds=row.first_response_median,
            reply_median_seconds=row.reply_median,
            sla_met=row.sla_met,
            sla_missed=row.sla_missed,
            approvals_given=row.approvals_given,
            approvals_requested=row.approvals_requested,
        )
        for row in rows
    ]
