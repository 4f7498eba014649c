"""Fixtures for the Django layer of networks: fakes on loopback, and the deployment's apps wired to them."""

from __future__ import annotations

import pytest

from networks import services
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.x import XFake
from networks.providers import base as p
from tests.networks.connecting import wire_app


@pytest.fixture(autouse=True)
def _poll_pool_ended():
    """A test that polled on the pool's threads ends them, and with them their database connections, which
    would otherwise keep the test database open past the session (PostgreSQL refuses to drop it)."""
    yield
    import gc

    from networks import tasks

    if tasks._pools:
        for pool in tasks._pools.values():
            pool.shutdown(wait=True)
        tasks._pools.clear()
        gc.collect()  # a thread's connection is closed when it is collected


@pytest.fixture
def x_fake():
    with XFake(client_id="cmhub-x-client") as fake:
        yield fake


@pytest.fixture
def linkedin_fake():
    with LinkedInFake() as fake:
        yield fake


@pytest.fixture
def x_app(db, x_fake):
    return wire_app("x", x_fake, client_id=x_fake.client_id)


@pytest.fixture
def linkedin_app(db, linkedin_fake):
    fake = linkedin_fake
    return wire_app("linkedin", fake, client_id=fake.client_id, client_secret=fake.client_secret)


@pytest.fixture
def graph_fake():
    from networks.fakes.graph import GraphFake

    with GraphFake() as fake:
        fake.add_app("1234567890", "graph-app-secret")
        yield fake


@pytest.fixture
def graph_apps(db, graph_fake):
    """Facebook and Instagram share the Graph API and the deployment's Meta app."""
    return [
        wire_app(network, graph_fake, client_id="1234567890", client_secret="graph-app-secret")
        for network in ("facebook", "instagram")
    ]


@pytest.fixture
def x_channel(workspace, x_fake, x_app, owner):
    """An X channel connected to the fake (no refresh token), with the fake's ids for the brand and token."""
    brand = x_fake.add_user("demobakery", "Demo Bakery")
    # No offline.access, so no refresh token.
    token = x_fake.issue_token(
        brand, scopes=("tweet.read", "users.read", "tweet.write", "dm.read", "dm.write")
    )
    channel = services.channel_connect(
        workspace=workspace,
        network="x",
        external_id=brand,
        name="Demo Bakery",
        handle="demobakery",
        api_base_url=x_fake.base_url,
        credentials=p.Credentials(access_token=token["access_token"]),
        by=owner,
    )
    channel.fake_brand = brand
    channel.fake_token = token["access_token"]
    return channel
