"""Polling a channel with the production client against a fake: items reach the storing apps with the
cursor, and each failure class does the right thing to the channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from networks import registry, services, tasks
from networks.models import Channel, PollRun
from networks.providers import base as p
from networks.signals import items_fetched


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
    assert broker.ids("networks.poll_channel") == [x_channel.pk]
    x_channel.refresh_from_db()
    assert x_channel.next_poll_at > timezone.now() + dt.timedelta(seconds=x_channel.poll_interval - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 0  # claimed once
    assert {later.pk, paused.pk}.isdisjoint(broker.ids("networks.poll_channel"))


def test_health_page_shows_each_channel(x_channel, x_fake, agent_client, django_assert_max_num_queries):
    x_fake.add_mention(x_channel.fake_brand, x_fake.add_user("lea"), "@demobakery hello")
    tasks.poll_once(x_channel)
    # One query for the channels with their 24-hour counts, whatever their number (plus session/user).
    with django_assert_max_num_queries(8):
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
    assert facebook.pk in broker.ids("networks.poll_channel")
    Channel.objects.filter(network="x").update(next_poll_at=timezone.now())  # all due again
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_polls() == 0  # the two X polls are still in flight
    # A finished poll frees its slot.
    polled_x = [pk for pk in broker.ids("networks.poll_channel") if pk != facebook.pk]
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
