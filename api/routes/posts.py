"""Posts: drafts for several channels, with media, submitted for review like the composer's; never
published past approvals."""

import datetime as dt
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field, StringConstraints

from accounts.policy import Perm
from api.auth import ApiRequest, require, scoped
from api.problems import invalid, refused
from api.schemas import ChannelRef, StrictIn, absolute, channel_ref
from core.uploads import read_upload
from networks.models import Channel
from posts.media import MediaRejected
from posts.models import MediaAsset, Post
from posts.selectors import get_post_for_member
from posts.services.common import PostError
from posts.services.compose import post_create, post_submit
from posts.services.media import media_upload

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
    require(request, Perm.DRAFT_POSTS)
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
