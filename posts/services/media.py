"""Uploaded images and the renditions each network gets."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core.signed_media import signed_media_url
from networks.providers import base as p
from posts import media as media_lib
from posts.models import (
    MediaAsset,
    Post,
    PostMedia,
    Rendition,
)

from .common import PostError

SIGNED_URL_SECONDS = 3600


def media_upload(*, member: Membership, name: str, data: bytes, alt_text: str = "") -> MediaAsset:
    """Store an image once checked (media.inspect_upload); MediaRejected says what is wrong with it."""
    if not can(member, Perm.DRAFT_POSTS):
        raise PostError(_("Your role in this workspace does not allow this."))
    info = media_lib.inspect_upload(data, max_bytes=settings.POST_MEDIA_MAX_BYTES)
    asset = MediaAsset(
        workspace_id=member.workspace_id,
        alt_text=alt_text[:1000],
        format=info.format,
        mime=info.mime,
        width=info.width,
        height=info.height,
        frames=info.frames,
        has_alpha=info.has_alpha,
        uploaded_by=member.user,
    )
    extension = {"JPEG": "jpg"}.get(info.format, info.format.lower() or "bin")
    asset.upload.save(f"{name.rsplit('.', 1)[0][:80] or 'image'}.{extension}", ContentFile(data), save=False)
    asset.save()
    return asset


def rendition_for(asset: MediaAsset, network: str, fit: str = Rendition.Fit.CROP) -> Rendition:
    """The stored rendition of `asset` for `network`, made once (media.make_rendition) and reused."""
    found = Rendition.objects.filter(asset=asset, network=network, fit=fit).first()
    if found is not None:
        return found
    with asset.upload.open("rb") as handle:
        data = handle.read()
    made = media_lib.make_rendition(data, network=network, fit=fit)
    rendition = Rendition(
        asset=asset, network=network, fit=fit, width=made.width, height=made.height, mime=made.mime
    )
    extension = "png" if made.format == "PNG" else "gif" if made.format == "GIF" else "jpg"
    rendition.file.save(f"{asset.pk}-{network}-{fit}.{extension}", ContentFile(made.content), save=False)
    try:
        with transaction.atomic():
            rendition.save()
    except Exception:  # two workers made it at once: keep theirs
        default_storage.delete(rendition.file.name)
        return Rendition.objects.get(asset=asset, network=network, fit=fit)
    return rendition


def _media_files(post: Post, network: str, *, public: bool) -> list[p.MediaFile]:
    files = []
    for item in PostMedia.objects.filter(post=post).select_related("asset").order_by("position", "pk"):
        rendition = rendition_for(item.asset, network, item.fit)
        with rendition.file.open("rb") as handle:
            content = handle.read()
        url = signed_media_url(rendition.file.name, max_age=SIGNED_URL_SECONDS) if public else ""
        files.append(p.MediaFile(content, rendition.mime, public_url=url, alt_text=item.asset.alt_text))
    return files
