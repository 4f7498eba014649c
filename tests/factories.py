from __future__ import annotations

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from accounts.models import Membership, User, Workspace
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from networks.models import Channel
from networks.providers import base as p

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: object, **kwargs: object) -> None:
        # allauth refuses logins without a verified address: every test user has one.
        if create:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Membership.Role.AGENT


def x_mention_conversation(workspace: Workspace, *, at: dt.datetime | None = None) -> Conversation:
    """A conversation as polling leaves it: Léa's mention of an X channel (one that never answers), at `at`
    (now by default)."""
    channel = Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="Acme X", api_base_url="http://127.0.0.1:9"
    )
    mention = p.EngagementItem(
        network=p.Network.X,
        external_id="100",
        kind=p.ItemKind.MENTION,
        text="@acme open on Sunday?",
        created_at=at or dt.datetime.now(dt.UTC),
        author=p.Author("9", handle="lea", name="Léa"),
        thread_root_external_id="100",
    )
    message_ingest_batch(channel=channel, items=[mention])
    return Conversation.objects.get(channel=channel)


def x_mention_item(
    external_id: str, *, name: str, at: dt.datetime, author_id: str, root: str = ""
) -> p.EngagementItem:
    """A mention of the brand on X, as a poll reads it; `root` names the thread it continues."""
    return p.EngagementItem(
        network=p.Network.X,
        external_id=external_id,
        kind=p.ItemKind.MENTION,
        text="@acme hello",
        created_at=at,
        author=p.Author(author_id, handle=f"h{author_id}", name=name),
        thread_root_external_id=root or external_id,
    )


def x_mentions(channel: Channel, specs: list[tuple[str, dt.datetime]]) -> list[Conversation]:
    """One poll storing a mention per (author name, time) on `channel`, each its own conversation; returns
    the channel's conversations, oldest id first."""
    start = Message.objects.count()
    items = [
        x_mention_item(f"{start + i + 100}", name=name, at=at, author_id=f"a{start + i}")
        for i, (name, at) in enumerate(specs)
    ]
    message_ingest_batch(channel=channel, items=items)
    return list(Conversation.objects.filter(channel=channel).order_by("pk"))


def x_channel(workspace: Workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace, network="x", external_id="1", name="Acme X", api_base_url="http://127.0.0.1:9"
    )
