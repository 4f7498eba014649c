"""Ninety days of answered conversations for every demo workspace with a channel, each inbound message
triaged as the assistant would (so the Sentiment report has a mood to show), then its reporting facts, so
the reports show history on `make run`. Skipped for a workspace that already has that history."""

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Workspace
from assistant.models import MessageTriage
from inbox.models import Conversation, Message
from networks.models import Channel
from reports.services import facts_rebuild

DAYS = 90
PER_DAY = 6
PREFIX = "history-"
# What the customers write, with the triage the assistant would give it: (weight, intent, text, sentiment
# range, spam score).
MOODS = [
    (6, "question", "Vous livrez en Belgique ?", (-0.1, 0.1), 0.0),
    (3, "praise", "Super accueil en boutique, merci !", (0.4, 0.9), 0.0),
    (2, "complaint", "Ma commande est arrivée abîmée.", (-0.9, -0.4), 0.0),
    (1, "spam", "Gagnez 1000 abonnés ici !!!", (0.5, 0.9), 0.97),
]


class Command(BaseCommand):
    help = "Seed 90 days of conversation history in the demo workspaces and rebuild their reporting facts."

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(15)  # the same history on every machine
        now = timezone.now()
        for workspace in Workspace.objects.order_by("pk"):
            channel = Channel.objects.filter(workspace=workspace).order_by("pk").first()
            agents = list(Membership.objects.filter(workspace=workspace).values_list("user_id", flat=True))
            if channel is None or not agents:
                continue
            if not Conversation.objects.filter(channel=channel, root_external_id__startswith=PREFIX).exists():
                with transaction.atomic():
                    self._seed(workspace, channel, agents, rng, now)
            self.stdout.write(f"{workspace.slug}: {facts_rebuild(workspace=workspace)} facts")

    def _seed(
        self, workspace: Workspace, channel: Channel, agents: list[int], rng: random.Random, now: dt.datetime
    ) -> None:
        messages: list[Message] = []
        moods = random.Random(16)  # apart from `rng`: the conversations stay those of earlier versions
        triages: dict[str, MessageTriage] = {}
        for day in range(DAYS, 0, -1):
            for index in range(rng.randint(PER_DAY // 2, PER_DAY * 2)):
                opened = now - dt.timedelta(days=day, minutes=rng.randint(0, 24 * 60))
                replied = opened + dt.timedelta(minutes=int(rng.expovariate(1 / 240)) + 3)
                resolved = rng.random() < 0.8
                root = f"{PREFIX}{day}-{index}"
                conversation = Conversation.objects.create(
                    workspace=workspace,
                    channel=channel,
                    kind="comment",
                    root_external_id=root,
                    status=Conversation.Status.RESOLVED if resolved else Conversation.Status.PENDING,
                    assignee_id=rng.choice(agents),
                    preview="Merci !",
                    preview_outbound=True,
                    message_count=2,
                    last_message_at=replied,
                    last_inbound_at=opened,
                    last_reply_at=replied,
                    first_response_at=replied,
                    resolved_at=replied + dt.timedelta(minutes=5) if resolved else None,
                    created_at=opened,
                    updated_at=replied,
                )
                common = {"workspace": workspace, "conversation": conversation, "channel": channel}
                _weight, intent, text, (low, high), spam = moods.choices(MOODS, [m[0] for m in MOODS])[0]
                messages.append(Message(external_id=root, text=text, created_at=opened, **common))
                triages[root] = MessageTriage(
                    language="fr",
                    sentiment=round(moods.uniform(low, high), 2),
                    intent=intent,
                    priority=1,
                    spam_score=spam,
                    engine_version="demo-history",
                    created_at=opened,
                )
                messages.append(
                    Message(
                        external_id=f"{root}-r",
                        direction=Message.Direction.OUT,
                        author_user_id=rng.choice(agents),
                        text="Oui, sous trois jours. Merci !",
                        created_at=replied,
                        send_status=Message.SendStatus.SENT,
                        sent_at=replied,
                        **common,
                    )
                )
        Message.objects.bulk_create(messages, batch_size=2000)
        for message in messages:
            if message.external_id in triages:
                triages[message.external_id].message = message
        MessageTriage.objects.bulk_create(triages.values(), batch_size=2000)
