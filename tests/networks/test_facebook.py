"""FacebookProvider against GraphFake over real HTTP: polling, replying, publishing, errors, OAuth."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from networks.fakes import consent as consent_page
from networks.fakes.base import Fault, Response
from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import (
    Post,
    drop_after_fault,
    expired_token_fault,
    graph_error_fault,
    graph_time,
    rate_limit_fault,
    server_error_fault,
)
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Credentials,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    PermissionMissing,
    RateLimited,
    ReplyTarget,
    Transient,
)
from networks.providers.facebook import FacebookProvider
from networks.providers.graph import DEFAULT_RATE_LIMIT_WAIT, GRAPH_VERSION
from networks.providers.graph_oauth import authorize_url, exchange_code, list_pages

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


@pytest.fixture(scope="module")
def graph_server():
    fake = GraphFake(page_size=3).start()
    yield fake
    fake.stop()


@pytest.fixture
def graph_fake(graph_server):
    graph_server.reset(page_size=3)
    return graph_server


@pytest.fixture
def graph_http():
    with httpx.Client(timeout=httpx.Timeout(3.0)) as client:
        yield client


@pytest.fixture
def graph_page(graph_fake):
    return graph_fake.add_page("Acme Bakery")


def facebook(fake: GraphFake, page, http: httpx.Client, **options) -> FacebookProvider:
    account = Account(Network.FACEBOOK, page.id, fake.base_url, Credentials(access_token=page.token))
    return FacebookProvider(account, http=http, page_size=3, **options)


def drain(provider, cursor, *, max_items=500, runs=50):
    """Poll until the provider says nothing is left; every item of every run, and the last cursor."""
    items = []
    for _ in range(runs):
        result = provider.poll(cursor=cursor, max_items=max_items)
        items += result.items
        cursor = json.loads(json.dumps(result.cursor))  # as stored by the caller: JSON only
        if not result.has_more:
            return items, cursor
    raise AssertionError("the poll never finished")


def seed_thread(fake: GraphFake, post: Post, count: int, start: dt.datetime) -> list[str]:
    return [
        fake.add_comment(post.id, f"comment {i}", start + dt.timedelta(minutes=i)).id for i in range(count)
    ]


def comment_calls(fake: GraphFake, post_id: str) -> list:
    return [r for r in fake.requests if r.path.endswith(f"/{post_id}/comments") and r.method == "GET"]


# --- Polling ---------------------------------------------------------------------------------------------


def test_poll_reads_every_page_of_comments_and_replies(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "New croissants", ago(hours=5))
    top_ids = seed_thread(graph_fake, post, 7, ago(hours=4))
    reply = graph_fake.add_comment(post.id, "Me too!", ago(hours=3), parent_id=top_ids[2])

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert [i.external_id for i in result.items] == [reply.id, *reversed(top_ids)]
    assert len(comment_calls(graph_fake, post.id)) == 3  # 8 items, 3 per page
    assert result.has_more is False
    first = comment_calls(graph_fake, post.id)[0]
    assert first.arg("filter") == "stream" and first.arg("order") == "reverse_chronological"
    assert first.path.startswith(f"/{GRAPH_VERSION}/")


def test_the_token_travels_in_the_authorization_header_never_the_url(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "New croissants", ago(hours=5))
    seed_thread(graph_fake, post, 7, ago(hours=4))
    facebook(graph_fake, graph_page, graph_http).poll(cursor={})
    assert graph_fake.requests
    for request in graph_fake.requests:
        assert "access_token" not in request.query, request.path
        assert request.headers.get("authorization") == f"Bearer {graph_page.token}"


def test_poll_maps_comments_to_engagement_items(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    top = graph_fake.add_comment(post.id, "Open on Sunday?", ago(hours=2), author={"id": "42", "name": "Ana"})
    hidden_author = graph_fake.add_comment(post.id, "Anonymous", ago(hours=1), author=None)
    reply = graph_fake.add_comment(
        post.id,
        "Yes!",
        ago(minutes=30),
        parent_id=top.id,
        attachment={"type": "photo", "media": {"image": {"src": "https://cdn.example/p.jpg"}}},
    )

    items = {i.external_id: i for i in facebook(graph_fake, graph_page, graph_http).poll(cursor={}).items}

    first = items[top.id]
    assert (first.kind, first.text, first.created_at) == (ItemKind.COMMENT, "Open on Sunday?", ago(hours=2))
    assert (first.author.external_id, first.author.name) == ("42", "Ana")
    assert first.thread_root_external_id == top.id and first.parent_external_id == ""
    assert first.post_external_id == post.id
    assert first.post_text == "Menu"  # the post's words, read with the post list (fields=message)
    assert first.post_permalink.startswith("https://www.facebook.com/")
    assert first.permalink.startswith("https://www.facebook.com/") and "comment_id=" in first.permalink
    assert items[hidden_author.id].author is None
    answer = items[reply.id]
    assert answer.kind == ItemKind.REPLY
    assert answer.parent_external_id == top.id and answer.thread_root_external_id == top.id
    assert answer.attachments[0].kind == "image"
    assert answer.attachments[0].preview_url == "https://cdn.example/p.jpg"


def test_second_poll_returns_only_newer_items(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    seed_thread(graph_fake, post, 5, ago(hours=4))
    provider = facebook(graph_fake, graph_page, graph_http)
    first = provider.poll(cursor={})
    newer = graph_fake.add_comment(post.id, "Later", ago(minutes=5))

    second = provider.poll(cursor=json.loads(json.dumps(first.cursor)))

    assert [i.external_id for i in second.items] == [newer.id]
    assert provider.poll(cursor=second.cursor).items == []
    # No Graph paging cursor is kept: they die with the object they point at.
    assert "after" not in json.dumps(second.cursor)


def test_comment_in_the_same_second_as_the_mark_is_not_lost(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    moment = ago(minutes=10)
    graph_fake.add_comment(post.id, "First", moment)
    provider = facebook(graph_fake, graph_page, graph_http)
    cursor = provider.poll(cursor={}).cursor
    twin = graph_fake.add_comment(post.id, "Same second", moment)

    assert [i.external_id for i in provider.poll(cursor=cursor).items] == [twin.id]


def test_empty_page_that_still_has_next_is_followed(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    ids = seed_thread(graph_fake, post, 5, ago(hours=4))
    graph_fake.add_empty_page(rf"/{post.id}/comments$", times=2)

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(ids)
    assert len(comment_calls(graph_fake, post.id)) == 4  # two empty pages, then 3 + 2


def test_bounded_run_stops_with_has_more_and_resumes_without_loss(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    ids = seed_thread(graph_fake, post, 10, ago(hours=4))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    first = provider.poll(cursor={}, max_items=4)
    assert len(first.items) == 4 and first.has_more is True
    # New comments while the backlog is being read must not be lost either.
    late = graph_fake.add_comment(post.id, "Late", ago(minutes=1)).id
    rest, cursor = drain(provider, first.cursor, max_items=4)

    delivered = [i.external_id for i in first.items + rest]
    assert sorted(delivered) == sorted([*ids, late])  # each exactly once
    assert provider.poll(cursor=cursor).items == []


def test_a_backfill_reads_each_page_about_once_however_long_the_post(graph_fake, graph_page, graph_http):
    """700 comments, 3 per page, 10 per run: walking from the top at every run read the delivered part
    again and again, and stopped for good once it alone outgrew a run's 200 pages."""
    post = graph_fake.add_post(graph_page.id, "Giveaway", ago(days=2))
    ids = seed_thread(graph_fake, post, 700, ago(days=1))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    items, _ = drain(provider, {}, max_items=10, runs=100)

    assert sorted(i.external_id for i in items) == sorted(ids)  # each exactly once
    pages = -(-700 // 3)
    assert len(comment_calls(graph_fake, post.id)) < 3 * pages  # the top, the page resumed, its next


def test_a_backfill_resumes_without_loss_when_deletions_move_its_cursor(graph_fake, graph_page, graph_http):
    """The fake's cursors count positions: deleting comments above the stop makes the kept cursor
    point further down the list, past comments never delivered. The walk must notice, and read on."""
    post = graph_fake.add_post(graph_page.id, "Giveaway", ago(days=2))
    ids = seed_thread(graph_fake, post, 60, ago(days=1))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    first = provider.poll(cursor={}, max_items=20)
    delivered = [i.external_id for i in first.items]
    for gone in delivered[:9]:  # three pages' worth above the stop
        graph_fake.delete_object(gone)
    late = graph_fake.add_comment(post.id, "Late", ago(minutes=1)).id
    rest, _ = drain(provider, json.loads(json.dumps(first.cursor)), max_items=20)

    delivered += [i.external_id for i in rest]
    assert sorted(delivered) == sorted([*ids, late])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    schedule=st.lists(
        st.tuples(st.integers(0, 6), st.booleans(), st.integers(1, 5)),  # arrivals, same second?, budget
        min_size=1,
        max_size=6,
    )
)
def test_any_schedule_of_arrivals_and_budgets_delivers_each_comment_once(graph_fake, graph_http, schedule):
    page = graph_fake.add_page()
    post = graph_fake.add_post(page.id, "Menu", ago(hours=10))
    provider = facebook(graph_fake, page, graph_http, poll_messages=False)
    moment, created, delivered, cursor = ago(hours=9), [], [], {}
    for arrivals, same_second, budget in schedule:
        for _ in range(arrivals):
            moment += dt.timedelta(seconds=0 if same_second else 1)
            parent = created[len(created) // 2] if created and not same_second else ""
            created.append(graph_fake.add_comment(post.id, "x", moment, parent_id=parent).id)
        result = provider.poll(cursor=cursor, max_items=budget)
        delivered += [i.external_id for i in result.items]
        cursor = json.loads(json.dumps(result.cursor))
    rest, _ = drain(provider, cursor, max_items=3)
    delivered += [i.external_id for i in rest]

    assert sorted(delivered) == sorted(created)


def test_posts_outside_the_lookback_window_are_not_read(graph_fake, graph_page, graph_http):
    old = graph_fake.add_post(graph_page.id, "Last year", ago(days=400))
    graph_fake.add_comment(old.id, "Necro", ago(minutes=5))
    recent = graph_fake.add_post(graph_page.id, "Today", ago(hours=1))
    fresh = graph_fake.add_comment(recent.id, "Nice", ago(minutes=5))

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert [i.external_id for i in result.items] == [fresh.id]
    assert comment_calls(graph_fake, old.id) == []


def test_deleted_comments_disappear_and_a_deleted_post_does_not_stop_the_poll(
    graph_fake, graph_page, graph_http
):
    gone_post = graph_fake.add_post(graph_page.id, "Deleted soon", ago(hours=2))
    kept_post = graph_fake.add_post(graph_page.id, "Kept", ago(hours=3))
    graph_fake.add_comment(gone_post.id, "On a doomed post", ago(hours=1))
    deleted = graph_fake.add_comment(kept_post.id, "Spam", ago(minutes=50))
    kept = graph_fake.add_comment(kept_post.id, "Hello", ago(minutes=40))
    graph_fake.delete_object(deleted.id)
    # The post is listed, then deleted before its comments are read: Graph answers 100/33.
    graph_fake.inject(
        graph_error_fault(
            rf"/{gone_post.id}/comments$", code=100, subcode=33, error_type="GraphMethodException"
        )
    )

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert [i.external_id for i in result.items] == [kept.id]
    assert gone_post.id not in result.cursor["posts"]


def test_garbage_cursor_starts_over_instead_of_failing(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    cursor = {"posts": {post.id: {"t": "not a time", "pending": "??"}}, "inbox": []}

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor=cursor)

    assert [i.external_id for i in result.items] == [comment.id]


MALFORMED = st.one_of(
    st.fixed_dictionaries({"message": st.text(max_size=5)}),  # no id
    st.fixed_dictionaries({"id": st.integers(), "created_time": st.just(graph_time(NOW))}),
    st.fixed_dictionaries({"id": st.just("c1"), "created_time": st.text(max_size=8)}),
    st.fixed_dictionaries({"id": st.just("c2"), "created_time": st.integers()}),
    st.fixed_dictionaries({"id": st.just("c3"), "created_time": st.just(graph_time(NOW)), "from": st.text()}),
    st.fixed_dictionaries(
        {"id": st.just("c4"), "created_time": st.just(graph_time(NOW)), "from": st.just({})}
    ),
    st.fixed_dictionaries(
        {"id": st.just("c5"), "created_time": st.just(graph_time(NOW)), "message": st.integers()}
    ),
    st.fixed_dictionaries(
        {"id": st.just("c6"), "created_time": st.just(graph_time(NOW)), "parent": st.lists(st.integers())}
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.one_of(st.tuples(st.just("valid"), st.text(max_size=20)), MALFORMED), max_size=12))
def test_malformed_comments_are_skipped_and_logged_without_losing_valid_ones(
    graph_fake, graph_http, caplog, entries
):
    page = graph_fake.add_page()
    post = graph_fake.add_post(page.id, "Menu", ago(hours=10))
    valid, broken = [], 0
    for index, entry in enumerate(entries):
        moment = ago(hours=5) + dt.timedelta(minutes=index)
        if isinstance(entry, tuple):
            valid.append(graph_fake.add_comment(post.id, entry[1], moment).id)
        else:
            graph_fake.add_raw_comment(post.id, entry, moment)
            broken += 1
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="networks.providers.facebook"):
        result = facebook(graph_fake, page, graph_http, poll_messages=False).poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(valid)
    assert result.skipped == broken
    skips = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(skips) == broken
    assert all(page.token not in r.getMessage() for r in caplog.records)


def test_tokens_never_reach_the_logs(graph_fake, graph_page, graph_http, caplog):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    seed_thread(graph_fake, post, 4, ago(hours=4))
    graph_fake.add_raw_comment(post.id, {"id": 1}, ago(hours=3))
    provider = facebook(graph_fake, graph_page, graph_http)
    graph_fake.inject(server_error_fault(r"/feed$", method="POST"))

    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="httpx"):
        provider.poll(cursor={})
        with pytest.raises(Transient):
            provider.publish(text="Hello")

    assert "HTTP Request" in caplog.text  # httpx did log the URLs...
    assert graph_page.token not in caplog.text  # ...with the token blanked


# --- Messenger conversations -------------------------------------------------------------------------------


def test_poll_reads_messenger_conversations_as_direct_messages(graph_fake, graph_page, graph_http):
    customer = {"id": "psid-7", "name": "Dominique"}
    sent = [
        graph_fake.add_conversation_message(graph_page.id, customer, f"Hi {i}", ago(minutes=60 - i)).id
        for i in range(5)
    ]
    other = graph_fake.add_conversation_message(graph_page.id, None, "Other thread", ago(minutes=30))
    provider = facebook(graph_fake, graph_page, graph_http)

    result = provider.poll(cursor={})

    messages = [i for i in result.items if i.kind == ItemKind.DIRECT_MESSAGE]
    assert sorted(i.external_id for i in messages) == sorted([*sent, other.id])  # 5 messages: 2 pages
    first = next(i for i in messages if i.external_id == sent[0])
    assert first.author.external_id == "psid-7" and first.text == "Hi 0"
    assert first.thread_root_external_id == graph_fake.objects[sent[0]].conversation_id
    assert {i.thread_root_external_id for i in messages} == {
        graph_fake.objects[sent[0]].conversation_id,
        other.conversation_id,
    }

    newer = graph_fake.add_conversation_message(graph_page.id, customer, "Still there?", ago(minutes=1))
    assert [i.external_id for i in provider.poll(cursor=result.cursor).items] == [newer.id]


def test_missing_messaging_permission_leaves_comment_polling_working(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    graph_fake.inject(
        graph_error_fault(r"/conversations$", code=200, message="(#200) Requires pages_messaging permission")
    )

    result = facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert [i.external_id for i in result.items] == [comment.id]


# --- Errors while polling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_rate_limit_codes_raise_rate_limited_with_the_header_reset(graph_fake, graph_page, graph_http, code):
    graph_fake.inject(rate_limit_fault(r"/feed$", code=code, minutes=12, owner_id=graph_page.id))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    with pytest.raises(RateLimited) as caught:
        provider.poll(cursor={})

    expected = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=12)
    assert abs((caught.value.reset_at - expected).total_seconds()) < 5
    assert caught.value.status == 400


def test_rate_limit_without_an_estimate_waits_the_default(graph_fake, graph_page, graph_http):
    graph_fake.inject(rate_limit_fault(r"/feed$", code=4, minutes=0))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    with pytest.raises(RateLimited) as caught:
        provider.poll(cursor={})

    expected = dt.datetime.now(dt.UTC) + DEFAULT_RATE_LIMIT_WAIT
    assert abs((caught.value.reset_at - expected).total_seconds()) < 5


def test_http_429_with_retry_after_is_rate_limited(graph_fake, graph_page, graph_http):
    graph_fake.inject(Fault(r"/feed$", response=Response(429, "slow down", {"retry-after": "90"})))
    provider = facebook(graph_fake, graph_page, graph_http, poll_messages=False)

    with pytest.raises(RateLimited) as caught:
        provider.poll(cursor={})

    assert 85 < (caught.value.reset_at - dt.datetime.now(dt.UTC)).total_seconds() <= 90


def test_usage_headers_update_the_rate_limit_state(graph_fake, graph_page, graph_http):
    graph_fake.set_usage(
        app={"call_count": 40, "total_cputime": 75, "total_time": 10}, buc={"call_count": 20}
    )
    provider = facebook(graph_fake, graph_page, graph_http)

    provider.poll(cursor={})

    assert (provider.rate_limit.remaining, provider.rate_limit.limit) == (25, 100)
    graph_fake.set_usage(buc={"call_count": 100, "estimated_time_to_regain_access": 30})
    provider.poll(cursor={})
    assert provider.rate_limit.remaining == 0
    assert 29 * 60 < (provider.rate_limit.reset_at - dt.datetime.now(dt.UTC)).total_seconds() <= 30 * 60


@pytest.mark.parametrize("subcode", [463, 460, 458, 459])
def test_expired_or_revoked_token_raises_auth_expired(graph_fake, graph_page, graph_http, subcode):
    graph_fake.expire_token(graph_page.token, subcode=subcode)

    with pytest.raises(AuthExpired) as caught:
        facebook(graph_fake, graph_page, graph_http).poll(cursor={})

    assert "validating access token" in caught.value.network_message


def test_server_error_is_transient(graph_fake, graph_page, graph_http):
    graph_fake.inject(server_error_fault(r"/feed$", status=503))

    with pytest.raises(Transient):
        facebook(graph_fake, graph_page, graph_http, poll_messages=False).poll(cursor={})


def test_unreachable_graph_is_transient(graph_page, graph_http):
    with GraphFake() as fake:
        closed_url = fake.base_url  # nothing listens there once the fake stops
    account = Account(Network.FACEBOOK, graph_page.id, closed_url, Credentials(graph_page.token))

    with pytest.raises(Transient):
        FacebookProvider(account, http=graph_http).poll(cursor={})


def test_connection_dropped_on_a_read_is_transient(graph_fake, graph_page, graph_http):
    graph_fake.inject(drop_after_fault(r"/feed$", method="GET"))

    with pytest.raises(Transient):
        facebook(graph_fake, graph_page, graph_http, poll_messages=False).poll(cursor={})


# --- Reply -------------------------------------------------------------------------------------------------


def test_reply_to_a_comment_comes_back_in_the_next_poll(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Gluten free?", ago(hours=1))
    provider = facebook(graph_fake, graph_page, graph_http)
    cursor = provider.poll(cursor={}).cursor

    result = provider.reply(target=ReplyTarget(comment.id, ItemKind.COMMENT, post.id), text="Yes, on Fridays")

    assert "comment_id=" in result.permalink
    [echo] = provider.poll(cursor=cursor).items
    assert echo.external_id == result.external_id
    assert (echo.kind, echo.thread_root_external_id, echo.text) == (
        ItemKind.REPLY,
        comment.id,
        "Yes, on Fridays",
    )
    assert echo.author.external_id == graph_page.id


def test_reply_to_a_reply_goes_under_the_top_level_comment(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    top = graph_fake.add_comment(post.id, "Question", ago(hours=2))
    nested = graph_fake.add_comment(post.id, "Same question", ago(hours=1), parent_id=top.id)
    target = ReplyTarget(
        nested.id, ItemKind.REPLY, post.id, parent_external_id=top.id, thread_root_external_id=top.id
    )

    result = facebook(graph_fake, graph_page, graph_http).reply(target=target, text="Answer")

    assert graph_fake.objects[result.external_id].parent_id == top.id
    assert any(r.method == "POST" and r.path.endswith(f"/{top.id}/comments") for r in graph_fake.requests)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (expired_token_fault(r"/comments$", method="POST"), AuthExpired),
        (rate_limit_fault(r"/comments$", code=32, minutes=3, method="POST"), RateLimited),
        (server_error_fault(r"/comments$", method="POST"), Transient),
        (
            graph_error_fault(r"/comments$", code=200, message="(#200) Permissions error", method="POST"),
            PermissionMissing,
        ),
        (
            graph_error_fault(
                r"/comments$", code=10, message="(#10) Requires pages_manage_engagement", method="POST"
            ),
            PermissionMissing,
        ),
        (
            graph_error_fault(r"/comments$", code=100, message="(#100) Invalid parameter", method="POST"),
            Invalid,
        ),
        (
            graph_error_fault(
                r"/comments$", code=368, message="Blocked from commenting", subcode=1390008, method="POST"
            ),
            RateLimited,
        ),
    ],
)
def test_reply_failures_map_to_the_taxonomy(graph_fake, graph_page, graph_http, fault, error):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    graph_fake.inject(fault)

    with pytest.raises(error):
        facebook(graph_fake, graph_page, graph_http).reply(
            target=ReplyTarget(comment.id, ItemKind.COMMENT), text="Hi"
        )


def test_reply_to_a_deleted_comment_is_not_found(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    graph_fake.delete_object(comment.id)

    with pytest.raises(NotFound):
        facebook(graph_fake, graph_page, graph_http).reply(
            target=ReplyTarget(comment.id, ItemKind.COMMENT), text="Hi"
        )


def test_reply_dropped_after_sending_is_ambiguous_and_was_applied(graph_fake, graph_page, graph_http):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    graph_fake.inject(drop_after_fault(rf"/{comment.id}/comments$"))

    with pytest.raises(Ambiguous):
        facebook(graph_fake, graph_page, graph_http).reply(
            target=ReplyTarget(comment.id, ItemKind.COMMENT), text="Hello"
        )

    assert [c.message for c in graph_fake.objects.values() if getattr(c, "parent_id", "") == comment.id] == [
        "Hello"
    ]


def test_reply_timing_out_after_sending_is_ambiguous(graph_fake, graph_page):
    post = graph_fake.add_post(graph_page.id, "Menu", ago(hours=5))
    comment = graph_fake.add_comment(post.id, "Hi", ago(hours=1))
    graph_fake.inject(Fault(rf"/{comment.id}/comments$", kind="delay", seconds=1.0, method="POST"))

    with httpx.Client(timeout=httpx.Timeout(0.3)) as impatient, pytest.raises(Ambiguous):
        facebook(graph_fake, graph_page, impatient).reply(
            target=ReplyTarget(comment.id, ItemKind.COMMENT), text="Hi"
        )


def test_blank_or_too_long_reply_is_refused_before_any_call(graph_fake, graph_page, graph_http):
    provider = facebook(graph_fake, graph_page, graph_http)
    target = ReplyTarget("123_456", ItemKind.COMMENT)

    for text in ("  ", "x" * 63_207):
        with pytest.raises(Invalid):
            provider.reply(target=target, text=text)
    assert graph_fake.requests == []


def test_reply_to_a_direct_message_sends_through_messenger(graph_fake, graph_page, graph_http):
    customer = {"id": "psid-9", "name": "Sam"}
    message = graph_fake.add_conversation_message(graph_page.id, customer, "Are you open?", ago(hours=2))
    target = ReplyTarget(
        message.id,
        ItemKind.DIRECT_MESSAGE,
        thread_root_external_id=message.conversation_id,
        author_external_id="psid-9",
    )

    result = facebook(graph_fake, graph_page, graph_http).reply(target=target, text="Until 7pm")

    sent = graph_fake.objects[result.external_id]
    assert (sent.text, sent.recipient["id"], sent.conversation_id) == (
        "Until 7pm",
        "psid-9",
        message.conversation_id,
    )
    body = graph_fake.requests[-1].json()
    assert body["messaging_type"] == "RESPONSE" and body["recipient"] == {"id": "psid-9"}


def test_direct_message_reply_outside_the_24_hour_window_is_invalid(graph_fake, graph_page, graph_http):
    message = graph_fake.add_conversation_message(
        graph_page.id, {"id": "psid-3", "name": "Lou"}, "Hi", ago(days=2)
    )
    target = ReplyTarget(message.id, ItemKind.DIRECT_MESSAGE, author_external_id="psid-3")

    with pytest.raises(Invalid) as caught:
        facebook(graph_fake, graph_page, graph_http).reply(target=target, text="Sorry for the delay")

    assert "outside of allowed window" in caught.value.network_message


# --- Publish -----------------------------------------------------------------------------------------------


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, fmt)
    return buffer.getvalue()


def test_publish_text_post(graph_fake, graph_page, graph_http):
    result = facebook(graph_fake, graph_page, graph_http).publish(text="Fresh bread at 8am")

    post = graph_fake.objects[result.external_id]
    assert (post.page_id, post.message) == (graph_page.id, "Fresh bread at 8am")
    assert (
        result.permalink
        == f"https://www.facebook.com/{graph_page.id}/posts/{result.external_id.split('_')[1]}"
    )


def test_publish_the_same_text_twice_is_invalid_duplicate(graph_fake, graph_page, graph_http):
    provider = facebook(graph_fake, graph_page, graph_http)
    provider.publish(text="Open today")

    with pytest.raises(Invalid) as caught:
        provider.publish(text="Open today")

    assert "Duplicate" in caught.value.network_message


def test_publish_image_stages_an_unpublished_photo_then_attaches_it(graph_fake, graph_page, graph_http):
    media = MediaFile(image_bytes(), "image/jpeg", public_url="https://cdn.example/bread.jpg")

    result = facebook(graph_fake, graph_page, graph_http).publish(text="Look", media=[media])

    post = graph_fake.objects[result.external_id]
    [photo_id] = post.attached_media
    photo = graph_fake.objects[photo_id]
    assert (photo.url, photo.published) == ("https://cdn.example/bread.jpg", True)
    upload = next(r for r in graph_fake.requests if r.path.endswith("/photos"))
    assert upload.form()["published"] == "false"


def test_publish_image_without_a_public_url_is_invalid_before_any_call(graph_fake, graph_page, graph_http):
    with pytest.raises(Invalid):
        facebook(graph_fake, graph_page, graph_http).publish(
            text="x", media=[MediaFile(image_bytes(), "image/jpeg")]
        )

    assert graph_fake.requests == []


def test_photo_upload_dropped_is_safe_to_retry_but_feed_post_dropped_is_ambiguous(
    graph_fake, graph_page, graph_http
):
    media = MediaFile(image_bytes(), "image/jpeg", public_url="https://cdn.example/a.jpg")
    provider = facebook(graph_fake, graph_page, graph_http)
    graph_fake.inject(drop_after_fault(r"/photos$"))
    with pytest.raises(Transient):  # an unpublished photo is invisible: nothing to reconcile
        provider.publish(text="Look", media=[media])

    graph_fake.inject(drop_after_fault(r"/feed$"))
    with pytest.raises(Ambiguous):
        provider.publish(text="Look", media=[media])

    assert [p.message for p in graph_fake.objects_of(Post)] == ["Look"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (graph_error_fault(r"/photos$", code=100, subcode=1366046, message="Image too large"), Invalid),
        (
            graph_error_fault(r"/feed$", code=200, message="(#200) Requires pages_manage_posts"),
            PermissionMissing,
        ),
        (expired_token_fault(r"/photos$"), AuthExpired),
        (rate_limit_fault(r"/feed$", code=32, minutes=2), RateLimited),
        (server_error_fault(r"/feed$", status=502), Transient),
    ],
)
def test_publish_failures_map_to_the_taxonomy(graph_fake, graph_page, graph_http, fault, error):
    media = MediaFile(image_bytes(), "image/jpeg", public_url="https://cdn.example/a.jpg")
    graph_fake.inject(fault)

    with pytest.raises(error):
        facebook(graph_fake, graph_page, graph_http).publish(text="Hello", media=[media])


def test_validate_text_counts_the_facebook_limit(graph_fake, graph_page, graph_http):
    provider = facebook(graph_fake, graph_page, graph_http)

    assert provider.validate_text("é" * 63_206) == []
    assert "63,206" in provider.validate_text("x" * 63_207)[0]


def test_validate_media_reads_the_bytes_not_the_declared_type(graph_fake, graph_page, graph_http):
    provider = facebook(graph_fake, graph_page, graph_http)
    png_called_jpeg = MediaFile(image_bytes("PNG"), "image/jpeg")
    gif_called_png = MediaFile(image_bytes("GIF"), "image/png")
    not_an_image = MediaFile(b"GIF89a but not really", "image/gif")
    oversize = MediaFile(image_bytes() + b"\0" * (4 * 1024 * 1024), "image/jpeg")

    assert provider.validate_media([png_called_jpeg]) == []
    assert "GIF" in provider.validate_media([gif_called_png])[0]
    assert "not a readable image" in provider.validate_media([not_an_image])[0]
    assert "MB" in provider.validate_media([oversize])[0]


# --- OAuth -------------------------------------------------------------------------------------------------


def test_authorize_url_points_at_the_dialog_with_state_and_scopes():
    url = httpx.URL(
        authorize_url(app_id="99", redirect_uri="https://hub.example/cb", state="s1", scopes=["a", "b"])
    )

    assert (url.host, url.path) == ("www.facebook.com", f"/{GRAPH_VERSION}/dialog/oauth")
    assert dict(url.params) == {
        "client_id": "99",
        "redirect_uri": "https://hub.example/cb",
        "state": "s1",
        "response_type": "code",
        "scope": "a,b",
    }


def test_oauth_code_exchange_then_page_listing(graph_fake, graph_http):
    graph_fake.add_app("99", "shh")
    user = graph_fake.add_user("Camille")
    page = graph_fake.add_page("Acme Bakery", user_id=user.id)
    ig_user = graph_fake.add_ig_user("acme.bakery", page_id=page.id)
    graph_fake.add_page("Second shop", user_id=user.id)
    dialog = authorize_url(
        app_id="99",
        redirect_uri="https://hub.example/cb",
        state="s1",
        scopes=["pages_show_list"],
        dialog_base_url=graph_fake.base_url,
    )

    assert "Camille" in graph_http.get(dialog).text  # the login dialog, for the person signed in
    allowed = consent_page.approve(graph_http, dialog)  # Continue: the browser goes back with a code
    back = httpx.URL(allowed.headers["location"])
    assert allowed.status_code == 302 and back.params["state"] == "s1"
    token = exchange_code(
        graph_http, graph_fake.base_url, "99", "shh", "https://hub.example/cb", back.params["code"]
    )
    pages = list_pages(graph_http, graph_fake.base_url, token.access_token)

    assert token.expires_at is not None and token.expires_at > NOW + dt.timedelta(days=50)
    assert graph_fake.tokens[token.access_token].kind == "user"
    assert [(p.page_id, p.name, p.instagram_user_id, p.instagram_username) for p in pages] == [
        (page.id, "Acme Bakery", ig_user.id, "acme.bakery"),
        (pages[1].page_id, "Second shop", "", ""),
    ]
    assert pages[0].access_token == page.token
    # The code is single use.
    with pytest.raises(Invalid):
        exchange_code(
            graph_http, graph_fake.base_url, "99", "shh", "https://hub.example/cb", back.params["code"]
        )


def test_oauth_code_with_another_redirect_uri_is_invalid(graph_fake, graph_http):
    graph_fake.add_app("99", "shh")
    user = graph_fake.add_user()
    code = graph_fake.issue_code("99", "https://hub.example/cb", user.id)

    with pytest.raises(Invalid) as caught:
        exchange_code(graph_http, graph_fake.base_url, "99", "shh", "https://evil.example/cb", code)

    assert "redirect_uri" in caught.value.network_message


def test_app_secret_proof_is_sent_with_every_call(graph_fake, graph_page, graph_http):
    import hashlib
    import hmac

    facebook(graph_fake, graph_page, graph_http, app_secret="s3cret").poll(cursor={})

    proof = hmac.new(b"s3cret", graph_page.token.encode(), hashlib.sha256).hexdigest()
    assert graph_fake.requests and all(r.arg("appsecret_proof") == proof for r in graph_fake.requests)


def test_fake_is_seeded_and_faulted_over_http(graph_fake, graph_http):
    control = f"{graph_fake.base_url}/_fake"
    page = graph_http.post(f"{control}/seed_page", json={"name": "Remote"}).json()
    post = graph_http.post(
        f"{control}/seed_post", json={"page_id": page["id"], "created_time": ago(hours=2).isoformat()}
    ).json()
    comment = graph_http.post(
        f"{control}/seed_comment",
        json={"post_id": post["id"], "message": "Over HTTP", "created_time": ago(hours=1).isoformat()},
    ).json()
    account = Account(Network.FACEBOOK, page["id"], graph_fake.base_url, Credentials(page["token"]))
    provider = FacebookProvider(account, http=graph_http, poll_messages=False)

    assert [i.external_id for i in provider.poll(cursor={}).items] == [comment["id"]]
    graph_http.post(f"{control}/rate_limit_fault", json={"path_pattern": "/feed$", "minutes": 4})
    with pytest.raises(RateLimited):
        provider.poll(cursor={})
