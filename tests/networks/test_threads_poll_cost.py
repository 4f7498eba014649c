"""What a Threads poll reads: a quiet post costs one page, a busy profile's later posts are read in the end,
and a read-back never settles on a reply that does not say what it answers (found in review)."""

import datetime as dt
import functools

import pytest

from networks.providers import threads as threads_module
from networks.providers.base import ReplyTarget
from networks.providers.graph_scan import Run
from networks.providers.threads import PAGE_SIZE
from tests.networks import test_threads
from tests.networks.test_threads import World

world = test_threads.world  # the same fixture: a profile and Ada on a Threads fake


def _conversation_calls(world: World) -> int:
    return len([r for r in world.fake.requests if r.path.endswith("/conversation")])


def test_a_quiet_second_poll_reads_one_conversation_page(world: World) -> None:
    post = world.fake.add_post(world.brand, "Nouveau pain", ago=3600)
    for n in range(3 * PAGE_SIZE):
        world.fake.add_reply(post, world.ada, f"q{n}", ago=3000 - n)
    provider = world.provider()
    first = provider.poll(cursor={}, max_items=5000)
    assert len(first.items) == 3 * PAGE_SIZE
    before = _conversation_calls(world)
    second = provider.poll(cursor=first.cursor, max_items=5000)
    assert second.items == []
    assert _conversation_calls(world) - before == 1
    assert second.listings == ()  # not read whole: no listing to judge deletions by


def test_a_new_answer_deep_in_an_old_branch_is_filed_under_its_head_from_one_page(world: World) -> None:
    fake = world.fake
    post = fake.add_post(world.brand, "Nouveau pain", ago=7200)
    head = fake.add_reply(post, world.ada, "Il sort à quelle heure ?", ago=7000)
    ours = fake.add_reply(head, world.brand, "À 7 h.", ago=6900)
    for n in range(3 * PAGE_SIZE):  # pushes the branch three pages down
        fake.add_reply(post, world.ada, f"q{n}", ago=5000 - n)
    provider = world.provider()
    first = provider.poll(cursor={}, max_items=5000)
    before = _conversation_calls(world)

    late = fake.add_reply(ours, world.ada, "Merci !", ago=10)
    second = provider.poll(cursor=first.cursor, max_items=5000)

    [item] = second.items
    assert item.external_id == late
    assert item.parent_external_id == ours
    assert item.thread_root_external_id == head
    assert _conversation_calls(world) - before == 1


def test_a_busy_profile_reads_every_post_within_a_few_runs(world: World, monkeypatch) -> None:
    """The run's page budget is 200 in production; 5 here, so that two posts exceed it together."""
    monkeypatch.setattr(threads_module, "Run", functools.partial(Run, max_pages=5))
    posts = [world.fake.add_post(world.brand, f"post {n}", ago=7200 - n * 600) for n in range(3)]
    expected = {world.fake.add_reply(posts[0], world.ada, "Et le plus ancien ?", ago=100)}
    for post in posts[1:]:  # the two newest have 4 pages of replies each
        for n in range(4 * PAGE_SIZE):
            expected.add(world.fake.add_reply(post, world.ada, f"{post} q{n}", ago=3000 - n))
    provider = world.provider()
    cursor: dict = {}
    seen: list[str] = []
    for _run in range(4):
        result = provider.poll(cursor=cursor, max_items=5000)
        seen += [i.external_id for i in result.items]
        cursor = result.cursor
        if not result.has_more:
            break
    assert not result.has_more
    assert sorted(seen) == sorted(expected)  # every reply, each once
    assert provider.poll(cursor=cursor, max_items=5000).items == []


@pytest.mark.parametrize("omitted", [{"replied_to"}, {"replied_to", "root_post"}])
def test_find_reply_never_settles_on_a_reply_that_does_not_say_what_it_answers(
    world: World, omitted: set[str]
) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    one, two = (world.fake.add_reply(post, world.ada, f"q{n}") for n in range(2))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    world.provider().reply(target=ReplyTarget(one, post), text="Merci !", delivery_key="a")
    world.fake.world.omitted |= omitted
    assert world.provider().find_reply(target=ReplyTarget(two, post), text="Merci !", since=since) is None


def test_the_parents_kept_in_the_cursor_are_bounded(world: World, monkeypatch) -> None:
    monkeypatch.setattr(threads_module, "MAX_KNOWN_PARENTS", 50)
    post = world.fake.add_post(world.brand, "Nouveau pain", ago=3600)
    replies = [world.fake.add_reply(post, world.ada, f"q{n}", ago=3000 - n) for n in range(2 * PAGE_SIZE)]
    result = world.provider().poll(cursor={}, max_items=5000)
    kept = result.cursor["posts"][post]["up"]
    assert len(kept) == 50
    assert replies[-1] in kept  # the newest are the ones kept
