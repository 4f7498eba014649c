"""The running demo: the fakes seeded with Demo Bakery, engagement over time, the demo workspace wired to
them and polled with the production clients, and faults injected over the fakes' HTTP control API."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from demo.bluesky import DEMO_BLUESKY_APP_PASSWORD, DEMO_BLUESKY_DID, DEMO_BLUESKY_HANDLE
from demo.content import DemoContent, Kind, base_texts
from demo.threads import DEMO_THREADS_USER_ID
from demo.world import DEMO_ACCOUNTS, DEMO_APPS, FREE_PORTS, DemoAddresses, DemoNetworks
from demo.youtube import DEMO_YOUTUBE_CHANNEL_ID
from inbox.models import Message
from networks import tasks
from networks.fakes import graph_state as gs
from networks.fakes.graph_instagram_inbox import IgDm
from networks.models import Channel, NetworkApp, PollRun
from networks.providers import base as p
from networks.providers.bluesky import BlueskyProvider
from networks.providers.streaming import StreamTarget
from tests.networks.connecting import approve, consent_url

NETWORKS = list(DEMO_ACCOUNTS)
#: Networks connected through the deployment's own app (NetworkApp) and consent page; Mastodon registers
#: its app on each instance (ServerApp) through the lead's "connect a server" view.
APP_NETWORKS = list(DEMO_APPS)


#: Networks whose demo channel reconnects through the deployment's app and the fake's consent page (Bluesky
#: signs in with an app password; Mastodon registers its app on the instance).
OAUTH_NETWORKS = [n for n in APP_NETWORKS if n != "bluesky"]


def _start(session: str = "test") -> DemoNetworks:
    return DemoNetworks(DemoAddresses(**FREE_PORTS), session=session).start()


def _ports(networks: DemoNetworks) -> dict[str, object]:
    a = networks.addresses
    return {
        "host": a.host,
        "graph_port": a.graph_port,
        "x_port": a.x_port,
        "linkedin_port": a.linkedin_port,
        "mastodon_port": a.mastodon_port,
        "bluesky_port": a.bluesky_port,
        "jetstream_port": a.jetstream_port,
        "youtube_port": a.youtube_port,
        "threads_port": a.threads_port,
        "google_business_port": a.google_business_port,
    }


@pytest.fixture
def demo():
    networks = _start()
    yield networks
    networks.stop()


@pytest.fixture
def demo_channels(db, settings, demo):
    settings.CMHUB_DEMO = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_channels", stdout=StringIO(), **_ports(demo))
    return {c.network: c for c in Channel.objects.filter(workspace__slug="demo")}


def _inbound(networks: DemoNetworks) -> dict[str, int]:
    """What the public has written so far, per network (the brand's own posts and answers left out)."""
    brand = networks.feeds.brand
    graph = networks.graph.objects.values()
    return {
        "facebook": sum(
            (isinstance(o, gs.Comment) and o.author["id"] != brand.facebook_page_id)
            or isinstance(o, gs.Message)
            for o in graph
        ),
        "instagram": sum(isinstance(o, gs.IgComment) and o.from_id != brand.instagram_user_id for o in graph)
        + sum(isinstance(o, IgDm) and o.sender["id"] != brand.instagram_user_id for o in graph)
        + len(networks.graph.ig_tags),
        "x": sum(t["author_id"] != brand.x_user_id for t in networks.x.tweets.values())
        + sum(e["sender_id"] != brand.x_user_id for e in networks.x.dm_events),
        "linkedin": sum(
            c["actor"] != brand.linkedin_org_urn for cs in networks.linkedin.comments.values() for c in cs
        )
        + len(networks.linkedin.notifications),
        "mastodon": sum(
            s["account"]["id"] != brand.mastodon_account_id for s in networks.mastodon.statuses.values()
        ),
        "bluesky": _bluesky_inbound(networks),
        "youtube": sum(
            c["authorChannelId"] != DEMO_YOUTUBE_CHANNEL_ID for c in networks.youtube.comments.values()
        ),
        "threads": sum(m.owner != DEMO_THREADS_USER_ID for m in networks.threads.world.media.values()),
        "google_business": len(networks.google_business.reviews),
    }


def _bluesky_inbound(networks: DemoNetworks) -> int:
    fake = networks.bluesky
    posts = sum(p["did"] != DEMO_BLUESKY_DID for p in fake.posts.values())
    dms = sum(m["sender"]["did"] != DEMO_BLUESKY_DID for c in fake.convos.values() for m in c["messages"])
    return posts + dms


def _tick_until_each_network_has_news(networks: DemoNetworks) -> dict[str, int]:
    added = Counter({n: 0 for n in NETWORKS})
    for _ in range(100):
        added.update(networks.tick())
        if all(added.values()):
            return dict(added)
    raise AssertionError(f"100 ticks and still a quiet network: {added}")


# --- The content -----------------------------------------------------------------------------------------


def _sample(content: DemoContent, n: int = 300) -> list[tuple[str, str, str]]:
    out = []
    for _ in range(n):
        comment = content.comment()
        reply = content.reply(comment, mention="handle")
        dm = content.direct_message()
        out += [(e.text, e.kind, e.author.handle) for e in (comment, reply, dm)]
    return out


def test_content_is_deterministic():
    assert _sample(DemoContent(5, stream="a")) == _sample(DemoContent(5, stream="a"))
    assert _sample(DemoContent(5, stream="a")) != _sample(DemoContent(5, stream="b"))
    # The stream varies what is written, not who the regulars are.
    assert DemoContent(5, stream="a").people == DemoContent(5, stream="b").people
    assert DemoContent(5).people != DemoContent(6).people


def test_content_mixes_languages_and_kinds():
    content = DemoContent(11)
    comments = [content.comment() for _ in range(2000)]
    languages = Counter(c.language for c in comments if c.language)
    assert 0.5 < languages["fr"] / sum(languages.values()) < 0.7  # about 60% French, 40% English
    assert set(Kind) - {Kind.REPLY} == {c.kind for c in comments}
    spam = Counter(c.text for c in comments if c.kind == Kind.SPAM)
    assert spam.most_common(1)[0][1] > 1  # bots paste the same text again and again
    assert all(c.text.strip(" 🥐😍🔥❤️👏🤤🥖😋🙌💯🇫🇷") == "" for c in comments if c.kind == Kind.EMOJI)
    assert any(len(re.findall(r"[.!?]\s", c.text)) >= 2 for c in comments if c.kind == Kind.LONG)
    texts = " ".join(c.text for c in comments)
    for wording in ("à quelle heure ouvrez-vous ?", "vous êtes ouverts dimanche ?", "trop bon", "c'est ouf"):
        assert wording in texts
    assert "what time do you open on sunday?" in texts.lower()
    asker = next(c for c in comments if c.kind == Kind.QUESTION and c.topic == "hours" and c.language == "fr")
    reply = content.reply(asker, mention="handle")
    assert reply.kind == Kind.REPLY and reply.text.startswith(f"@{asker.author.handle} ")
    assert reply.author != asker.author
    assert len(base_texts()) >= 80
    assert all(re.fullmatch(r"[a-z0-9_]{1,15}", p.handle) for p in content.people)
    assert len({p.handle for p in content.people}) == len(content.people)


# --- The fakes ------------------------------------------------------------------------------------------


def test_seeded_history_then_ticks_add_engagement(demo):
    before = _inbound(demo)
    assert all(before.values()), before  # a backfill has something on every network
    added = Counter()
    for _ in range(10):
        counts = demo.tick()
        assert set(counts) == set(NETWORKS)
        added.update(counts)
    after = _inbound(demo)
    assert {n: after[n] - before[n] for n in NETWORKS} == {n: added[n] for n in NETWORKS}
    assert sum(added.values()) > 0


def test_run_forever_stops_after_its_ticks(demo):
    seen = []
    assert demo.run_forever(0, on_tick=lambda number, counts: seen.append(number), max_ticks=3) == 3
    assert seen == [1, 2, 3]


def test_run_fakes_command_logs_a_line_per_tick(db):
    out = StringIO()
    call_command("run_fakes", interval=0, ticks=2, seed=3, stdout=out, **FREE_PORTS)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Demo networks up: Facebook and Instagram on http://127.0.0.1:")
    assert re.match(
        r"Bluesky on http://127\.0\.0\.1:\d+, its Jetstream on ws://127\.0\.0\.1:\d+/subscribe", lines[1]
    )
    assert re.match(r"YouTube \(Data API v3 and Google sign-in\) on http://127\.0\.0\.1:\d+\.$", lines[2])
    assert re.match(r"Google Business Profile \(reviews\) on http://127\.0\.0\.1:\d+\.$", lines[3])
    assert re.search(
        r"tick 2: facebook \+\d, instagram \+\d, x \+\d, linkedin \+\d, mastodon \+\d, bluesky \+\d, "
        r"youtube \+\d, threads \+\d, google_business \+\d$",
        lines[5],
    )
    assert lines[-1] == "Demo networks stopped."


def test_a_restarted_world_repeats_its_history_and_never_reuses_a_live_id():
    """The database outlives the fakes: history must come back as the same items, and what is new must
    not carry an id a previous run gave to something else (the inbox would take it as already stored)."""

    def ids(networks: DemoNetworks) -> set[str]:
        # History DMs are served with fixed ids through `raw`: those are the ids the product sees.
        graph = {
            str(o.raw["id"] if getattr(o, "raw", None) else o.id) for o in networks.graph.objects.values()
        }
        linkedin = {c["commentUrn"] for cs in networks.linkedin.comments.values() for c in cs}
        bluesky = set(networks.bluesky.posts) | {
            m["id"] for c in networks.bluesky.convos.values() for m in c["messages"]
        }
        youtube = set(networks.youtube.comments)
        threads = set(networks.threads.world.media)
        x = {str(k) for k in networks.x.tweets}
        return graph | x | linkedin | set(networks.linkedin.posts) | bluesky | youtube | threads

    first = _start("first")
    history = ids(first)
    _tick_until_each_network_has_news(first)
    first_live = ids(first) - history
    first.stop()
    second = _start("second")
    assert ids(second) == history
    _tick_until_each_network_has_news(second)
    second_live = ids(second) - history
    second.stop()
    assert first_live and second_live and not first_live & second_live


# --- The demo workspace against the running fakes --------------------------------------------------------


def test_demo_channels_poll_the_fakes_with_the_production_clients(demo, demo_channels):
    assert set(demo_channels) == set(NETWORKS)
    for network, channel in demo_channels.items():
        run = tasks.poll_once(channel)
        assert (run.outcome, run.error) == (PollRun.Outcome.OK, ""), network
        assert run.fetched > 0, network
        assert Message.objects.filter(channel=channel).count() == run.fetched, network
    added = _tick_until_each_network_has_news(demo)
    for network, channel in demo_channels.items():
        channel.refresh_from_db()
        run = tasks.poll_once(channel)
        assert (run.outcome, run.fetched) == (PollRun.Outcome.OK, added[network]), network


def test_the_demo_survives_a_restart_of_the_fakes(demo, demo_channels):
    """A second `make run`: new fakes on new ports, same database. New engagement still arrives."""
    for channel in demo_channels.values():
        tasks.poll_once(channel)
    demo.stop()
    second = _start("second run")
    try:
        call_command("seed_demo_channels", stdout=StringIO(), **_ports(second))
        for channel in Channel.objects.filter(workspace__slug="demo"):
            assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK  # history again: stored once
        stored = {c.network: Message.objects.filter(channel=c).count() for c in demo_channels.values()}
        added = _tick_until_each_network_has_news(second)
        for channel in Channel.objects.filter(workspace__slug="demo"):
            # Polls deliver at least once (the moved history may come again); the inbox stores once.
            assert tasks.poll_once(channel).fetched >= added[channel.network], channel.network
            now_stored = Message.objects.filter(channel=channel).count()
            assert now_stored == stored[channel.network] + added[channel.network], channel.network
    finally:
        second.stop()


def test_expired_facebook_token_asks_for_a_reconnect(demo, demo_channels):
    out = StringIO()
    call_command("demo_fault", "facebook", "expire-token", stdout=out, **_ports(demo))
    assert "Reconnect" in out.getvalue()
    facebook = demo_channels["facebook"]
    assert tasks.poll_once(facebook).outcome == PollRun.Outcome.AUTH_EXPIRED
    facebook.refresh_from_db()
    assert facebook.status == Channel.Status.NEEDS_RECONNECT
    # Instagram shares the Graph fake (and the Page token) but not the fault.
    assert tasks.poll_once(demo_channels["instagram"]).outcome == PollRun.Outcome.OK


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize(
    ("fault", "outcome", "status"),
    [
        ("expire-token", PollRun.Outcome.AUTH_EXPIRED, Channel.Status.NEEDS_RECONNECT),
        ("rate-limit", PollRun.Outcome.RATE_LIMITED, Channel.Status.ACTIVE),
        ("server-error", PollRun.Outcome.TRANSIENT, Channel.Status.ACTIVE),
    ],
)
def test_each_fault_looks_like_the_network_failing(demo, demo_channels, network, fault, outcome, status):
    call_command("demo_fault", network, fault, stdout=StringIO(), **_ports(demo))
    channel = demo_channels[network]
    run = tasks.poll_once(channel)
    assert run.outcome == outcome, run.error
    channel.refresh_from_db()
    assert channel.status == status
    if network == "youtube" and fault == "rate-limit":
        # quotaExceeded: the Google project's day is spent; Google's word stands until midnight Pacific.
        from networks.providers.youtube_wire import quota_resets_at

        assert channel.next_poll_at >= quota_resets_at(timezone.now())
        assert tasks.poll_once(channel).outcome == PollRun.Outcome.RATE_LIMITED
    elif fault != "expire-token":  # the network is itself again at once (a rate limit still makes it wait)
        assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK


@pytest.mark.parametrize("network", OAUTH_NETWORKS)
def test_reconnecting_through_the_fakes_consent_page_heals_the_channel(demo, demo_channels, network):
    """What the banner leads to: the product's own OAuth flow, answered by the fake's consent page."""
    call_command("demo_fault", network, "expire-token", stdout=StringIO(), **_ports(demo))
    channel = demo_channels[network]
    tasks.poll_once(channel)
    admin = Client()
    admin.force_login(User.objects.get(email="admin@demo.test"))
    callback = admin.get(approve(consent_url(admin, "demo", network)))  # Allow on the network's page
    admin.post(callback.url, {"account": [channel.external_id]})
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK


def test_the_demo_mastodon_channel_reconnects_after_the_instance_forgot_its_apps(demo, demo_channels):
    """The instance keeps the apps registered on it in memory: after a restart of the fakes, the seed forgets
    them too, and reconnecting registers CM Hub on the instance again."""
    from networks.models import ServerApp

    channel = demo_channels["mastodon"]
    ServerApp.objects.create(
        network="mastodon",
        server_url=channel.api_base_url,
        redirect_uri="http://testserver/oauth/mastodon/callback/",
        client_id="registered-before-the-restart",
    )
    call_command("seed_demo_channels", stdout=StringIO(), **_ports(demo))
    assert not ServerApp.objects.filter(server_url=channel.api_base_url).exists()

    call_command("demo_fault", "mastodon", "expire-token", stdout=StringIO(), **_ports(demo))
    tasks.poll_once(channel)
    admin = Client()
    admin.force_login(User.objects.get(email="admin@demo.test"))
    start = admin.post("/w/demo/settings/channels/connect/mastodon/", {"channel": channel.pk})
    assert start.status_code == 303, start
    callback = admin.get(approve(admin.get(start.url).context["url"]))
    admin.post(callback.url, {"account": [channel.external_id]})
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE
    assert ServerApp.objects.filter(server_url=channel.api_base_url).count() == 1
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK


def test_reset_drops_pending_faults(demo, demo_channels):
    call_command("demo_fault", "x", "server-error", times=10, stdout=StringIO(), **_ports(demo))
    call_command("demo_fault", "x", "reset", stdout=StringIO(), **_ports(demo))
    assert tasks.poll_once(demo_channels["x"]).outcome == PollRun.Outcome.OK


def test_demo_fault_says_when_the_fakes_are_not_running():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="run_fakes"):
        call_command("demo_fault", "linkedin", "rate-limit", linkedin_port=port, stdout=StringIO())


# --- seed_demo_channels ----------------------------------------------------------------------------------


def test_seed_demo_channels_refuses_outside_demo_mode(db, settings):
    settings.CMHUB_DEMO = False
    with pytest.raises(CommandError, match="CMHUB_DEMO"):
        call_command("seed_demo_channels", stdout=StringIO())
    assert not NetworkApp.objects.exists() and not Channel.objects.exists()


def test_seed_demo_channels_needs_the_demo_workspace(db, settings):
    settings.CMHUB_DEMO = True
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_channels", stdout=StringIO())


def test_seed_demo_channels_is_idempotent_and_keeps_cursors(demo, demo_channels):
    facebook = demo_channels["facebook"]
    tasks.poll_once(facebook)
    call_command("demo_fault", "facebook", "expire-token", stdout=StringIO(), **_ports(demo))
    tasks.poll_once(facebook)
    facebook.refresh_from_db()
    cursor = facebook.cursor
    assert cursor and facebook.status == Channel.Status.NEEDS_RECONNECT

    call_command("seed_demo_channels", stdout=StringIO(), **_ports(demo))
    channels = Channel.objects.filter(workspace__slug="demo")
    assert sorted(channels.values_list("network", flat=True)) == sorted(NETWORKS)
    assert NetworkApp.objects.count() == len(APP_NETWORKS)
    facebook.refresh_from_db()
    assert facebook.cursor == cursor  # what was polled is not polled again
    assert facebook.status == Channel.Status.ACTIVE  # reconnected with the demo token
    assert facebook.connected_by.email == "admin@demo.test"
    app = NetworkApp.objects.get(network="x")
    assert app.api_base_url == app.oauth_base_url == demo.base_url("x")


def test_the_demo_history_brings_direct_messages_and_mentions(demo, demo_channels):
    for channel in demo_channels.values():
        assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    kinds = {
        network: set(Message.objects.filter(channel=channel).values_list("kind", flat=True))
        for network, channel in demo_channels.items()
    }
    assert {"direct_message", "mention", "comment"} <= kinds["instagram"]
    assert {"direct_message", "mention"} <= kinds["x"]
    assert "mention" in kinds["linkedin"]
    assert {"direct_message", "mention"} <= kinds["mastodon"]
    assert {"direct_message", "mention", "reply"} <= kinds["bluesky"]


def test_the_demo_page_has_a_visitor_post_in_the_inbox(demo, demo_channels):
    channel = demo_channels["facebook"]
    tasks.poll_once(channel)
    visitor = Message.objects.filter(channel=channel, kind="visitor_post")
    assert visitor.exists()  # one seeded a few hours ago, and those the history's ticks wrote
    assert all(m.conversation.root_external_id == m.external_id for m in visitor)


# --- Bluesky -----------------------------------------------------------------------------------------------


def test_a_bluesky_channel_whose_app_password_was_revoked_is_reconnected_with_a_new_sign_in(
    demo, demo_channels
):
    call_command("demo_fault", "bluesky", "expire-token", stdout=StringIO(), **_ports(demo))
    channel = demo_channels["bluesky"]
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.AUTH_EXPIRED
    channel.refresh_from_db()
    assert channel.status == Channel.Status.NEEDS_RECONNECT

    admin = Client()
    admin.force_login(User.objects.get(email="admin@demo.test"))
    signed_in = admin.post(
        reverse("connect_password", kwargs={"slug": "demo", "network": "bluesky"}),
        {
            "identifier": DEMO_BLUESKY_HANDLE,
            "password": DEMO_BLUESKY_APP_PASSWORD,
            "reconnect": DEMO_BLUESKY_DID,
        },
    )
    assert signed_in.status_code == 302, signed_in.content.decode()[:500]
    admin.post(signed_in.url, {"account": [DEMO_BLUESKY_DID]})
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE
    assert channel.api_base_url == demo.base_url("bluesky")  # the PDS named by the fake's DID document
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK


def test_the_demo_jetstream_brings_a_new_bluesky_mention_within_a_second(demo):
    account = p.Account(p.Network.BLUESKY, DEMO_BLUESKY_DID, demo.base_url("bluesky"), p.Credentials("t"))
    [source] = BlueskyProvider.stream_sources([StreamTarget(1, account)])
    source.url = demo.addresses.jetstream_url
    batches: list = []
    stop, up = threading.Event(), threading.Event()
    runner = threading.Thread(
        target=source.run,
        kwargs={"http": None, "cursor": {}, "emit": batches.append, "connected": up.set, "stop": stop},
        daemon=True,
    )
    runner.start()
    try:
        assert up.wait(5)
        started = time.monotonic()
        demo.bluesky_feed._write("mention", dt.datetime.now(dt.UTC))
        while not any(b.events for b in batches) and time.monotonic() - started < 1:
            time.sleep(0.01)
    finally:
        stop.set()
        runner.join(5)
    [event] = [e for b in batches for e in b.events]
    assert (event.what, event.account_id) == ("mention", DEMO_BLUESKY_DID)
    assert event.refs["uri"] in demo.bluesky.posts
