"""Composing, reviewing and scheduling posts: permissions, approvals, edits, time zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.http import Http404

from accounts.models import Membership
from networks.models import Channel
from posts import selectors, services
from posts.models import Post, PostEvent, PostTarget, PublishingPolicy, Review
from posts.services import PostError
from posts.states import IllegalTransition
from tests.factories import MembershipFactory

P = Post.Status
T = PostTarget.Status
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
LATER = dt.datetime(2031, 5, 4, 9, 0, tzinfo=dt.UTC)


def member(user) -> Membership:
    return user.memberships.get()


def submitted(post, by):
    return services.post_submit(post=post, by=member(by))


def approved(post, by_user, reviewer):
    services.post_submit(post=post, by=member(by_user))
    return services.review_approve(post=post, by=member(reviewer))


# --- Composing ---------------------------------------------------------------------------------------------


def test_a_draft_has_one_target_per_channel_and_a_history(draft, channels, agent):
    assert draft.status == P.DRAFT and draft.author == agent
    assert sorted(draft.targets.values_list("channel_id", flat=True)) == sorted(c.pk for c in channels)
    assert set(draft.targets.values_list("status", flat=True)) == {T.PENDING}
    assert list(PostEvent.objects.filter(post=draft).values_list("action", "actor")) == [
        ("created", agent.pk)
    ]


def test_channels_of_another_workspace_are_refused(agent, other_workspace):
    foreign = Channel.objects.create(
        workspace=other_workspace, network="x", external_id="9", name="Theirs", api_base_url="http://x"
    )
    with pytest.raises(PostError):
        services.post_create(author=member(agent), text="Hi", channels=[foreign])


def test_submit_refuses_with_the_words_of_each_network(agent, channels, django_capture_on_commit_callbacks):
    long_text = "Croissant " * 40  # 400 characters: fine on Facebook, too long for X
    post = services.post_create(author=member(agent), text=long_text, channels=channels)
    with pytest.raises(PostError) as refused:
        submitted(post, agent)
    assert list(refused.value.problems) == ["Acme on X"]
    assert Post.objects.get(pk=post.pk).status == P.DRAFT

    # Adapted for X, it goes.
    x = channels[0]
    services.post_update(post=post, by=member(agent), overrides={x.pk: "Croissants!"})
    with django_capture_on_commit_callbacks(execute=True):
        assert submitted(post, agent).status == P.IN_REVIEW


def test_an_empty_post_is_refused(agent, channels):
    post = services.post_create(author=member(agent), text="  ", channels=channels)
    with pytest.raises(PostError) as refused:
        submitted(post, agent)
    assert set(refused.value.problems) == {"Acme on X", "Acme Page"}


# --- Reviews -----------------------------------------------------------------------------------------------


def test_reviewers_are_told_and_the_author_hears_the_decision(
    draft, agent, manager, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted(draft, agent)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, owner.email])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post = services.review_approve(post=draft, by=member(manager))
    assert post.status == P.APPROVED
    assert [m.to for m in mail.outbox] == [[agent.email]] and "approved" in mail.outbox[0].subject


def test_an_agent_cannot_approve(draft, agent, workspace):
    other_agent = MembershipFactory(workspace=workspace, role=Membership.Role.AGENT)
    submitted(draft, agent)
    with pytest.raises(PostError, match="role"):
        services.review_approve(post=draft, by=other_agent)
    assert Post.objects.get(pk=draft.pk).status == P.IN_REVIEW


def test_an_author_never_approves_their_own_post(manager, channels):
    post = services.post_create(author=member(manager), text="Mine", channels=channels)
    submitted(post, manager)
    with pytest.raises(PostError, match="Someone else"):
        services.review_approve(post=post, by=member(manager))
    assert not Review.objects.exists()


def test_two_distinct_approvals_when_the_policy_says_two(workspace, agent, manager, owner, channels):
    PublishingPolicy.objects.create(workspace=workspace, approvals_required=2)
    post = services.post_create(author=member(agent), text="Big news", channels=channels)
    submitted(post, agent)
    assert services.review_approve(post=post, by=member(manager)).status == P.IN_REVIEW
    with pytest.raises(PostError, match="another person"):
        services.review_approve(post=post, by=member(manager))
    assert services.review_approve(post=post, by=member(owner)).status == P.APPROVED


def test_requesting_changes_needs_a_comment_and_drops_approvals(workspace, agent, manager, owner, channels):
    PublishingPolicy.objects.create(workspace=workspace, approvals_required=2)
    post = services.post_create(author=member(agent), text="Big news", channels=channels)
    submitted(post, agent)
    services.review_approve(post=post, by=member(manager))
    with pytest.raises(PostError):
        services.review_request_changes(post=post, by=member(owner), comment=" ")
    post = services.review_request_changes(post=post, by=member(owner), comment="Add the date")
    assert post.status == P.CHANGES_REQUESTED
    assert not Review.objects.filter(post=post, decision="approve", current=True).exists()
    # Back for review: the first approval does not count any more, two new ones are needed.
    submitted(post, agent)
    assert services.review_approve(post=post, by=member(manager)).status == P.IN_REVIEW


def test_reviewing_a_draft_is_an_illegal_transition(draft, manager):
    with pytest.raises(IllegalTransition):
        services.review_approve(post=draft, by=member(manager))


def test_an_outsider_cannot_reach_or_act_on_another_workspaces_post(draft, agent, outsider):
    with pytest.raises(Http404):
        selectors.get_post_for_member(member(outsider), draft.pk)
    with pytest.raises(Http404):
        selectors.get_target_for_member(member(outsider), draft.targets.first().pk)
    submitted(draft, agent)
    for action in (services.review_approve, services.post_cancel, services.post_duplicate):
        with pytest.raises(PostError, match="another workspace"):
            action(post=draft, by=member(outsider))
    assert Post.objects.get(pk=draft.pk).status == P.IN_REVIEW
    assert selectors.get_post_for_member(member(agent), draft.pk) == draft


# --- Edits and schedules -----------------------------------------------------------------------------------


def test_editing_an_approved_post_sends_it_back_to_review(draft, agent, manager):
    approved(draft, agent, manager)
    post = services.post_update(post=draft, by=member(agent), text="Fresh croissants at 7!")
    assert post.status == P.IN_REVIEW
    assert not Review.objects.filter(post=post, current=True).exists()
    assert Review.objects.filter(post=post, current=False).count() == 1  # kept for the history


def test_editing_a_scheduled_post_unschedules_its_targets(draft, agent, manager):
    approved(draft, agent, manager)
    services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    assert set(draft.targets.values_list("status", "next_attempt_at")) == {(T.SCHEDULED, LATER)}
    post = services.post_update(post=draft, by=member(agent), text="Other words")
    assert post.status == P.IN_REVIEW
    assert set(post.targets.values_list("status", "next_attempt_at")) == {(T.PENDING, None)}


def test_an_edit_that_changes_nothing_keeps_the_approval(draft, agent, manager):
    approved(draft, agent, manager)
    assert services.post_update(post=draft, by=member(agent), title="Internal name").status == P.APPROVED


def test_scheduling_needs_an_approved_post_and_a_future_aware_time(draft, agent, manager):
    with pytest.raises(IllegalTransition):
        services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    approved(draft, agent, manager)
    with pytest.raises(PostError):
        services.post_schedule(post=draft, by=member(agent), scheduled_at=dt.datetime(2031, 1, 1, 9))
    with pytest.raises(PostError, match="future"):
        services.post_schedule(
            post=draft, by=member(agent), scheduled_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
    assert services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER).status == P.SCHEDULED


def test_rescheduling_with_the_same_content_keeps_the_approval(draft, agent, manager):
    approved(draft, agent, manager)
    services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    later = LATER + dt.timedelta(days=1)
    post = services.post_reschedule(post=draft, by=member(agent), scheduled_at=later, text=draft.text)
    assert (post.status, post.scheduled_at) == (P.SCHEDULED, later)
    assert set(post.targets.values_list("next_attempt_at", flat=True)) == {later}
    assert Review.objects.filter(post=post, current=True).count() == 1


def test_rescheduling_with_new_words_drops_the_approval(draft, agent, manager):
    approved(draft, agent, manager)
    services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    later = LATER + dt.timedelta(days=1)
    post = services.post_reschedule(post=draft, by=member(agent), scheduled_at=later, text="New words")
    assert (post.status, post.scheduled_at) == (P.IN_REVIEW, later)
    assert not Review.objects.filter(post=post, current=True).exists()


def test_cancel_and_duplicate(draft, agent, manager):
    approved(draft, agent, manager)
    services.post_schedule(post=draft, by=member(agent), scheduled_at=LATER)
    post = services.post_cancel(post=draft, by=member(agent))
    assert post.status == P.CANCELLED
    assert set(post.targets.values_list("status", flat=True)) == {T.CANCELLED}
    with pytest.raises(IllegalTransition):
        services.post_cancel(post=draft, by=member(agent))
    copy = services.post_duplicate(post=draft, by=member(agent))
    assert (copy.status, copy.text, copy.scheduled_at) == (P.DRAFT, draft.text, None)
    assert copy.targets.count() == 2 and not copy.reviews.exists()


def test_only_failed_targets_are_retried(draft, agent):
    with pytest.raises(IllegalTransition):
        services.target_retry(target=draft.targets.first(), by=member(agent))


# --- Time zones --------------------------------------------------------------------------------------------


def test_a_time_skipped_by_spring_forward_lands_after_the_gap(workspace, draft, agent, manager):
    workspace.timezone = "Europe/Paris"
    workspace.save()
    # 28 March 2027: Paris clocks jump from 02:00 to 03:00; 02:30 does not exist.
    when = services.scheduled_at_from_local(
        workspace_timezone=workspace.timezone, local=dt.datetime(2027, 3, 28, 2, 30)
    )
    assert when == dt.datetime(2027, 3, 28, 1, 30, tzinfo=dt.UTC)
    assert when.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"
    approved(draft, agent, manager)
    post = services.post_schedule(post=draft, by=member(agent), scheduled_at=when)
    assert set(post.targets.values_list("next_attempt_at", flat=True)) == {when}


def test_nine_oclock_the_day_after_the_change_is_nine_local(workspace, draft, agent, manager):
    before = services.scheduled_at_from_local(
        workspace_timezone="Europe/Paris", local=dt.datetime(2027, 3, 27, 9)
    )
    after = services.scheduled_at_from_local(
        workspace_timezone="Europe/Paris", local=dt.datetime(2027, 3, 29, 9)
    )
    assert before == dt.datetime(2027, 3, 27, 8, 0, tzinfo=dt.UTC)  # CET, UTC+1
    assert after == dt.datetime(2027, 3, 29, 7, 0, tzinfo=dt.UTC)  # CEST, UTC+2
    assert after.astimezone(PARIS).hour == 9
    approved(draft, agent, manager)
    post = services.post_schedule(post=draft, by=member(agent), scheduled_at=after)
    post.refresh_from_db()
    assert post.scheduled_at == after and post.scheduled_at.astimezone(PARIS).strftime("%H:%M") == "09:00"
