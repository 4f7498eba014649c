"""Posts for the demo workspace, one or more in each state, so every posts page shows something real: a
draft, one in review (its reviewers notified), one sent back with a comment, one scheduled, one published
on three networks with its permalinks, and one that failed with the network's reason in plain words.

They go through the product's own services (create, submit, review, schedule, publish), so states, history,
notifications and counters are what a team would see. Only the networks' answers are recorded here: at seed
time the fakes are not running yet. Re-running replaces the demo campaign's posts (their dates follow
today); other posts are left alone. Run after seed_demo_channels, and only where CMHUB_DEMO is on.
"""

from __future__ import annotations

import datetime as dt
import io
import zlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Membership, Workspace
from core import dates
from networks.models import Channel
from networks.providers import base as p
from notifications.models import Notification
from posts import services
from posts.models import MediaAsset, Post, PostEvent, PostTarget

DEMO_WORKSPACE = "demo"
CAMPAIGN = "Hiver à la boulangerie"
AUTHOR = "agent@demo.test"
REVIEWER = "manager@demo.test"


class _Answers:
    """What each network answered when the demo's past posts went out: an id and a permalink, or a refusal
    in the network's words. Stands in for the network on the publish step only."""

    def __init__(self, channel: Channel, refusal: str = "") -> None:
        self.channel = channel
        self.refusal = refusal

    def publish(self, *, text: str, media: list, delivery_key: str = "") -> p.PublishResult:
        if self.refusal:
            raise p.Invalid(network_message=self.refusal)
        number = f"{self.channel.pk}{zlib.crc32(text.encode()):012d}"
        links = {
            "x": f"https://x.com/{self.channel.handle or 'demobakery'}/status/18{number}",
            "facebook": f"https://www.facebook.com/{self.channel.external_id}/posts/{number}",
            "instagram": f"https://www.instagram.com/p/C{number[:10]}/",
            "linkedin": f"https://www.linkedin.com/feed/update/urn:li:share:7{number}",
        }
        return p.PublishResult(external_id=number, permalink=links.get(self.channel.network, ""))


def _picture(colour: str, words: str) -> bytes:
    image = Image.new("RGB", (1200, 1200), colour)
    ImageDraw.Draw(image).text((80, 1080), words, fill="white", font_size=72)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class Command(BaseCommand):
    help = "Seed the demo workspace's posts, one or more in each state. Only where CMHUB_DEMO=1."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CMHUB_DEMO:
            raise CommandError("Refusing to seed demo posts: set CMHUB_DEMO=1 (never in production).")
        workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE).first()
        if workspace is None:
            raise CommandError(f"No workspace '{DEMO_WORKSPACE}': run `manage.py seed_demo` first.")
        channels = {c.network: c for c in Channel.objects.filter(workspace=workspace).order_by("pk")}
        if not {"facebook", "instagram", "x", "linkedin"} <= set(channels):
            raise CommandError("The demo channels are missing: run `manage.py seed_demo_channels` first.")
        author = Membership.objects.select_related("user", "workspace").get(
            workspace=workspace, user__email=AUTHOR
        )
        reviewer = Membership.objects.select_related("user", "workspace").get(
            workspace=workspace, user__email=REVIEWER
        )
        with transaction.atomic():
            self._forget(workspace)
            made = self._seed(workspace, channels, author, reviewer)
        # The notifications go out once the posts are committed. Review requests for the posts reviewed
        # since were dealt with then: only the one still waiting is new.
        done = [reverse("post_detail", args=[workspace.slug, post.pk]) for post in self.reviewed]
        Notification.objects.filter(
            workspace=workspace, kind=Notification.Kind.REVIEW_REQUESTED, url__in=done
        ).update(read_at=timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Demo posts ready in '{workspace.slug}': {', '.join(made)}."))

    def _forget(self, workspace: Workspace) -> None:
        """The previous run's demo posts, their images and the notifications that pointed at them."""
        old = list(Post.objects.filter(workspace=workspace, campaign=CAMPAIGN).select_related("workspace"))
        urls = [reverse("post_detail", args=[workspace.slug, post.pk]) for post in old]
        Notification.objects.filter(workspace=workspace, url__in=urls).delete()
        assets = list(MediaAsset.objects.filter(posts__in=old).distinct())
        Post.objects.filter(pk__in=[post.pk for post in old]).delete()
        for asset in assets:
            asset.upload.delete(save=False)
            asset.delete()

    def _seed(self, workspace, channels, author, reviewer) -> list[str]:
        fb, ig, x, li = (channels[n] for n in ("facebook", "instagram", "x", "linkedin"))
        zone = dates.zone_named(workspace.timezone)
        today = timezone.localtime(timezone.now(), zone).date()

        def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
            local = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute), tzinfo=zone)
            return local.astimezone(dt.UTC)

        def image(colour: str, words: str, alt: str):
            return services.media_upload(
                member=author, name=f"{words}.jpg", data=_picture(colour, words), alt_text=alt
            )

        def new(text: str, on: list[Channel], **kwargs) -> Post:
            return services.post_create(author=author, text=text, channels=on, campaign=CAMPAIGN, **kwargs)

        new(
            "Nouveau : le pain aux figues et aux noix arrive samedi. Qui veut goûter ? 🥖",
            [fb, x],
            title="Pain aux figues (brouillon)",
        )

        waiting = new(
            "Galette des rois : réservez la vôtre en boutique ou par message, frangipane ou briochée. 👑",
            [fb, x, li],
        )
        services.post_submit(post=waiting, by=author)

        sent_back = new("Horaires des fêtes : ouvert le 24 et le 31 jusqu'à 17 h.", [fb, x])
        services.post_submit(post=sent_back, by=author)
        services.review_request_changes(
            post=sent_back, by=reviewer, comment="Ajoute qu'on est fermés le 25 et le 1er, s'il te plaît."
        )

        workshop = new(
            "Atelier croissants pour les enfants mercredi à 14 h : 8 places, inscriptions en boutique. 🥐",
            [fb, ig, x],
            media=[image("#b5651d", "Atelier croissants", "Des enfants façonnent des croissants")],
        )
        services.post_submit(post=workshop, by=author)
        services.review_approve(post=workshop, by=reviewer, comment="Parfait.")
        services.post_schedule(post=workshop, by=author, scheduled_at=at(2, 10))

        thanks = new(
            "Merci pour vos 1 000 avis ⭐ ! Un café offert avec chaque viennoiserie toute la semaine.",
            [fb, ig, li],
            media=[image("#6b3e26", "Merci", "Une tasse de café et un croissant sur le comptoir")],
        )
        self._published(thanks, author, reviewer, at(-1, 9), {})

        rerun = new("Le pain de la semaine : seigle et sarrasin, cuit au feu de bois.", [x])
        self._published(
            rerun,
            author,
            reviewer,
            at(-2, 8, 30),
            {
                x.pk: "X refuses a post with exactly the same words as a recent one: change the wording, "
                "then publish it again."
            },
        )
        self.reviewed = [sent_back, workshop, thanks, rerun]
        return ["draft", "in review", "changes requested", "scheduled", "published", "failed"]

    def _published(self, post: Post, author, reviewer, when: dt.datetime, refusals: dict[int, str]) -> None:
        """Approved, scheduled, then published at `when` (in the past) through the publish step itself."""
        services.post_submit(post=post, by=author)
        services.review_approve(post=post, by=reviewer)
        services.post_schedule(post=post, by=author, scheduled_at=timezone.now() + dt.timedelta(minutes=5))
        # Time passes: the schedule is reached (as the beat's tick would find it).
        Post.objects.filter(pk=post.pk).update(scheduled_at=when)
        targets = list(PostTarget.objects.filter(post=post).select_related("channel"))
        PostTarget.objects.filter(post=post).update(next_attempt_at=when)
        answering: dict[int, Any] = {
            t.channel_id: _Answers(t.channel, refusals.get(t.channel_id, "")) for t in targets
        }
        answers = services.StepCache(providers=answering)
        for target in targets:
            services.target_publish(target.pk, cache=answers)
        # The history says when it happened, not when the demo was seeded.
        PostTarget.objects.filter(post=post, status=PostTarget.Status.PUBLISHED).update(published_at=when)
        PostEvent.objects.filter(post=post, action__startswith="target_").update(created_at=when)
        Post.objects.filter(pk=post.pk).update(updated_at=when)
