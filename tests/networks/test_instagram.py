"""InstagramProvider against GraphFake over real HTTP: polling, replying, publishing, token refresh."""

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

from networks.fakes.graph import GraphFake
from networks.fakes.graph_state import (
    IgComment,
    Media,
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
    RateLimited,
    ReplyTarget,
    Transient,
)
from networks.providers.instagram import InstagramProvider

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PUBLIC_URL = "https://cdn.example/photo.jpg"


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
def graph_ig_user(graph_fake):
    page = graph_fake.add_page("Acme Bakery")
    return graph_fake.add_ig_user("acme.bakery", page_id=page.id)


def instagram(
    fake: GraphFake, ig_user, http: httpx.Client, *, token: str = "", **options
) -> InstagramProvider:
    # Facebook Login: the linked Page's token acts for the IG account.
    token = token or fake.objects[ig_user.page_id].token
    account = Account(Network.INSTAGRAM, ig_user.id, fake.base_url, Credentials(access_token=token))
    options.setdefault("sleep", lambda seconds: None)
    return InstagramProvider(account, http=http, page_size=3, **options)


def drain(provider, cursor, *, max_items=500, runs=60):
    items = []
    for _ in range(runs):
        result = provider.poll(cursor=cursor, max_items=max_items)
        items += result.items
        cursor = json.loads(json.dumps(result.cursor))
        if not result.has_more:
            return items, cursor
    raise AssertionError("the poll never finished")


def comment_reads(fake: GraphFake, media_id: str) -> list:
    return [r for r in fake.requests if r.path.endswith(f"/{media_id}/comments") and r.method == "GET"]


# --- Polling ---------------------------------------------------------------------------------------------


def test_poll_reads_comments_and_replies_across_pages(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "Croissants", ago(hours=6))
    tops = [graph_fake.add_ig_comment(media.id, f"top {i}", ago(hours=5, minutes=-i)) for i in range(5)]
    # Five replies on one comment: more than the inlined page (3), the rest via /replies paging.
    replies = [
        graph_fake.add_ig_comment(media.id, f"re {i}", ago(hours=4, minutes=-i), parent_id=tops[0].id)
        for i in range(5)
    ]

    result = instagram(graph_fake, graph_ig_user, graph_http).poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(c.id for c in tops + replies)
    assert len(comment_reads(graph_fake, media.id)) == 2  # 5 top-level comments, 3 per page
    assert any(r.path.endswith(f"/{tops[0].id}/replies") for r in graph_fake.requests)
    item = next(i for i in result.items if i.external_id == replies[1].id)
    assert (item.kind, item.parent_external_id, item.thread_root_external_id) == (
        ItemKind.REPLY,
        tops[0].id,
        tops[0].id,
    )
    assert item.post_external_id == media.id and item.permalink.startswith("https://www.instagram.com/p/")
    assert item.post_text == "Croissants" and item.post_permalink == item.permalink  # caption, media link
    assert item.author.handle == replies[1].username and item.author.external_id == replies[1].from_id
    top = next(i for i in result.items if i.external_id == tops[2].id)
    assert (top.kind, top.thread_root_external_id, top.text) == (ItemKind.COMMENT, tops[2].id, "top 2")


def test_second_poll_returns_only_newer_items_and_reads_quiet_media_too(
    graph_fake, graph_ig_user, graph_http
):
    busy = graph_fake.add_media(graph_ig_user.id, "Busy", ago(hours=6))
    quiet = graph_fake.add_media(graph_ig_user.id, "Quiet", ago(hours=7))
    old_top = graph_fake.add_ig_comment(busy.id, "Old", ago(hours=5))
    graph_fake.add_ig_comment(quiet.id, "Only one", ago(hours=5))
    provider = instagram(graph_fake, graph_ig_user, graph_http)
    cursor = provider.poll(cursor={}).cursor
    graph_fake.requests.clear()
    newer = graph_fake.add_ig_comment(busy.id, "New", ago(minutes=5))
    # A new reply on an old comment.
    late_reply = graph_fake.add_ig_comment(busy.id, "Late reply", ago(minutes=3), parent_id=old_top.id)

    second = provider.poll(cursor=cursor)

    assert sorted(i.external_id for i in second.items) == sorted([newer.id, late_reply.id])
    # comments_count unchanged: read anyway, since a deletion plus a new comment leaves it unchanged too
    assert comment_reads(graph_fake, quiet.id) != []
    assert provider.poll(cursor=second.cursor).items == []


def test_empty_page_that_still_has_next_is_followed(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=6))
    ids = [graph_fake.add_ig_comment(media.id, "c", ago(hours=5, minutes=-i)).id for i in range(4)]
    graph_fake.add_empty_page(rf"/{media.id}/comments$")

    result = instagram(graph_fake, graph_ig_user, graph_http).poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(ids)


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_bounded_run_resumes_without_loss_or_duplicates(graph_fake, graph_ig_user, graph_http, order):
    graph_fake.ig_comment_order = order
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=6))
    created = []
    for i in range(4):
        top = graph_fake.add_ig_comment(media.id, f"top {i}", ago(hours=5, minutes=-10 * i))
        created += [top.id] + [
            graph_fake.add_ig_comment(
                media.id, "re", ago(hours=5, minutes=-10 * i - j - 1), parent_id=top.id
            ).id
            for j in range(3)
        ]
    provider = instagram(graph_fake, graph_ig_user, graph_http)

    first = provider.poll(cursor={}, max_items=5)
    assert len(first.items) == 5 and first.has_more
    rest, cursor = drain(provider, first.cursor, max_items=5)

    assert sorted(i.external_id for i in first.items + rest) == sorted(created)
    assert provider.poll(cursor=cursor).items == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    schedule=st.lists(
        st.tuples(st.lists(st.booleans(), max_size=5), st.booleans(), st.integers(1, 4)),
        min_size=1,
        max_size=6,
    )
)
@pytest.mark.parametrize("order", ["newest", "oldest"])  # Instagram documents no order for comments
def test_any_schedule_of_comments_replies_and_budgets_delivers_each_once(
    graph_fake, graph_http, schedule, order
):
    """Each step: some arrivals (True = a reply to an earlier comment), same second or not, a budget."""
    graph_fake.ig_comment_order = order
    graph_ig_user = graph_fake.add_ig_user(page_id=graph_fake.add_page().id)  # fresh for each example
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=10))
    provider = instagram(graph_fake, graph_ig_user, graph_http)
    moment, tops, created, delivered, cursor = ago(hours=9), [], [], [], {}
    for arrivals, same_second, budget in schedule:
        for is_reply in arrivals:
            moment += dt.timedelta(seconds=0 if same_second else 1)
            parent = tops[len(created) % len(tops)] if is_reply and tops else ""
            comment = graph_fake.add_ig_comment(media.id, "x", moment, parent_id=parent)
            created.append(comment.id)
            if not parent:
                tops.append(comment.id)
        result = provider.poll(cursor=cursor, max_items=budget)
        delivered += [i.external_id for i in result.items]
        cursor = json.loads(json.dumps(result.cursor))
    rest, _ = drain(provider, cursor, max_items=2)
    delivered += [i.external_id for i in rest]

    assert sorted(delivered) == sorted(created)


MALFORMED = st.one_of(
    st.fixed_dictionaries({"text": st.text(max_size=5)}),
    st.fixed_dictionaries({"id": st.integers(), "timestamp": st.just(graph_time(NOW))}),
    st.fixed_dictionaries({"id": st.just("x1"), "timestamp": st.text(max_size=10)}),
    st.fixed_dictionaries(
        {"id": st.just("x2"), "timestamp": st.just(graph_time(NOW)), "text": st.integers()}
    ),
    st.fixed_dictionaries({"id": st.just("x3"), "timestamp": st.just(graph_time(NOW)), "from": st.just([])}),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.one_of(st.just("valid"), MALFORMED), max_size=10))
def test_malformed_comments_are_skipped_and_logged(graph_fake, graph_http, caplog, entries):
    graph_ig_user = graph_fake.add_ig_user(page_id=graph_fake.add_page().id)  # fresh for each example
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=10))
    valid, broken = [], 0
    for index, entry in enumerate(entries):
        moment = ago(hours=5) + dt.timedelta(minutes=index)
        if entry == "valid":
            valid.append(graph_fake.add_ig_comment(media.id, "ok", moment).id)
        else:
            graph_fake.add_raw_ig_comment(media.id, entry, moment)
            broken += 1
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="networks.providers.instagram"):
        result = instagram(graph_fake, graph_ig_user, graph_http).poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(valid)
    assert result.skipped == broken
    assert len([r for r in caplog.records if "malformed" in r.getMessage()]) == broken


def test_deleted_comments_disappear_and_a_vanished_media_does_not_stop_the_poll(
    graph_fake, graph_ig_user, graph_http
):
    gone = graph_fake.add_media(graph_ig_user.id, "Gone", ago(hours=2))
    kept = graph_fake.add_media(graph_ig_user.id, "Kept", ago(hours=3))
    graph_fake.add_ig_comment(gone.id, "On a doomed post", ago(hours=1))
    spam = graph_fake.add_ig_comment(kept.id, "Spam", ago(minutes=50))
    good = graph_fake.add_ig_comment(kept.id, "Hello", ago(minutes=40))
    graph_fake.delete_object(spam.id)
    graph_fake.inject(graph_error_fault(rf"/{gone.id}/comments$", code=100, subcode=33))

    result = instagram(graph_fake, graph_ig_user, graph_http).poll(cursor={})

    assert [i.external_id for i in result.items] == [good.id]


def test_instagram_rate_limit_gives_the_reset_from_the_header(graph_fake, graph_ig_user, graph_http):
    graph_fake.inject(rate_limit_fault(r"/media$", code=80002, minutes=20, owner_id=graph_ig_user.id))

    with pytest.raises(RateLimited) as caught:
        instagram(graph_fake, graph_ig_user, graph_http).poll(cursor={})

    expected = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    assert abs((caught.value.reset_at - expected).total_seconds()) < 5


def test_expired_token_and_server_errors_while_polling(graph_fake, graph_ig_user, graph_http):
    provider = instagram(graph_fake, graph_ig_user, graph_http)
    graph_fake.inject(server_error_fault(r"/media$"))
    with pytest.raises(Transient):
        provider.poll(cursor={})

    graph_fake.inject(expired_token_fault(r"/media$", subcode=460))
    with pytest.raises(AuthExpired):
        provider.poll(cursor={})


# --- Reply -------------------------------------------------------------------------------------------------


def test_reply_to_a_comment_comes_back_in_the_next_poll(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=6))
    comment = graph_fake.add_ig_comment(media.id, "Where is the shop?", ago(hours=1))
    provider = instagram(graph_fake, graph_ig_user, graph_http)
    cursor = provider.poll(cursor={}).cursor

    result = provider.reply(target=ReplyTarget(comment.id, ItemKind.COMMENT, media.id), text="Rue de la Paix")

    [echo] = provider.poll(cursor=cursor).items
    assert echo.external_id == result.external_id
    assert (echo.kind, echo.thread_root_external_id) == (ItemKind.REPLY, comment.id)
    assert echo.author.handle == "acme.bakery"


def test_reply_to_a_reply_goes_to_its_top_level_comment(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=6))
    top = graph_fake.add_ig_comment(media.id, "Q", ago(hours=2))
    nested = graph_fake.add_ig_comment(media.id, "Q too", ago(hours=1), parent_id=top.id)
    target = ReplyTarget(
        nested.id, ItemKind.REPLY, media.id, parent_external_id=top.id, thread_root_external_id=top.id
    )

    result = instagram(graph_fake, graph_ig_user, graph_http).reply(target=target, text="A")

    assert graph_fake.objects[result.external_id].parent_id == top.id
    assert any(r.method == "POST" and r.path.endswith(f"/{top.id}/replies") for r in graph_fake.requests)


def test_reply_failures(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=6))
    hidden = graph_fake.add_ig_comment(media.id, "Hidden", ago(hours=2), hidden=True)
    deleted = graph_fake.add_ig_comment(media.id, "Deleted", ago(hours=2))
    graph_fake.delete_object(deleted.id)
    normal = graph_fake.add_ig_comment(media.id, "Hi", ago(hours=1))
    provider = instagram(graph_fake, graph_ig_user, graph_http)

    with pytest.raises(Invalid):
        provider.reply(target=ReplyTarget(hidden.id, ItemKind.COMMENT), text="Hi")
    with pytest.raises(NotFound):
        provider.reply(target=ReplyTarget(deleted.id, ItemKind.COMMENT), text="Hi")
    with pytest.raises(Invalid):
        provider.reply(target=ReplyTarget("dm-1", ItemKind.DIRECT_MESSAGE), text="Hi")
    with pytest.raises(Invalid):
        provider.reply(target=ReplyTarget(normal.id, ItemKind.COMMENT), text="x" * 2_201)
    graph_fake.inject(drop_after_fault(r"/replies$"))
    with pytest.raises(Ambiguous):
        provider.reply(target=ReplyTarget(normal.id, ItemKind.COMMENT), text="Dropped")
    assert [c.text for c in graph_fake.objects_of(IgComment) if c.parent_id == normal.id] == ["Dropped"]


# --- Publish -----------------------------------------------------------------------------------------------


def jpeg(size: tuple[int, int] = (1080, 1080), fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 160, 220)).save(buffer, fmt)
    return buffer.getvalue()


def photo(
    size: tuple[int, int] = (1080, 1080), fmt: str = "JPEG", content_type: str = "image/jpeg"
) -> MediaFile:
    return MediaFile(jpeg(size, fmt), content_type, public_url=PUBLIC_URL)


def test_publish_waits_for_the_container_then_publishes(graph_fake, graph_ig_user, graph_http):
    graph_fake.set_container_statuses(["IN_PROGRESS", "IN_PROGRESS", "FINISHED"])
    naps: list[float] = []
    provider = instagram(
        graph_fake, graph_ig_user, graph_http, sleep=naps.append, container_check_interval=2.5
    )

    result = provider.publish(text="Fresh #bread", media=[photo()])

    media = graph_fake.objects[result.external_id]
    assert (media.caption, media.media_url) == ("Fresh #bread", PUBLIC_URL)
    assert result.permalink.startswith("https://www.instagram.com/p/")
    assert naps == [2.5, 2.5]


@pytest.mark.parametrize("status", ["ERROR", "EXPIRED"])
def test_publish_with_a_failed_container_is_invalid_and_publishes_nothing(
    graph_fake, graph_ig_user, graph_http, status
):
    graph_fake.set_container_statuses([status])

    with pytest.raises(Invalid):
        instagram(graph_fake, graph_ig_user, graph_http).publish(text="x", media=[photo()])

    assert graph_fake.objects_of(Media) == []


def test_publish_gives_up_on_a_container_that_never_finishes(graph_fake, graph_ig_user, graph_http):
    graph_fake.set_container_statuses(["IN_PROGRESS"])

    with pytest.raises(Transient):
        instagram(graph_fake, graph_ig_user, graph_http, container_checks=3).publish(
            text="x", media=[photo()]
        )

    assert graph_fake.objects_of(Media) == []


def test_publish_refuses_text_only_and_private_images_before_any_call(graph_fake, graph_ig_user, graph_http):
    provider = instagram(graph_fake, graph_ig_user, graph_http)

    assert provider.supports_text_posts is False
    with pytest.raises(Invalid):
        provider.publish(text="Just words")
    with pytest.raises(Invalid):
        provider.publish(text="x", media=[MediaFile(jpeg(), "image/jpeg")])  # no public URL
    with pytest.raises(Invalid):
        provider.publish(text="x", media=[photo((2000, 500))])
    assert graph_fake.requests == []


def test_publish_dropped_connections(graph_fake, graph_ig_user, graph_http):
    provider = instagram(graph_fake, graph_ig_user, graph_http)
    graph_fake.inject(drop_after_fault(r"/media$"))  # the container: invisible, safe to make again
    with pytest.raises(Transient):
        provider.publish(text="x", media=[photo()])

    graph_fake.inject(drop_after_fault(r"/media_publish$"))  # the post itself: may be live
    with pytest.raises(Ambiguous):
        provider.publish(text="x", media=[photo()])
    assert [m.caption for m in graph_fake.objects_of(Media)] == ["x"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            graph_error_fault(r"/media$", code=100, subcode=2207009, message="Aspect ratio", method="POST"),
            Invalid,
        ),
        (graph_error_fault(r"/media_publish$", code=9, subcode=2207042, message="Daily limit"), RateLimited),
        (expired_token_fault(r"/media$", method="POST"), AuthExpired),
        (server_error_fault(r"/media_publish$"), Transient),
    ],
)
def test_publish_failures_map_to_the_taxonomy(graph_fake, graph_ig_user, graph_http, fault, error):
    graph_fake.inject(fault)

    with pytest.raises(error):
        instagram(graph_fake, graph_ig_user, graph_http).publish(text="x", media=[photo()])


# --- Validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media", "problem"),
    [
        (photo((1080, 1350)), None),  # 4:5, the tallest allowed
        (photo((1440, 754)), None),  # 1.91:1, the widest allowed
        (photo((320, 320)), None),
        (photo((1080, 1400)), "aspect ratio"),  # taller than 4:5
        (photo((1440, 700)), "aspect ratio"),  # wider than 1.91:1
        (photo((1441, 1441)), "maximum"),
        (photo((319, 319)), "minimum"),
        (photo(fmt="PNG", content_type="image/jpeg"), "PNG"),  # the bytes decide, not the declared type
        (MediaFile(b"\xff\xd8\xff not really", "image/jpeg", public_url=PUBLIC_URL), "not a readable image"),
        (MediaFile(jpeg() + b"\0" * (8 * 1024 * 1024), "image/jpeg", public_url=PUBLIC_URL), "MB"),
    ],
)
def test_validate_media(graph_fake, graph_ig_user, graph_http, media, problem):
    problems = instagram(graph_fake, graph_ig_user, graph_http).validate_media([media])

    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_validate_media_allows_one_image_per_post(graph_fake, graph_ig_user, graph_http):
    problems = instagram(graph_fake, graph_ig_user, graph_http).validate_media([photo(), photo()])

    assert any("at most 1" in p for p in problems)


def test_validate_text_caption_hashtags_and_mentions(graph_fake, graph_ig_user, graph_http):
    provider = instagram(graph_fake, graph_ig_user, graph_http)

    assert provider.validate_text("é" * 2_200) == []
    assert "2,200" in provider.validate_text("x" * 2_201)[0]
    assert provider.validate_text(" ".join(f"#tag{i}" for i in range(30))) == []
    assert "hashtags" in provider.validate_text(" ".join(f"#tag{i}" for i in range(31)))[0]
    assert "mentions" in provider.validate_text(" ".join(f"@user{i}" for i in range(21)))[0]
    assert provider.validate_text("mail me at shop@example.com #1") == []


# --- Token refresh -----------------------------------------------------------------------------------------


def test_refresh_credentials_gives_a_new_working_token(graph_fake, graph_ig_user, graph_http):
    provider = instagram(graph_fake, graph_ig_user, graph_http, token=graph_ig_user.token)

    fresh = provider.refresh_credentials()

    assert fresh.access_token != graph_ig_user.token
    assert graph_fake.tokens[fresh.access_token].subject == graph_ig_user.id
    assert fresh.expires_at is not None
    assert abs((fresh.expires_at - dt.datetime.now(dt.UTC) - dt.timedelta(days=60)).total_seconds()) < 5
    refresh = next(r for r in graph_fake.requests if r.path == "/refresh_access_token")
    assert refresh.arg("grant_type") == "ig_refresh_token"


def test_refresh_with_an_expired_token_is_auth_expired(graph_fake, graph_ig_user, graph_http):
    graph_fake.expire_token(graph_ig_user.token)

    with pytest.raises(AuthExpired):
        instagram(graph_fake, graph_ig_user, graph_http, token=graph_ig_user.token).refresh_credentials()


def test_instagram_login_token_polls_directly(graph_fake, graph_ig_user, graph_http):
    media = graph_fake.add_media(graph_ig_user.id, "x", ago(hours=3))
    comment = graph_fake.add_ig_comment(media.id, "Hi", ago(hours=1))

    result = instagram(graph_fake, graph_ig_user, graph_http, token=graph_ig_user.token).poll(cursor={})

    assert [i.external_id for i in result.items] == [comment.id]
