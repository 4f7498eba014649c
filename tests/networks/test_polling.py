"""Polling a channel with the production client against a fake: items reach the storing apps with the
cursor, and each failure class does the right thing to the channel."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.utils import timezone

from inbox.models import Message
from networks import registry, services, tasks
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.signals import items_fetched


def claimed(broker) -> list[int]:
    """The channels the dispatcher handed out, whichever task carries them."""
    return [pk for claims in broker.ids("networks.poll_channels") for pk, _due_at in claims]


def count_requests_at_once(fake) -> list[int]:
    """Wrap the fake's dispatch; the list's one value is the most requests it was answering at once."""
    in_flight, most_in_flight, lock = [0], [0], threading.Lock()
    dispatch = fake.dispatch

    def counted(request):
        with lock:
            in_flight[0] += 1
            most_in_flight[0] = max(most_in_flight[0], in_flight[0])
        try:
            return dispatch(request)
        finally:
            with lock:
                in_flight[0] -= 1

    fake.dispatch = counted
    return most_in_flight


@pytest.fixture
def received():
    """What a storing app would get: every batch sent through items_fetched."""
    batches: list[list[p.EngagementItem]] = []

    def receiver(sender, channel, items, backfill, **kwargs):
        batches.append(list(items))

    items_fetched.connect(receiver)
    yield batches
    items_fetched.disconnect(receiver)


def test_poll_hands_items_over_and_advances_the_cursor(x_channel, x_fake, received):
    fan = x_fake.add_user("lea", "Léa")
    for text in ("@demobakery vous livrez à Lyon ?", "@demobakery best croissants in town 🥐"):
        x_fake.add_mention(x_channel.fake_brand, fan, text)
    run = tasks.poll_once(x_channel)
    assert (run.outcome, run.fetched) == (PollRun.Outcome.OK, 2)
    assert [i.text for i in received[0]] == [
        "@demobakery vous livrez à Lyon ?",
        "@demobakery best croissants in town 🥐",
    ]
    x_channel.refresh_from_db()
    assert x_channel.cursor and x_channel.last_polled_at and x_channel.backfill_status == "done"
    assert x_channel.backfill_fetched == 2

    assert tasks.poll_once(x_channel).fetched == 0  # nothing new: nothing again
    x_fake.add_mention(x_channel.fake_brand, fan, "@demobakery merci !")
    x_channel.refresh_from_db()
    assert tasks.poll_once(x_channel).fetched == 1
    assert received[-1][0].text == "@demobakery merci !"


def test_a_failing_receiver_keeps_the_cursor_and_says_so(x_channel, x_fake):
    """Storage and cursor commit together: if storing fails, the next poll gets the items again. The
    failure is a failed poll the health page shows, with a backoff, not a silent task error."""
    x_fake.add_mention(x_channel.fake_brand, x_fake.add_user("lea"), "@demobakery allô")

    def broken(**kwargs):
        raise RuntimeError("database full")

    items_fetched.connect(broken)
    try:
        run = tasks.poll_once(x_channel)
    finally:
        items_fetched.disconnect(broken)
    assert run.outcome == PollRun.Outcome.ERROR
    assert "RuntimeError" in run.error
    x_channel.refresh_from_db()
    assert x_channel.cursor == {}
    assert x_channel.consecutive_failures == 1
    assert "could not complete this poll" in x_channel.last_error
    assert x_channel.next_poll_at > timezone.now() + dt.timedelta(seconds=x_channel.poll_interval)
    assert tasks.poll_once(x_channel).fetched == 1


def test_expired_token_asks_for_a_reconnect_once(
    x_channel, x_fake, owner, agent, owner_client, agent_client, django_capture_on_commit_callbacks
):
    x_fake.expire_token(x_channel.fake_token)
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.AUTH_EXPIRED
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.NEEDS_RECONNECT
    assert [m.to for m in mail.outbox] == [[owner.email]]  # the admin, not the agent
    assert "Reconnect" in mail.outbox[0].subject

    # Within one poll everyone sees the banner: admins to reconnect, agents to know why nothing arrives
    # and whom to ask (tests/networks/test_connection_loss.py).
    assert "until you reconnect it" in owner_client.get("/w/acme/").content.decode()
    assert f"Who can fix it: {owner.name}." in agent_client.get("/w/acme/").content.decode()

    # It never loops: the channel is out of the dispatch, and a second failure sends no second email.
    assert not Channel.objects.due(timezone.now() + dt.timedelta(days=1)).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.channel_poll_failed(
            channel=x_channel, error=p.AuthExpired("again"), started_at=timezone.now()
        )
    assert len(mail.outbox) == 1


def test_rate_limit_sleeps_until_the_reset(x_channel, x_fake):
    reset = x_fake.rate_limited("/mentions", reset_in=600)
    run = tasks.poll_once(x_channel)
    assert run.outcome == PollRun.Outcome.RATE_LIMITED
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE
    assert x_channel.rate_limit_remaining == 0
    assert abs(x_channel.rate_limit_reset_at.timestamp() - reset) < 1
    assert x_channel.next_poll_at.timestamp() >= reset


def test_server_errors_back_off_then_show_as_error(x_channel, x_fake):
    x_fake.server_error("/mentions", times=10)
    for expected in range(1, services.ERROR_AFTER_FAILURES + 1):
        before = timezone.now()
        assert tasks.poll_once(x_channel).outcome == PollRun.Outcome.TRANSIENT
        x_channel.refresh_from_db()
        assert x_channel.consecutive_failures == expected
        assert x_channel.next_poll_at > before + dt.timedelta(seconds=x_channel.poll_interval)
    assert x_channel.status == Channel.Status.ERROR
    x_fake.reset_faults()
    assert tasks.poll_once(x_channel).outcome == PollRun.Outcome.OK
    x_channel.refresh_from_db()
    assert (x_channel.status, x_channel.consecutive_failures) == (Channel.Status.ACTIVE, 0)


def test_refreshable_token_is_refreshed_before_it_expires(workspace, x_fake, x_app, owner):
    brand = x_fake.add_user("demobakery")
    token = x_fake.issue_token(brand, expires_in=60)  # offline.access: comes with a refresh token
    channel = services.channel_connect(
        workspace=workspace,
        network="x",
        external_id=brand,
        name="Demo",
        api_base_url=x_fake.base_url,
        by=owner,
        credentials=p.Credentials(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=timezone.now() + dt.timedelta(seconds=60),
        ),
    )
    assert tasks.poll_once(channel).outcome == PollRun.Outcome.OK
    channel.refresh_from_db()
    assert channel.access_token != token["access_token"]
    assert channel.token_expires_at > timezone.now() + dt.timedelta(hours=1)


def test_dispatch_claims_only_due_active_channels(
    x_channel, workspace, broker, django_capture_on_commit_callbacks
):
    later = Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="2",
        name="Later",
        api_base_url="http://127.0.0.1:9",
        next_poll_at=timezone.now() + dt.timedelta(hours=1),
    )
    paused = Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="3",
        name="Paused",
        api_base_url="http://127.0.0.1:9",
        status=Channel.Status.PAUSED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 1
    assert claimed(broker) == [x_channel.pk]
    x_channel.refresh_from_db()
    assert x_channel.next_poll_at > timezone.now() + dt.timedelta(seconds=x_channel.poll_interval - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 0  # claimed once
    assert {later.pk, paused.pk}.isdisjoint(claimed(broker))


def test_health_page_shows_each_channel(x_channel, x_fake, agent_client, django_assert_max_num_queries):
    x_fake.add_mention(x_channel.fake_brand, x_fake.add_user("lea"), "@demobakery hello")
    tasks.poll_once(x_channel)
    # One query for the channels with their 24-hour counts, whatever their number (plus session/user and
    # the workspace's watch windows).
    with django_assert_max_num_queries(9):
        page = agent_client.get("/w/acme/channels/")
    html = page.content.decode()
    assert "Demo Bakery" in html and "Active" in html
    assert "<td>1</td>" in html  # items fetched in the last 24 h
    assert "Reconnect" not in html  # agents cannot act


def test_pause_and_resume(x_channel, owner_client):
    owner_client.post(f"/w/acme/settings/channels/{x_channel.pk}/pause/")
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.PAUSED
    assert not Channel.objects.due(timezone.now() + dt.timedelta(days=1)).exists()
    owner_client.post(f"/w/acme/settings/channels/{x_channel.pk}/resume/")
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE


def test_disconnect_forgets_credentials(x_channel, owner_client):
    owner_client.post(f"/w/acme/settings/channels/{x_channel.pk}/disconnect/")
    assert not Channel.objects.filter(pk=x_channel.pk).exists()


def test_outsider_cannot_act_on_a_channel(x_channel, outsider_client, outsider):
    slug = outsider.memberships.get().workspace.slug
    assert outsider_client.post(f"/w/{slug}/settings/channels/{x_channel.pk}/pause/").status_code == 404
    x_channel.refresh_from_db()
    assert x_channel.status == Channel.Status.ACTIVE


def test_refresh_tokens_renews_tokens_about_to_expire(workspace, x_fake, x_app, owner):
    brand = x_fake.add_user("demobakery")
    token = x_fake.issue_token(brand)
    channel = services.channel_connect(
        workspace=workspace,
        network="x",
        external_id=brand,
        name="Demo",
        api_base_url=x_fake.base_url,
        by=owner,
        credentials=p.Credentials(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            expires_at=timezone.now() + dt.timedelta(minutes=5),
        ),
    )
    assert tasks.refresh_tokens() == 1
    channel.refresh_from_db()
    assert channel.access_token != token["access_token"]
    assert tasks.refresh_tokens() == 0  # the new token lives long enough


def test_linkedin_expiry_is_warned_once_a_week_ahead(workspace, owner, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(
        workspace=workspace,
        network="linkedin",
        external_id="urn:li:organization:1",
        name="Demo Bakery SAS",
        api_base_url="https://api.linkedin.com",
        token_expires_at=timezone.now() + dt.timedelta(days=20),
    )
    assert tasks.warn_expiring_tokens() == 0  # not yet in the window
    Channel.objects.filter(pk=channel.pk).update(token_expires_at=timezone.now() + dt.timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.warn_expiring_tokens() == 1
        assert tasks.warn_expiring_tokens() == 0
    assert len(mail.outbox) == 1 and "expires soon" in mail.outbox[0].subject
    assert mail.outbox[0].to == [owner.email]


def test_dispatch_respects_each_networks_concurrency_cap(
    workspace, settings, broker, django_capture_on_commit_callbacks
):
    settings.CMHUB_POLL_CONCURRENCY = {"x": 2, "facebook": 5}
    for n in range(4):
        Channel.objects.create(
            workspace=workspace,
            network="x",
            external_id=f"x{n}",
            name=f"X {n}",
            api_base_url="http://127.0.0.1:9",
        )
    facebook = Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="fb",
        name="FB",
        api_base_url="http://127.0.0.1:9",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 3  # two X channels (the cap) and the Facebook one
    assert facebook.pk in claimed(broker)
    Channel.objects.filter(network="x").update(next_poll_at=timezone.now())  # all due again
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 0  # the two X polls are still in flight
    # A finished poll frees its slot.
    polled_x = [pk for pk in claimed(broker) if pk != facebook.pk]
    tasks.poll_channel(polled_x[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 1


def test_a_network_without_a_setting_is_polled_up_to_its_providers_own_cap(
    workspace, settings, broker, django_capture_on_commit_callbacks
):
    """Before, a network missing from the setting was never polled at all."""
    settings.CMHUB_POLL_CONCURRENCY = {}
    for n in range(6):
        Channel.objects.create(
            workspace=workspace,
            network="linkedin",
            external_id=f"urn:li:organization:{n}",
            name=f"Org {n}",
            api_base_url="http://127.0.0.1:9",
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == registry.provider_class("linkedin").poll_concurrency == 4


def test_a_linkedin_channel_with_a_refresh_token_is_renewed_not_warned(
    workspace, owner, linkedin_fake, django_capture_on_commit_callbacks
):
    """Approved Community Management apps get 365-day refresh tokens: such a channel is renewed a week
    before its 60-day token expires, and its admins get no "reconnect" warning (issue 13, item 8)."""
    from networks.models import NetworkApp
    from networks.selectors import expiring_soon

    NetworkApp.objects.create(
        network="linkedin",
        client_id=linkedin_fake.client_id,
        client_secret=linkedin_fake.client_secret,
        api_base_url=linkedin_fake.base_url,
        oauth_base_url=linkedin_fake.base_url,
    )
    admin = linkedin_fake.add_member("Ana")
    org = linkedin_fake.add_organization("Demo Bakery", admins=[admin])
    token = linkedin_fake.issue_token(admin, expires_in=6 * 86400)
    channel = services.channel_connect(
        workspace=workspace,
        network="linkedin",
        external_id=org,
        name="Demo Bakery",
        api_base_url=linkedin_fake.base_url,
        by=owner,
        credentials=p.Credentials(
            access_token=token["access_token"],
            refresh_token=linkedin_fake.issue_refresh_token(admin),
            expires_at=timezone.now() + dt.timedelta(days=6),
        ),
    )
    assert not expiring_soon(channel)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.warn_expiring_tokens() == 0
    assert tasks.refresh_tokens() == 1
    channel.refresh_from_db()
    assert channel.access_token != token["access_token"]
    assert channel.token_expires_at > timezone.now() + dt.timedelta(days=50)
    assert mail.outbox == []


def test_one_tick_claims_more_than_a_batch_when_the_caps_allow(
    workspace, settings, broker, django_capture_on_commit_callbacks
):
    """10,000 channels due every minute are 830 polls per 5-second tick: a tick that stopped at one batch
    (200) fell behind for good."""
    settings.CMHUB_POLL_CONCURRENCY = {"x": 1000}
    now = timezone.now()
    Channel.objects.bulk_create(
        Channel(
            workspace=workspace,
            network="x",
            external_id=f"x{n}",
            name=f"X {n}",
            api_base_url="http://127.0.0.1:9",
            next_poll_at=now - dt.timedelta(seconds=n % 30),
        )
        for n in range(tasks.DISPATCH_BATCH * 2 + 50)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == tasks.DISPATCH_BATCH * 2 + 50
    assert len(set(claimed(broker))) == tasks.DISPATCH_BATCH * 2 + 50
    # Several channels per task: the broker carries a tenth of the messages.
    assert len(broker.ids("networks.poll_channels")) == -(
        -(tasks.DISPATCH_BATCH * 2 + 50) // tasks.POLLS_PER_TASK
    )
    assert not Channel.objects.due(timezone.now()).exists()


def test_a_poll_run_says_when_it_was_due(x_channel, broker, django_capture_on_commit_callbacks):
    due = timezone.now() - dt.timedelta(seconds=42)
    Channel.objects.filter(pk=x_channel.pk).update(next_poll_at=due)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.dispatch_polls()
    [(_name, args)] = [m for m in broker.messages if m[0] == "networks.poll_channels"]
    tasks.poll_channels(*args)
    run = x_channel.poll_runs.get()
    assert run.due_at == due and (run.started_at - run.due_at).total_seconds() >= 42
    assert Channel.objects.get(pk=x_channel.pk).poll_started_at is None  # the claim ended with the run


@pytest.mark.django_db(transaction=True)
def test_polls_of_one_task_run_at_once_and_one_failing_does_not_stop_the_others(
    x_channel, x_fake, workspace, settings
):
    """The poll pool's threads each use their own database connection: the rows are committed."""
    settings.CMHUB_POLL_THREADS = 4
    x_fake.latency = 0.3
    most_in_flight = count_requests_at_once(x_fake)
    x_fake.add_mention(x_channel.fake_brand, x_fake.add_user("lea"), "@demobakery ouvert demain ?")
    unreachable = Channel.objects.create(
        workspace=workspace, network="x", external_id="9", name="Gone", api_base_url="http://127.0.0.1:9"
    )
    others = [
        services.channel_connect(
            workspace=workspace,
            network="x",
            external_id=x_fake.add_user(f"brand{n}"),
            name=f"Brand {n}",
            api_base_url=x_fake.base_url,
            credentials=p.Credentials(access_token=x_channel.credentials["access_token"]),
            by=None,
        )
        for n in range(3)
    ]
    due = timezone.now().isoformat()
    claims = [(c.pk, due) for c in [x_channel, unreachable, *others]]
    tasks.poll_channels(claims)
    for channel in [x_channel, *others]:
        assert channel.poll_runs.get().outcome == "ok"
    assert unreachable.poll_runs.get().outcome == "transient"
    assert Message.objects.filter(channel=x_channel).count() == 1
    assert most_in_flight[0] >= 2  # polls overlapped on the network, as a thread pool's should


def test_a_channel_whose_credentials_no_key_decrypts_asks_for_a_reconnect(
    x_channel, broker, django_capture_on_commit_callbacks
):
    """Before, loading the channel raised in the task itself: every minute the poll failed in the log
    only, and the channel never said why."""
    from cryptography.fernet import Fernet
    from django.db import connection

    foreign = Fernet(Fernet.generate_key()).encrypt(b'{"access_token": "x"}').decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE networks_channel SET credentials = %s WHERE id = %s", [foreign, x_channel.pk])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_channels([(x_channel.pk, timezone.now().isoformat())])
    channel = Channel.objects.defer("credentials").get(pk=x_channel.pk)
    assert channel.status == Channel.Status.NEEDS_RECONNECT and channel.poll_started_at is None
    assert "can no longer read this channel's credentials" in channel.last_error
    assert x_channel.poll_runs.get().outcome == "auth_expired"


def test_a_poll_cut_by_its_budget_ends_its_claim(x_channel, x_fake, monkeypatch):
    """It comes back a second later, claimed anew: meanwhile it must not count as in flight (a backfill
    would hold its network below the cap for three minutes per cut)."""
    monkeypatch.setattr(tasks, "POLL_CHUNK", 5)
    monkeypatch.setattr(tasks, "POLL_BUDGET", 10)
    fan = x_fake.add_user("lea")
    for n in range(30):
        x_fake.add_mention(x_channel.fake_brand, fan, f"@demobakery question {n}")
    Channel.objects.filter(pk=x_channel.pk).update(poll_started_at=timezone.now())
    tasks.poll_channel(x_channel.pk)
    channel = Channel.objects.get(pk=x_channel.pk)
    assert channel.next_poll_at <= timezone.now() + dt.timedelta(seconds=2)  # the budget did cut it
    assert channel.poll_started_at is None


@pytest.mark.django_db(transaction=True)
def test_the_task_returns_before_its_time_limit_and_slow_polls_still_record_themselves(
    x_channel, x_fake, settings, monkeypatch
):
    """Celery's time limits never reach the pool's threads: the task must not wait for ever (a hard limit
    would kill the process with every poll in it unrecorded)."""
    import time

    settings.CMHUB_POLL_THREADS = 4
    monkeypatch.setattr(tasks, "POLL_TASK_WAIT", dt.timedelta(seconds=0.05))
    x_fake.latency = 1.0
    other = services.channel_connect(
        workspace=x_channel.workspace,
        network="x",
        external_id=x_fake.add_user("brand2"),
        name="Brand 2",
        api_base_url=x_fake.base_url,
        credentials=p.Credentials(access_token=x_channel.credentials["access_token"]),
        by=None,
    )
    due = timezone.now().isoformat()
    tasks.poll_channels([(x_channel.pk, due), (other.pk, due)])
    assert not PollRun.objects.exists()  # returned while both polls were still waiting on the network
    for _ in range(200):
        if PollRun.objects.count() == 2:
            break
        time.sleep(0.05)
    assert set(PollRun.objects.values_list("outcome", flat=True)) == {"ok"}


def _x_brands(x_channel, x_fake, count: int) -> list[Channel]:
    """`count` more X channels on the fake, each due now, beside x_channel."""
    return [
        services.channel_connect(
            workspace=x_channel.workspace,
            network="x",
            external_id=x_fake.add_user(f"brand{n}"),
            name=f"Brand {n}",
            api_base_url=x_fake.base_url,
            credentials=p.Credentials(access_token=x_channel.credentials["access_token"]),
            by=None,
        )
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_task_hands_each_ended_poll_to_the_next_due_channel_within_the_networks_cap(
    x_channel, x_fake, settings, broker, django_capture_on_commit_callbacks
):
    """A network's cap bounds its polls in flight, not its polls per tick: before, a cap of 2 meant two
    polls per 5-second tick, whatever the workers could do (and the default caps are 4)."""
    settings.CMHUB_POLL_CONCURRENCY = {"x": 2}
    settings.CMHUB_POLL_THREADS = 4
    x_fake.latency = 0.1
    most_in_flight = count_requests_at_once(x_fake)
    channels = [x_channel, *_x_brands(x_channel, x_fake, 5)]
    Channel.objects.update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 2
    for _name, args in [m for m in broker.messages if m[0] == "networks.poll_channels"]:
        tasks.poll_channels(*args)
    for channel in channels:
        assert channel.poll_runs.get().outcome == "ok"
    assert most_in_flight[0] == 2  # overlapped, and never past the cap
    assert not Channel.objects.filter(poll_started_at__isnull=False).exists()


def test_the_embedded_default_hands_off_in_turn_and_only_for_a_while(
    x_channel, x_fake, settings, broker, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CMHUB_POLL_CONCURRENCY = {"x": 1}
    settings.CMHUB_POLL_THREADS = 1
    channels = [x_channel, *_x_brands(x_channel, x_fake, 3)]
    Channel.objects.update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 1
    [(_name, args)] = [m for m in broker.messages if m[0] == "networks.poll_channels"]
    tasks.poll_channels(*args)
    assert PollRun.objects.count() == len(channels)

    # Past POLL_HANDOFF_FOR the task ends with its own claims: the next tick hands out the rest.
    Channel.objects.update(next_poll_at=timezone.now() - dt.timedelta(seconds=1))
    monkeypatch.setattr(tasks, "POLL_HANDOFF_FOR", dt.timedelta(0))
    broker.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 1
    [(_name, args)] = [m for m in broker.messages if m[0] == "networks.poll_channels"]
    tasks.poll_channels(*args)
    assert PollRun.objects.count() == len(channels) + 1


def test_an_idle_poll_saves_without_a_lock_and_undoes_nothing_done_meanwhile(x_channel, x_fake):
    """An idle poll (most of them) saves with one conditional UPDATE instead of locking and reading the
    channel again: a person's pause, or another poll's cursor, made while it waited on the network stays."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tasks.poll_channel(x_channel.pk)  # the first poll reads the history
    with CaptureQueriesContext(connection) as idle:
        tasks.poll_channel(x_channel.pk)
    assert not any("FOR UPDATE" in q["sql"] for q in idle.captured_queries)
    assert x_channel.poll_runs.count() == 2

    read = Channel.objects.get(pk=x_channel.pk)
    Channel.objects.filter(pk=x_channel.pk).update(status=Channel.Status.PAUSED)
    empty = p.PollResult(items=[], cursor={"moved": "by us"})
    assert (
        services.channel_poll_succeeded(
            channel=read, result=empty, rate_limit=None, started_at=timezone.now(), unlocked=True
        )
        is None
    )
    channel = Channel.objects.get(pk=x_channel.pk)
    assert channel.status == Channel.Status.PAUSED and channel.cursor != {"moved": "by us"}

    Channel.objects.filter(pk=x_channel.pk).update(status=Channel.Status.ACTIVE)
    read = Channel.objects.get(pk=x_channel.pk)
    services.channel_poll_succeeded(
        channel=Channel.objects.get(pk=x_channel.pk),
        result=p.PollResult(items=[], cursor={"moved": "by another poll"}),
        rate_limit=None,
        started_at=timezone.now(),
    )
    assert (
        services.channel_poll_succeeded(
            channel=read, result=empty, rate_limit=None, started_at=timezone.now(), unlocked=True
        )
        is None
    )
    assert Channel.objects.get(pk=x_channel.pk).cursor == {"moved": "by another poll"}
