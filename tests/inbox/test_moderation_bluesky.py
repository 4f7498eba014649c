"""Blocking a message's author from the inbox on Bluesky: the production provider against BlueskyFake over
real HTTP, through the moderation queue (one app.bsky.graph.block record in the brand's repo)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.http import make_client
from inbox import moderation
from inbox.models import Message, ModerationAction
from networks import services
from networks import tasks as network_tasks
from networks.fakes.bluesky import BlueskyFake
from networks.models import Channel
from networks.providers.bluesky import BlueskyProvider

A = ModerationAction.Action
S = ModerationAction.State
BRAND = "did:plc:q6gjnaw2blty4crticxkmujt"
LEA = "did:plc:eygmaihciaxprqvxpfvl6flk"


@pytest.fixture
def bluesky(workspace, owner) -> Iterator[tuple[BlueskyFake, Channel]]:
    with BlueskyFake() as fake:
        fake.add_account(BRAND, "acme-bakery.bsky.social", display_name="Acme Bakery", password="app-pw")
        fake.add_account(LEA, "lea.bsky.social", display_name="Léa")
        ours = fake.add_post(BRAND, "Rye is back")
        fake.add_reply(LEA, ours["uri"], "Your shop is a scam!!")
        with make_client(timeout=5) as http:
            [found] = BlueskyProvider.connect_with_password(
                http=http, identifier="acme-bakery.bsky.social", password="app-pw", service_url=fake.base_url
            )
        channel = services.channel_connect(
            workspace=workspace,
            network="bluesky",
            external_id=found.external_id,
            name=found.name,
            handle=found.handle,
            api_base_url=found.api_base_url,
            credentials=found.credentials,
            by=owner,
        )
        network_tasks.poll_once(channel)
        yield fake, channel


def test_a_manager_blocks_the_author_of_a_reply_once(bluesky, manager, agent, broker):
    fake, channel = bluesky
    message = Message.objects.get(channel=channel, direction=Message.Direction.IN)
    boss = manager.memberships.get()
    assert moderation.describe(message, member=boss).can_block
    assert not moderation.describe(message, member=agent.memberships.get()).can_block  # managers only

    row = moderation.moderation_request(message=message, by=boss, action=A.BLOCK)
    assert moderation.moderation_process(row.pk) == S.DONE

    assert fake.blocks(BRAND) == [LEA]
    message = Message.objects.get(pk=message.pk)
    assert not moderation.describe(message, member=boss).can_block  # already blocked
    with pytest.raises(moderation.ModerationError):
        moderation.moderation_request(message=message, by=boss, action=A.BLOCK)
    assert fake.blocks(BRAND) == [LEA]


def test_an_author_blocked_from_the_app_meanwhile_is_done_without_a_second_block(bluesky, manager, broker):
    fake, channel = bluesky
    message = Message.objects.get(channel=channel, direction=Message.Direction.IN)
    row = moderation.moderation_request(message=message, by=manager.memberships.get(), action=A.BLOCK)
    fake.add_block(BRAND, LEA)  # someone blocked Léa in the Bluesky app before the queue ran

    assert moderation.moderation_process(row.pk) == S.DONE
    assert fake.blocks(BRAND) == [LEA]
