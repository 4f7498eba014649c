"""Network accounts for publishing: each `*_account` starts a fake, connects a channel of the workspace to it
and yields the fake with `.channel` (the connected Channel) and `.writes()` (the publish requests the
network received, to count them). Used by the posts fixtures and by the browser journey.

Fixture names mean one thing everywhere: `x_fake` (and `graph_fake`, `linkedin_fake`) is a bare fake
server; `x_account` (and `facebook_account`, `instagram_account`, `linkedin_account`) is a fake with one of
the workspace's channels connected to it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from accounts.models import User, Workspace
from networks import services as network_services
from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import Media, Page
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.x import XFake
from networks.models import Channel
from networks.providers import base as p


def _a_minute_ago() -> dt.datetime:
    # Reading back compares the network's times with ours: the fake's clock must be ours.
    return dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)


@contextmanager
def x_account(workspace: Workspace, owner: User | None) -> Iterator[XFake]:
    with XFake() as fake:
        fake._clock = _a_minute_ago()
        fake.brand = fake.add_user("acmebakery", "Acme Bakery")
        token = fake.issue_token(fake.brand, scopes=("tweet.read", "users.read", "tweet.write"))
        fake.channel = network_services.channel_connect(
            workspace=workspace,
            network="x",
            external_id=fake.brand,
            name="Acme on X",
            handle="acmebakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(access_token=token["access_token"]),
            by=owner,
        )
        fake.writes = lambda: [r for r in fake.requests if r.method == "POST" and r.path == "/2/tweets"]
        yield fake


def facebook_channel(
    fake: GraphFake, page: Page, workspace: Workspace, owner: User | None, *, name: str = "Acme Page"
) -> Channel:
    """A Facebook channel of the workspace connected to `page` of the Graph fake (the inbox tests use it
    too)."""
    return network_services.channel_connect(
        workspace=workspace,
        network="facebook",
        external_id=page.id,
        name=name,
        api_base_url=fake.base_url,
        credentials=p.Credentials(access_token=page.token),
        by=owner,
    )


@contextmanager
def facebook_account(workspace: Workspace, owner: User | None) -> Iterator[GraphFake]:
    with GraphFake() as fake:
        fake.page = fake.add_page("Acme Bakery", page_id="777")
        fake.channel = facebook_channel(fake, fake.page, workspace, owner)
        fake.writes = lambda: [
            r for r in fake.requests if r.method == "POST" and r.path.endswith("/777/feed")
        ]
        yield fake


@contextmanager
def instagram_account(workspace: Workspace, owner: User | None) -> Iterator[GraphFake]:
    """Also `.media()`: the account's media as the network stores them."""
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        fake.ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        fake.channel = network_services.channel_connect(
            workspace=workspace,
            network="instagram",
            external_id=fake.ig_user.id,
            name="Acme on Instagram",
            handle="acme.bakery",
            api_base_url=fake.base_url,
            credentials=p.Credentials(access_token=page.token),  # Facebook Login: the Page's token
            by=owner,
        )
        fake.writes = lambda: [
            r for r in fake.requests if r.method == "POST" and r.path.endswith("/media_publish")
        ]
        fake.media = lambda: [m for m in fake.objects_of(Media) if m.ig_user_id == fake.ig_user.id]
        yield fake


def linkedin_channel(fake: LinkedInFake, admin: str, workspace: Workspace, owner: User | None) -> Channel:
    """A LinkedIn channel of the workspace for `fake.org`, connected with a token of its admin `admin`."""
    return network_services.channel_connect(
        workspace=workspace,
        network="linkedin",
        external_id=fake.org,
        name="Acme on LinkedIn",
        api_base_url=fake.base_url,
        credentials=p.Credentials(access_token=fake.issue_token(admin)["access_token"]),
        by=owner,
    )


@contextmanager
def linkedin_account(workspace: Workspace, owner: User | None) -> Iterator[LinkedInFake]:
    """Also `.org` (the organization's URN) and `.org_posts()`: the URNs of the posts it authored."""
    with LinkedInFake() as fake:
        fake.start_clock_at(_a_minute_ago())
        admin = fake.add_member("Ana Admin", "ana")
        fake.org = fake.add_organization("Acme Bakery", admins=[admin])
        fake.channel = linkedin_channel(fake, admin, workspace, owner)
        fake.writes = lambda: [r for r in fake.requests if r.method == "POST" and r.path == "/rest/posts"]
        fake.org_posts = lambda: [urn for urn, post in fake.posts.items() if post["author"] == fake.org]
        yield fake
