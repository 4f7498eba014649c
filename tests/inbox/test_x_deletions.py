"""A mention deleted on X is marked deleted in the inbox (issue 13, item 9): X says so only when the post
is asked for again by id, which the poll does once an hour for the mentions of the last week."""

from __future__ import annotations

import time_machine
from django.utils import timezone

from inbox.models import Message
from networks import tasks as network_tasks
from networks.fakes.x import XFake
from networks.models import Channel
from tests.e2e.browser import connect_x_channel


def test_a_mention_deleted_on_x_is_marked_deleted_within_the_hour_and_kept(workspace, broker):
    with XFake() as fake:
        channel, brand = connect_x_channel(fake, workspace)
        fan = fake.add_user("lea", "Léa")
        today = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")  # the week watched is counted from now
        kept = fake.add_mention(brand, fan, "@acmebakery open on Sunday?", created_at=today)
        deleted = fake.add_mention(brand, fan, "@acmebakery your croissants are awful", created_at=today)
        network_tasks.poll_once(channel)
        fake.delete_tweet(deleted)

        network_tasks.poll_once(Channel.objects.get(pk=channel.pk))  # within the hour: not asked yet
        assert not Message.objects.filter(external_id=deleted, deleted_at__isnull=False).exists()
        with time_machine.travel(timezone.now() + timezone.timedelta(minutes=61)):
            network_tasks.poll_once(Channel.objects.get(pk=channel.pk))
        lookups = [r for r in fake.requests if r.path == "/2/tweets"]

    gone = Message.objects.get(external_id=deleted)
    assert gone.deleted_at is not None and gone.text.endswith("awful")  # marked, never removed
    assert Message.objects.get(external_id=kept).deleted_at is None
    assert len(lookups) == 1


def test_a_refused_lookup_never_costs_the_mentions_and_is_not_repeated_at_every_poll(workspace, broker):
    from networks.fakes.base import Fault, Response

    with XFake() as fake:
        channel, brand = connect_x_channel(fake, workspace)
        fan = fake.add_user("lea", "Léa")
        today = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fake.add_mention(brand, fan, "@acmebakery first", created_at=today)
        network_tasks.poll_once(channel)
        refusal = {
            "title": "Forbidden",
            "detail": "You are not permitted to perform this action.",
            "status": 403,
        }
        fake.inject(Fault(r"^/2/tweets$", response=Response(403, refusal), times=5))
        later = fake.add_mention(brand, fan, "@acmebakery second", created_at=today)
        with time_machine.travel(timezone.now() + timezone.timedelta(minutes=61)):
            run = network_tasks.poll_once(Channel.objects.get(pk=channel.pk))
            network_tasks.poll_once(Channel.objects.get(pk=channel.pk))
        lookups = [r for r in fake.requests if r.path == "/2/tweets"]

    assert run.error == "" and Message.objects.filter(external_id=later).exists()
    assert len(lookups) == 1  # counted as checked: asked again in an hour, not at the next poll
