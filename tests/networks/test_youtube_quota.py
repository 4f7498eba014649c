"""YouTube's daily quota: the ledger every call is charged to, the planner that spreads polls over the
Pacific day, and a whole simulated day (a 23-hour one: California springs forward) of several channels
polling the fake, with comments arriving, replies and moderation in between."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import httpx
import pytest

from networks import quota, registry, services, tasks
from networks.fakes.youtube import YouTubeFake
from networks.models import Channel, PollRun, QuotaLedger
from networks.providers import base as p
from networks.providers import youtube_wire as wire
from tests.networks.connecting import wire_app

UTC = dt.UTC
# 2026-03-08 in California: 00:00 PST is 08:00 UTC, the next midnight (PDT) is 07:00 UTC on the 9th.
DAY_START = dt.datetime(2026, 3, 8, 8, 0, 30, tzinfo=UTC)
DAY_END = dt.datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
BRANDS = ["UCbrandOneAAAAAAAAAAAAAA", "UCbrandTwoAAAAAAAAAAAAAA", "UCbrandThreeAAAAAAAAAAAA"]
FAN = "UCfanAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def fake():
    with YouTubeFake() as yt:
        yield yt


@pytest.fixture
def youtube_app(db, fake):
    return wire_app("youtube", fake, client_id=fake.google_client_id, client_secret=fake.google_client_secret)


def _connect(workspace, fake, brand: str) -> Channel:
    fake.add_channel(brand, f"Brand {brand[-6:]}")
    fake.add_video(f"v{brand[2:12]}", brand, "A video")
    answer = fake.issue_token()
    credentials = p.Credentials(
        answer["access_token"],
        answer["refresh_token"],
        expires_at=dt.datetime.now(UTC) + dt.timedelta(seconds=answer["expires_in"]),
        scopes=(wire.SCOPE,),
    )
    return services.channel_connect(
        workspace=workspace,
        network="youtube",
        external_id=brand,
        name=f"Brand {brand[-6:]}",
        api_base_url=fake.base_url,
        credentials=credentials,
        by=None,
    )


def _policy():
    policy = registry.SPECS["youtube"].quota
    assert policy is not None
    return policy


def test_a_read_leaves_the_unused_reserve_to_writes_and_a_write_may_spend_the_day(db, settings):
    settings.CMHUB_YOUTUBE_DAILY_QUOTA = 200
    settings.CMHUB_YOUTUBE_QUOTA_RESERVE = 100
    meter = quota.LedgerMeter(_policy(), "project-1")
    for _ in range(100):
        meter.charge(1, write=False)
    with pytest.raises(p.RateLimited) as stopped:
        meter.charge(1, write=False)  # only the reserve is left
    assert stopped.value.reset_at == wire.quota_resets_at(dt.datetime.now(UTC))
    meter.charge(50, write=True)
    meter.charge(50, write=True)
    with pytest.raises(p.RateLimited):
        meter.charge(50, write=True)  # the whole day is spent
    row = QuotaLedger.objects.get(project="project-1")
    assert (row.spent, row.poll_units, row.write_units) == (200, 100, 100)


def test_writes_beyond_the_reserve_take_from_what_polls_left(db, settings):
    settings.CMHUB_YOUTUBE_DAILY_QUOTA = 300
    settings.CMHUB_YOUTUBE_QUOTA_RESERVE = 50
    meter = quota.LedgerMeter(_policy(), "p")
    for _ in range(3):
        meter.charge(50, write=True)  # 150 units of writes: the reserve (50) and 100 more
    for _ in range(150):
        meter.charge(1, write=False)
    with pytest.raises(p.RateLimited):
        meter.charge(1, write=False)
    assert QuotaLedger.objects.get(project="p").spent == 300


def test_the_network_saying_spent_stops_every_call_until_the_reset(db, time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 1, 6, 59, tzinfo=UTC), tick=False)  # 23:59 PDT
    meter = quota.LedgerMeter(_policy(), "p")
    meter.exhausted()
    with pytest.raises(p.RateLimited) as stopped:
        meter.charge(50, write=True)
    assert stopped.value.reset_at == dt.datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    time_machine.shift(dt.timedelta(minutes=2))  # a new Pacific day
    meter.charge(50, write=True)


def test_the_plan_spreads_what_is_left_over_the_time_left_and_never_below_the_interval(
    db, settings, workspace
):
    settings.CMHUB_YOUTUBE_DAILY_QUOTA = 10_000
    settings.CMHUB_YOUTUBE_QUOTA_RESERVE = 1_000
    for n in range(4):
        Channel.objects.create(
            workspace=workspace,
            network="youtube",
            external_id=f"UC{n}",
            name=f"c{n}",
            api_base_url="https://www.googleapis.com",
        )
    now = dt.datetime(2026, 6, 1, 19, 0, tzinfo=UTC)  # noon PDT: 12 hours left
    QuotaLedger.objects.create(
        network="youtube",
        project="default",
        day=dt.date(2026, 6, 1),
        spent=4_500,
        poll_units=4_500,
        polls=900,
    )
    plan = quota.plan(_policy(), "default", now=now)
    assert plan.units_per_poll == 5  # measured: 4,500 units over 900 polls
    assert plan.left_for_polls == 4_500
    # 900 polls left for 4 channels over 12 hours: one poll of each every 193 seconds.
    assert plan.interval == pytest.approx(12 * 3600 * 4 / (900 - 4))  # one round kept back
    assert plan.next_poll(60, now) >= now + dt.timedelta(seconds=192)
    assert plan.next_poll(600, now) >= now + dt.timedelta(seconds=600)  # never below its own interval
    spent = quota.plan(_policy(), "default", now=now.replace(hour=6))  # the previous Pacific day: empty
    assert spent.spent == 0


def test_a_spent_day_sleeps_every_channel_until_midnight_pacific(db, settings, workspace, youtube_app, fake):
    channel = _connect(workspace, fake, BRANDS[0])
    policy = _policy()
    now = dt.datetime.now(UTC)
    QuotaLedger.objects.create(
        network="youtube",
        project=fake.google_client_id,
        day=policy.day(now),
        spent=9_500,
        poll_units=9_500,
        polls=2_000,
    )
    with httpx.Client() as http:
        run = tasks.poll_once(channel, http=http)
    assert run.outcome == PollRun.Outcome.RATE_LIMITED
    channel.refresh_from_db()
    assert channel.next_poll_at >= policy.resets_at(now)
    assert fake.requests == []  # refused before anything left: the units were not there
    plan = registry.quota_plan("youtube")
    assert plan is not None and plan.interval is None
    assert plan.next_poll(60, now) >= policy.resets_at(now)
    # A reply still goes out: it draws from the reserve.
    top = fake.add_comment(f"v{BRANDS[0][2:12]}", FAN, "Question ?")
    with httpx.Client() as http:
        provider = registry.build_provider(channel, http=http)
        provider.reply(target=p.ReplyTarget(top, p.ItemKind.COMMENT), text="Réponse")


def test_a_quota_exceeded_from_google_stops_the_ledger(db, workspace, youtube_app, fake):
    channel = _connect(workspace, fake, BRANDS[0])
    fake.set_quota_limit(0)
    with httpx.Client() as http:
        run = tasks.poll_once(channel, http=http)
        assert run.outcome == PollRun.Outcome.RATE_LIMITED
        fake.set_quota_limit(10_000)
        provider = registry.build_provider(channel, http=http)
        with pytest.raises(p.RateLimited):  # Google's word stands for the rest of the day
            provider.hide_comment(comment_id="UgxAnyAAAA", hidden=True)
    assert QuotaLedger.objects.get().exhausted_at is not None


def test_a_whole_pacific_day_stays_within_the_quota_and_polls_every_channel(
    db, settings, workspace, youtube_app, fake, broker, django_capture_on_commit_callbacks, time_machine
):
    # A quarter of Google's default day (and of its reserve, five writes), so the day takes a quarter of
    # the polls: the planner's arithmetic is the same at any size.
    daily, reserve, write_count = 2_500, 250, 5
    settings.CMHUB_YOUTUBE_DAILY_QUOTA = daily
    settings.CMHUB_YOUTUBE_QUOTA_RESERVE = reserve
    time_machine.move_to(DAY_START, tick=False)
    channels = [_connect(workspace, fake, brand) for brand in BRANDS]
    videos = {c.pk: f"v{c.external_id[2:12]}" for c in channels}
    writes: list[str] = []
    refused_writes: list[str] = []
    # The clock jumps from one event to the next (a poll falling due, a comment, a write) as the beat's
    # dispatcher, ticking every few seconds, would find them.
    comments_at = [DAY_START + dt.timedelta(minutes=20 * n) for n in range(69)]
    writes_at = [DAY_START + dt.timedelta(minutes=35 + 280 * n) for n in range(write_count)]
    now = DAY_START
    with httpx.Client(timeout=10) as http:
        while now < DAY_END:
            while comments_at and comments_at[0] <= now:  # a comment every 20 minutes, channels in turn
                n = 69 - len(comments_at)
                comments_at.pop(0)
                channel = channels[n % len(channels)]
                status = "heldForReview" if n % 9 == 0 else "published"
                fake.add_comment(videos[channel.pk], FAN, f"Comment {n} at {now:%H:%M}", status=status)
            while writes_at and writes_at[0] <= now:  # a reply or an approval now and then: the reserve
                turn = write_count - len(writes_at)
                writes_at.pop(0)
                channel = channels[turn % len(channels)]
                tops = [
                    c
                    for c in fake.comments.values()
                    if c["channelId"] == channel.external_id and not c["parentId"]
                ]
                provider = services.provider_with_fresh_token(channel, http=http)
                try:
                    if turn % 2:
                        provider.hide_comment(comment_id=tops[-1]["id"], hidden=False)  # approve
                    else:
                        target = p.ReplyTarget(tops[-1]["id"], p.ItemKind.COMMENT)
                        provider.reply(target=target, text=f"Merci {turn}")
                    writes.append(str(turn))
                except p.RateLimited:
                    refused_writes.append(str(turn))
            broker.messages.clear()
            with django_capture_on_commit_callbacks(execute=True):
                tasks.dispatch_polls()
            for claims in broker.ids("networks.poll_channels"):
                tasks.poll_channels(claims)
            due = min(Channel.objects.values_list("next_poll_at", flat=True))
            events = [t for t in (due, *comments_at[:1], *writes_at[:1]) if t is not None]
            now = max(min(events), now + dt.timedelta(seconds=5))
            time_machine.move_to(now, tick=False)

    ledger = QuotaLedger.objects.get(day=dt.date(2026, 3, 8))
    spent_on_google = fake.quota_used[(fake.google_client_id, dt.date(2026, 3, 8))]
    assert ledger.spent <= daily and spent_on_google <= daily
    assert ledger.spent == spent_on_google  # every call the fake counted was charged first
    assert refused_writes == [] and len(writes) == write_count  # the writes fit, late in the day too
    # The day was used, not hoarded: most of what polls may spend was spent.
    assert ledger.poll_units >= 0.8 * (daily - reserve)
    # No channel starved: each was polled in every hour of the day.
    hours: dict[int, set[int]] = defaultdict(set)
    for run in PollRun.objects.filter(outcome=PollRun.Outcome.OK):
        hours[run.channel_id].add(int((run.started_at - DAY_START).total_seconds() // 3600))
    for channel in channels:
        assert hours[channel.pk] >= set(range(22)), f"{channel} was not polled every hour"
    assert not PollRun.objects.exclude(outcome=PollRun.Outcome.OK).exists()
    # Everything said on the channels reached the inbox, held ones included.
    from inbox.models import Message

    assert Message.objects.filter(channel__network="youtube", direction="in").count() == len(
        [c for c in fake.comments.values() if c["authorChannelId"] == FAN]
    )
