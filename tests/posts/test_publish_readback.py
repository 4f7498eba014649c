"""Unknown publish outcomes on Instagram and LinkedIn settled by reading the channel's own posts back, through
the production providers against the fakes over real HTTP (the X and Facebook cases are in test_publish.py).
The promise: a post the network applied is recorded with the id a successful publish would have stored,
never written twice; a post that never reached the network is published exactly once."""

from __future__ import annotations

from django.utils import timezone

from networks.fakes.graph import drop_after_fault
from posts import services
from posts.models import Post, PostTarget
from tests.posts.test_publish import jpeg, make_due, member, scheduled_post, target

P = Post.Status
T = PostTarget.Status


def instagram_post(fake, agent, manager, text="Fresh croissants at 8!") -> Post:
    asset = services.media_upload(member=member(agent), name="croissant.jpg", data=jpeg(), alt_text="")
    return scheduled_post([fake.channel], agent, manager, text=text, media=[asset])


def lose_the_worker_after_its_claim(post: Post, channel) -> int:
    """The claim happened, then the worker died: the stale lease turns the target `unknown`."""
    make_due(post)
    tid = target(post, channel).pk
    assert services.target_claim(tid)
    PostTarget.objects.filter(pk=tid).update(next_attempt_at=timezone.now() - services.PUBLISHING_STALE * 2)
    services.targets_dispatch_due()
    assert PostTarget.objects.get(pk=tid).status == T.UNKNOWN
    make_due(post)
    return tid


# --- Instagram ---------------------------------------------------------------------------------------------


def test_an_instagram_post_whose_answer_was_lost_is_found_by_reading_back_not_sent_again(
    instagram_account, agent, manager
):
    instagram_account.inject(drop_after_fault(r"/media_publish$"))
    post = instagram_post(instagram_account, agent, manager)
    make_due(post)
    tid = target(post, instagram_account.channel).pk
    assert services.target_process(tid) == T.UNKNOWN
    assert services.target_publish(tid) is None  # an unknown target is never simply published again
    make_due(post)

    assert services.target_process(tid) == T.PUBLISHED

    media = instagram_account.media()
    assert len(instagram_account.writes()) == 1 and len(media) == 1
    the_target = PostTarget.objects.get(pk=tid)
    assert the_target.external_id == media[0].id  # the media id media_publish would have answered
    assert the_target.permalink == f"https://www.instagram.com/p/C{media[0].id[-8:]}/"
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def test_an_instagram_post_that_never_reached_the_network_is_published_once(
    instagram_account, agent, manager
):
    post = instagram_post(instagram_account, agent, manager)
    tid = lose_the_worker_after_its_claim(post, instagram_account.channel)

    assert services.target_process(tid) == T.PUBLISHED

    media = instagram_account.media()
    assert len(instagram_account.writes()) == 1 and len(media) == 1
    assert PostTarget.objects.get(pk=tid).external_id == media[0].id


def test_an_instagram_post_written_by_a_worker_killed_mid_request_is_not_sent_again(
    instagram_account, agent, manager
):
    post = instagram_post(instagram_account, agent, manager, text="Landed before the crash")
    make_due(post)
    tid = target(post, instagram_account.channel).pk
    assert services.target_claim(tid)
    landed = instagram_account.add_media(
        instagram_account.ig_user.id, "Landed before the crash"
    )  # the dead request
    PostTarget.objects.filter(pk=tid).update(next_attempt_at=timezone.now() - services.PUBLISHING_STALE * 2)
    services.targets_dispatch_due()
    make_due(post)

    assert services.target_process(tid) == T.PUBLISHED

    assert instagram_account.writes() == [] and len(instagram_account.media()) == 1
    assert PostTarget.objects.get(pk=tid).external_id == landed.id


# --- LinkedIn ----------------------------------------------------------------------------------------------


def test_a_linkedin_post_whose_answer_was_lost_is_found_by_reading_back_not_sent_again(
    linkedin_account, agent, manager
):
    linkedin_account.drop_after("/rest/posts$")
    post = scheduled_post([linkedin_account.channel], agent, manager, text="Hiring (bakers) #jobs")
    make_due(post)
    tid = target(post, linkedin_account.channel).pk
    assert services.target_process(tid) == T.UNKNOWN
    assert services.target_publish(tid) is None
    make_due(post)

    assert services.target_process(tid) == T.PUBLISHED

    posts = linkedin_account.org_posts()
    assert len(linkedin_account.writes()) == 1 and len(posts) == 1
    the_target = PostTarget.objects.get(pk=tid)
    assert the_target.external_id == posts[0]  # the URN x-restli-id would have carried
    assert the_target.permalink == f"https://www.linkedin.com/feed/update/{posts[0]}"
    assert Post.objects.get(pk=post.pk).status == P.PUBLISHED


def test_a_linkedin_post_that_never_reached_the_network_is_published_once(linkedin_account, agent, manager):
    post = scheduled_post([linkedin_account.channel], agent, manager)
    tid = lose_the_worker_after_its_claim(post, linkedin_account.channel)

    assert services.target_process(tid) == T.PUBLISHED

    posts = linkedin_account.org_posts()
    assert len(linkedin_account.writes()) == 1 and len(posts) == 1
    assert PostTarget.objects.get(pk=tid).external_id == posts[0]


def test_a_linkedin_post_written_by_a_worker_killed_mid_request_is_not_sent_again(
    linkedin_account, agent, manager
):
    post = scheduled_post([linkedin_account.channel], agent, manager, text="Landed before the crash")
    make_due(post)
    tid = target(post, linkedin_account.channel).pk
    assert services.target_claim(tid)
    landed = linkedin_account.add_post(linkedin_account.org, "Landed before the crash")  # the dead request
    PostTarget.objects.filter(pk=tid).update(next_attempt_at=timezone.now() - services.PUBLISHING_STALE * 2)
    services.targets_dispatch_due()
    make_due(post)

    assert services.target_process(tid) == T.PUBLISHED

    assert linkedin_account.writes() == [] and linkedin_account.org_posts() == [landed]
    assert PostTarget.objects.get(pk=tid).external_id == landed
