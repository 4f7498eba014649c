"""The Overview page (/w/<slug>/): each figure on hand-built data, the empty workspace, tenancy, queries."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Membership
from inbox.models import Conversation, Message
from networks.models import Channel
from posts.models import Post, PostTarget, Review
from reports.overview import overview, today_volume

pytestmark = pytest.mark.django_db
# Wednesday 2 December 2026, 15:30 in Paris (UTC+1).
NOW = dt.datetime(2026, 12, 2, 14, 30, tzinfo=dt.UTC)
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _paris_zone(workspace):
    workspace.timezone = "Europe/Paris"
    workspace.save(update_fields=["timezone"])


def member_of(user) -> Membership:
    return Membership.objects.select_related("workspace", "user").get(user=user)


def conversation(channel: Channel, **fields) -> Conversation:
    return Conversation.objects.create(
        workspace=channel.workspace,
        channel=channel,
        kind="comment",
        root_external_id=str(next(_ids)),
        **fields,
    )


def inbound(channel: Channel, at: dt.datetime, *, conv: Conversation | None = None) -> Message:
    conv = conv or conversation(channel)
    return Message.objects.create(
        workspace=channel.workspace,
        conversation=conv,
        channel=channel,
        external_id=str(next(_ids)),
        created_at=at,
    )


def paris(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))


# --- Figures --------------------------------------------------------------------------------------------


def test_open_overdue_and_mine_count_what_the_inbox_quick_views_list(workspace, agent, manager, channels):
    x = channels[0]
    conversation(x, assignee=agent)
    conversation(x, assignee=manager)
    conversation(x, first_response_due_at=NOW - dt.timedelta(minutes=1))  # overdue
    conversation(x, first_response_due_at=NOW + dt.timedelta(minutes=1))  # due later: not overdue
    conversation(x, first_response_due_at=NOW - dt.timedelta(hours=1), first_response_at=NOW)  # answered
    conversation(x, status=Conversation.Status.RESOLVED, assignee=agent)  # no longer needs a person

    figures = overview(member_of(agent), now=NOW)

    assert (figures.open, figures.overdue, figures.assigned_to_me) == (5, 1, 1)


def test_waiting_for_my_approval_reuses_the_navigation_queues(workspace, agent, manager, channels, draft):
    conv = conversation(channels[0])
    Message.objects.create(
        workspace=workspace,
        conversation=conv,
        channel=channels[0],
        direction=Message.Direction.OUT,
        send_status=Message.SendStatus.PENDING_APPROVAL,
        author_user=agent,
    )
    Post.objects.filter(pk=draft.pk).update(status=Post.Status.IN_REVIEW)

    assert overview(member_of(manager), now=NOW).waiting == {"replies": 1, "posts": 1}
    # An agent approves nothing: no queue, and no card.
    assert overview(member_of(agent), now=NOW).waiting == {}
    # A post the manager approved already waits for someone else.
    Review.objects.create(post=draft, reviewer=manager, decision=Review.Decision.APPROVE)
    assert overview(member_of(manager), now=NOW).waiting["posts"] == 0


def test_today_counts_inbound_messages_since_midnight_in_the_workspace_zone(workspace, agent, channels):
    x = channels[0]
    inbound(x, paris(2, 0, 0))  # midnight in Paris: today
    inbound(x, paris(1, 23, 59))  # yesterday in Paris (22:59 UTC on the 1st)
    inbound(x, paris(2, 15, 0))
    conv = conversation(x)
    Message.objects.create(  # ours: not volume
        workspace=workspace,
        conversation=conv,
        channel=x,
        direction=Message.Direction.OUT,
        send_status=Message.SendStatus.SENT,
        created_at=paris(2, 10),
    )

    volume = today_volume(member_of(agent), now=NOW)

    assert volume.today == 2
    assert volume.since == paris(2, 0)


def test_usual_is_the_median_of_the_same_weekday_up_to_this_hour(workspace, agent, channels):
    x = channels[0]
    # The four previous Wednesdays (25, 18, 11, 4 Nov), each up to 15:30 Paris time: 1, 3, 4, 10 messages.
    for day, n in ((25, 1), (18, 3), (11, 4), (4, 10)):
        for i in range(n):
            inbound(x, paris(day, 9, i, month=11))
        inbound(x, paris(day, 15, 31, month=11))  # after this hour: not counted
    inbound(x, paris(28, 9, month=10))  # five weeks back: not counted
    inbound(x, paris(1, 12))  # Tuesday: another weekday

    volume = today_volume(member_of(agent), now=NOW)

    assert volume.usual == 3.5  # median of 1, 3, 4, 10
    assert volume.today == 0


def test_usual_is_unknown_in_a_workspace_with_no_history(workspace, agent, channels):
    inbound(channels[0], paris(2, 9))

    volume = today_volume(member_of(agent), now=NOW)

    assert (volume.today, volume.usual) == (1, None)


def test_the_usual_days_end_at_the_same_wall_clock_time_across_a_dst_change(workspace, agent, channels):
    # Wednesday 4 November 2026, 10:30 in Paris (UTC+1); four weeks back is 7 October (UTC+2).
    now = paris(4, 10, 30, month=11)
    inbound(channels[0], paris(7, 10, 29, month=10))  # before 10:30 on that day: counted
    inbound(channels[0], paris(7, 10, 31, month=10))  # 08:31 UTC, before 09:30 UTC but after 10:30 local

    volume = today_volume(member_of(agent), now=now)

    assert volume.usual == 0.0  # median of 0, 0, 0, 1
    inbound(channels[0], paris(14, 9, month=10))
    assert today_volume(member_of(agent), now=now).usual == 0.5


def test_channels_in_trouble_are_those_the_health_page_diagnoses(workspace, agent, channels):
    x = channels[0]
    x.status = Channel.Status.NEEDS_RECONNECT
    x.save(update_fields=["status"])

    troubled = overview(member_of(agent), now=NOW).troubled

    assert [t.channel for t in troubled] == [x]
    assert "no longer accepts this connection" in troubled[0].summary


def test_posts_going_out_next_are_the_next_five_scheduled(workspace, agent, channels):
    def scheduled(hours: int, status: str = Post.Status.SCHEDULED) -> Post:
        post = Post.objects.create(
            workspace=workspace,
            author=agent,
            text=f"in {hours}h",
            status=status,
            scheduled_at=NOW + dt.timedelta(hours=hours),
        )
        PostTarget.objects.create(post=post, channel=channels[0], status=PostTarget.Status.SCHEDULED)
        return post

    later = [scheduled(h) for h in (6, 1, 3, 2, 5, 4)]
    scheduled(-1)  # due already: going out now, not next
    Post.objects.create(workspace=workspace, author=agent, text="draft", scheduled_at=NOW)

    posts = overview(member_of(agent), now=NOW).posts

    assert [p.text for p in posts] == ["in 1h", "in 2h", "in 3h", "in 4h", "in 5h"]
    assert later[0] not in posts


# --- The page -------------------------------------------------------------------------------------------


def test_the_page_links_each_figure_to_its_list(workspace, manager, manager_client, channels):
    conversation(channels[0], first_response_due_at=NOW - dt.timedelta(minutes=5))
    with time_machine.travel(NOW, tick=False):
        page = manager_client.get("/w/acme/").content.decode()

    assert 'href="/w/acme/inbox/?overdue=on"' in page
    assert 'href="/w/acme/inbox/?assignee=me"' in page
    assert 'href="/w/acme/inbox/?status=all&amp;date_from=2026-12-02"' in page
    assert 'href="/w/acme/inbox/approvals/"' in page
    assert "card-posts" in page


def test_an_empty_workspace_says_what_to_do(workspace, owner_client, agent_client):
    page = owner_client.get("/w/acme/").content.decode()

    assert "No channel is connected yet." in page
    assert 'href="/w/acme/settings/channels/"' in page
    assert "No post is scheduled." in page
    assert "Nothing to compare with yet." in page
    # Someone who cannot connect channels is told who does.
    assert "A workspace admin connects" in agent_client.get("/w/acme/").content.decode()


def test_the_page_is_in_french_for_french_readers(workspace, agent, agent_client):
    agent.language = "fr"
    agent.save(update_fields=["language"])

    page = agent_client.get("/w/acme/").content.decode()

    assert "Ce qui attend quelqu’un" in page or "Ce qui attend" in page


def test_an_outsider_gets_404(workspace, outsider_client):
    assert outsider_client.get("/w/acme/").status_code == 404


def test_query_count_does_not_grow_with_channels_or_posts(
    workspace, manager, manager_client, channels, django_assert_num_queries, django_assert_max_num_queries
):
    # Guards the N+1 of the upcoming posts' channels (prefetched) and of the channels' health (annotated).
    def fill(n: int) -> None:
        for i in range(n):
            ch = Channel.objects.create(
                workspace=workspace, network="x", external_id=f"c{n}{i}", name=f"c{i}"
            )
            Channel.objects.filter(pk=ch.pk).update(status=Channel.Status.ERROR)
            post = Post.objects.create(
                workspace=workspace,
                author=manager,
                text="p",
                status=Post.Status.SCHEDULED,
                scheduled_at=timezone.now() + dt.timedelta(hours=i + 1),
            )
            PostTarget.objects.create(post=post, channel=ch)

    fill(1)
    manager_client.get("/w/acme/")
    with django_assert_max_num_queries(50) as first:
        manager_client.get("/w/acme/")
    fill(4)
    with django_assert_num_queries(len(first.captured_queries)):
        assert manager_client.get("/w/acme/").status_code == 200
