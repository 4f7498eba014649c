"""Bluesky: BlueskyProvider against BlueskyFake over HTTP (connect, sessions, poll, DMs, writes, limits)."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from core.http import make_client
from networks.fakes.base import Fault, Response
from networks.fakes.bluesky import BlueskyFake
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Capability,
    Credentials,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    RateLimited,
    ReplyTarget,
    TextKind,
)
from networks.providers.bluesky import BlueskyProvider

BRAND = "did:plc:brandbrandbrandbrandbran"
ALICE = "did:plc:alicealicealicealicealic"
BOB = "did:plc:bobbobbobbobbobbobbobbob"


@pytest.fixture(scope="module")
def server() -> Iterator[BlueskyFake]:
    with BlueskyFake() as fake:
        yield fake


@pytest.fixture
def fake(server: BlueskyFake) -> BlueskyFake:
    server.reset()
    server.add_account(BRAND, "brand.example.com", display_name="The Brand", password="app-pass-1234")
    server.add_account(ALICE, "alice.bsky.social", display_name="Alice")
    server.add_account(BOB, "bob.bsky.social", display_name="Bob")
    return server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def connect(fake: BlueskyFake, http: httpx.Client, **kwargs) -> BlueskyProvider:
    [found] = BlueskyProvider.connect_with_password(
        http=http, identifier="brand.example.com", password="app-pass-1234", service_url=fake.base_url
    )
    account = Account(
        Network.BLUESKY, found.external_id, found.api_base_url, found.credentials, handle=found.handle
    )
    return BlueskyProvider(account, http=http, **kwargs)


def test_connect_with_app_password_reads_pds_handle_and_profile(fake, http):
    [found] = BlueskyProvider.connect_with_password(
        http=http, identifier="Brand.Example.com", password="app-pass-1234", service_url=fake.base_url
    )
    assert found.external_id == BRAND
    assert found.api_base_url == fake.base_url  # the didDoc's #atproto_pds
    assert found.handle == "brand.example.com" and found.name == "The Brand"
    assert found.credentials.refresh_token and found.credentials.access_token
    assert found.credentials.expires_at and found.credentials.expires_at > dt.datetime.now(dt.UTC)


def test_refused_password_and_email_code_are_plain_words(fake, http):
    with pytest.raises(Invalid, match="app password"):
        BlueskyProvider.connect_with_password(
            http=http, identifier="brand.example.com", password="wrong", service_url=fake.base_url
        )
    fake.two_factor.add(BRAND)
    fake.add_account(BRAND, "brand.example.com", display_name="The Brand", main_password="own-password")
    with pytest.raises(Invalid, match="code sent by e-mail"):
        BlueskyProvider.connect_with_password(
            http=http, identifier="brand.example.com", password="own-password", service_url=fake.base_url
        )


def test_refresh_rotates_the_refresh_token(fake, http):
    provider = connect(fake, http)
    first = provider.account.credentials
    new = provider.refresh_credentials()
    assert new.refresh_token != first.refresh_token and new.access_token != first.access_token
    stale = BlueskyProvider(
        Account(Network.BLUESKY, BRAND, fake.base_url, first), http=http
    )  # the old refresh token is spent
    with pytest.raises(AuthExpired):
        stale.refresh_credentials()


def test_expired_access_token_is_refreshed_stored_and_retried_once(fake, http):
    stored: list[Credentials] = []
    provider = connect(fake, http, on_credentials=stored.append)
    fake.add_mention(ALICE, BRAND, "hello")
    fake.expire_access()
    result = provider.poll(cursor={})
    assert [i.text for i in result.items] == ["@brand.example.com hello"]
    assert len(stored) == 1 and stored[0] == provider.account.credentials


def test_expired_session_that_cannot_be_refreshed_is_auth_expired(fake, http):
    provider = connect(fake, http)
    fake.expire_access()
    fake.refresh.clear()
    with pytest.raises(AuthExpired):
        provider.poll(cursor={})


def test_poll_groups_replies_by_root_and_mentions_and_quotes_head_their_own(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Our new bread")
    first = fake.add_reply(ALICE, ours["uri"], "Looks great")
    fake.add_reply(BRAND, first["uri"], "Thanks!")
    deep = fake.add_reply(BOB, fake.posts[first["uri"]]["uri"], "Agreed")
    mention = fake.add_mention(BOB, BRAND, "do you deliver?")
    quote = fake.add_quote(ALICE, ours["uri"], "Must try")
    result = provider.poll(cursor={})
    by_id = {i.external_id: i for i in result.items}
    assert by_id[first["uri"]].kind == ItemKind.REPLY
    assert by_id[first["uri"]].thread_root_external_id == ours["uri"]
    assert by_id[deep["uri"]].thread_root_external_id == ours["uri"]
    assert by_id[deep["uri"]].parent_external_id == first["uri"]
    assert by_id[mention["uri"]].kind == ItemKind.MENTION
    assert by_id[mention["uri"]].thread_root_external_id == mention["uri"]
    assert by_id[quote["uri"]].thread_root_external_id == quote["uri"]
    assert by_id[quote["uri"]].post_external_id == ours["uri"]
    rkey = first["uri"].rsplit("/", 1)[1]
    assert by_id[first["uri"]].permalink == f"https://bsky.app/profile/alice.bsky.social/post/{rkey}"


def test_poll_pages_back_to_the_mark_without_gaps_or_repeats(fake, http):
    provider = connect(fake, http, page_size=2)
    ours = fake.add_post(BRAND, "post")
    for n in range(5):
        fake.add_reply(ALICE, ours["uri"], f"reply {n}")
    first = provider.poll(cursor={})
    assert [i.text for i in first.items] == [f"reply {n}" for n in range(5)]
    for n in range(5, 8):
        fake.add_reply(BOB, ours["uri"], f"reply {n}")
    second = provider.poll(cursor=first.cursor)
    assert [i.text for i in second.items] == ["reply 5", "reply 6", "reply 7"]
    assert provider.poll(cursor=second.cursor).items == []


def test_a_walk_cut_by_its_budget_resumes_where_it_stopped(fake, http):
    provider = connect(fake, http, page_size=2)
    ours = fake.add_post(BRAND, "post")
    for n in range(6):
        fake.add_reply(ALICE, ours["uri"], f"reply {n}")
    cut = provider.poll(cursor={}, max_items=2)
    assert cut.has_more and len(cut.items) == 2
    fake.add_reply(BOB, ours["uri"], "late")
    rest = provider.poll(cursor=cut.cursor)
    late = provider.poll(cursor=rest.cursor)
    seen = [i.text for i in cut.items + rest.items + late.items]
    assert sorted(seen) == sorted([f"reply {n}" for n in range(6)] + ["late"])


def test_first_poll_reads_back_only_the_lookback(fake, http):
    provider = connect(fake, http, lookback=dt.timedelta(days=1))
    ours = fake.add_post(BRAND, "post")
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()
    fake.add_reply(ALICE, ours["uri"], "old one", at=old)
    fake.posts[next(reversed(fake.posts))]["indexedAt"] = old.replace("+00:00", "Z")
    fake.add_reply(ALICE, ours["uri"], "new one")
    assert [i.text for i in provider.poll(cursor={}).items] == ["new one"]


def test_malformed_notifications_are_skipped_and_the_rest_kept(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    bad = fake.add_reply(ALICE, ours["uri"], "broken")
    fake.posts[bad["uri"]]["record"] = {"$type": "app.bsky.feed.post", "text": 42}
    fake.add_reply(BOB, ours["uri"], "fine")
    result = provider.poll(cursor={})
    assert [i.text for i in result.items] == ["fine"] and result.skipped == 1


def test_links_are_shown_in_full(fake, http):
    provider = connect(fake, http)
    text = "@brand.example.com see example.com/a-long... now"
    start = len(b"@brand.example.com see ")
    facets = [
        {
            "index": {"byteStart": 0, "byteEnd": len(b"@brand.example.com")},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BRAND}],
        },
        {
            "index": {"byteStart": start, "byteEnd": start + len(b"example.com/a-long...")},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a-long-path"}],
        },
        {
            "index": {"byteStart": 5, "byteEnd": 9999},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://evil.example"}],
        },
    ]
    fake.add_post(ALICE, text, facets=facets)
    [item] = provider.poll(cursor={}).items
    assert item.text == "@brand.example.com see https://example.com/a-long-path now"


def test_direct_messages_are_filed_by_conversation(fake, http):
    provider = connect(fake, http)
    fake.add_dm(ALICE, BRAND, "Bonjour, une question")
    fake.add_dm(BOB, BRAND, "Hi there")
    result = provider.poll(cursor={})
    dms = [i for i in result.items if i.kind == ItemKind.DIRECT_MESSAGE]
    assert sorted(i.text for i in dms) == ["Bonjour, une question", "Hi there"]
    alice = next(i for i in dms if i.author and i.author.external_id == ALICE)
    assert alice.author.handle == "alice.bsky.social"
    assert all(
        r.headers.get("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat"
        for r in fake.requests
        if "chat.bsky" in r.path
    )
    assert provider.poll(cursor=result.cursor).items == []
    fake.add_dm(ALICE, BRAND, "Encore une")
    assert [i.text for i in provider.poll(cursor=result.cursor).items] == ["Encore une"]
    answer = provider.reply(
        target=ReplyTarget(
            alice.external_id, ItemKind.DIRECT_MESSAGE, thread_root_external_id=alice.thread_root_external_id
        ),
        text="Bien sûr !",
    )
    convo = fake.convos[alice.thread_root_external_id]
    assert convo["messages"][-1]["id"] == answer.external_id
    found = provider.find_reply(
        target=ReplyTarget(
            alice.external_id, ItemKind.DIRECT_MESSAGE, thread_root_external_id=alice.thread_root_external_id
        ),
        text="Bien sûr !",
        since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )
    assert found and found.external_id == answer.external_id


def test_an_app_password_without_dm_access_still_polls_the_rest(fake, http):
    fake.add_account(BRAND, "brand.example.com", display_name="The Brand", password="no-dms-1234", dms=False)
    [found] = BlueskyProvider.connect_with_password(
        http=http, identifier="brand.example.com", password="no-dms-1234", service_url=fake.base_url
    )
    provider = BlueskyProvider(
        Account(Network.BLUESKY, BRAND, found.api_base_url, found.credentials, handle=found.handle), http=http
    )
    fake.add_dm(ALICE, BRAND, "secret")
    fake.add_mention(ALICE, BRAND, "public")
    result = provider.poll(cursor={})
    assert [i.text for i in result.items] == ["@brand.example.com public"]
    assert "direct messages" in result.permission_missing


def test_reply_threads_under_root_and_parent_with_byte_offset_facets(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    first = fake.add_reply(ALICE, ours["uri"], "question")
    text = "Merci 🥐 @alice.bsky.social, voir https://example.com/pain 日本"
    result = provider.reply(target=ReplyTarget(first["uri"], ItemKind.REPLY), text=text)
    record = fake.posts[result.external_id]["record"]
    assert record["reply"]["parent"] == {"uri": first["uri"], "cid": first["cid"]}
    assert record["reply"]["root"] == {"uri": ours["uri"], "cid": ours["cid"]}
    data = text.encode()
    spans = {
        data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in record["facets"]
    }
    assert spans["@alice.bsky.social"] == {"$type": "app.bsky.richtext.facet#mention", "did": ALICE}
    assert spans["https://example.com/pain"]["uri"] == "https://example.com/pain"


def test_a_retried_reply_writes_the_same_record_once(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    first = fake.add_reply(ALICE, ours["uri"], "question")
    target = ReplyTarget(first["uri"], ItemKind.REPLY)
    fake.inject(Fault(r"putRecord", kind="drop_after"))
    with pytest.raises(Exception):  # noqa: B017 - the answer was lost after the write applied
        provider.reply(target=target, text="On it")
    before = len(fake.posts)
    again = provider.reply(target=target, text="On it")
    assert len(fake.posts) == before
    assert fake.posts[again.external_id]["record"]["text"] == "On it"
    ours_replies = [p for p in fake.posts.values() if p["did"] == BRAND and p["record"]["text"] == "On it"]
    assert len(ours_replies) == 1


def test_with_a_delivery_key_a_retry_writes_once_and_another_delivery_of_the_same_words_writes_again(
    fake, http
):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    target = ReplyTarget(fake.add_reply(ALICE, ours["uri"], "question")["uri"], ItemKind.REPLY)
    fake.inject(Fault(r"putRecord", kind="drop_after"))
    with pytest.raises(Exception):  # noqa: B017 - the answer was lost after the write applied
        provider.reply(target=target, text="Thanks!", delivery_key="cmhub-reply-1-abc")
    retried = provider.reply(target=target, text="Thanks!", delivery_key="cmhub-reply-1-abc")
    # A colleague answers the same person with the same words, the same minute: a delivery of its own.
    other = provider.reply(target=target, text="Thanks!", delivery_key="cmhub-reply-2-def")
    written = [p for p in fake.posts.values() if p["did"] == BRAND and p["record"]["text"] == "Thanks!"]
    assert len(written) == 2 and retried.external_id != other.external_id


def test_the_same_words_a_day_later_are_a_new_reply(fake, http):
    now = [dt.datetime.now(dt.UTC)]
    provider = connect(fake, http, clock=lambda: now[0])
    ours = fake.add_post(BRAND, "post")
    target = ReplyTarget(fake.add_reply(ALICE, ours["uri"], "q")["uri"], ItemKind.REPLY)
    first = provider.reply(target=target, text="Thanks!")
    now[0] += dt.timedelta(days=2)
    second = provider.reply(target=target, text="Thanks!")
    assert first.external_id != second.external_id


def test_a_post_retried_after_a_lost_answer_is_published_once(fake, http):
    """The publisher's promise for Bluesky: a second attempt after an answer lost on the way back writes
    nothing new and returns the first (the record key is the delivery's, so the PDS refuses a second one;
    that two deliveries of the same words are two posts is the reply test's above)."""
    provider = connect(fake, http)
    key = "cmhub-post-7-0123456789abcdef0123"
    fake.inject(Fault(r"putRecord", kind="drop_after"))
    with pytest.raises(Exception):  # noqa: B017 - the answer was lost after the write applied
        provider.publish(text="Galettes all January 👑", delivery_key=key)
    again = provider.publish(text="Galettes all January 👑", delivery_key=key)
    ours = [p for p in fake.posts.values() if p["did"] == BRAND and "Galettes" in p["record"]["text"]]
    assert len(ours) == 1 and again.external_id in fake.posts


def test_publish_with_images_uploads_blobs_with_alt_and_aspect_ratio(fake, http):
    provider = connect(fake, http)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "orange").save(buffer, "JPEG")
    media = [MediaFile(buffer.getvalue(), "image/jpeg", alt_text="A croissant")]
    result = provider.publish(text="Fresh today", media=media)
    embed = fake.posts[result.external_id]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "A croissant"
    assert embed["images"][0]["aspectRatio"] == {"width": 40, "height": 20}
    found = provider.find_post(text="Fresh today", since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert found and found.external_id == result.external_id


def test_images_over_two_megabytes_or_more_than_four_are_refused(fake, http):
    provider = connect(fake, http)
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    small = MediaFile(buffer.getvalue(), "image/png")
    assert provider.validate_media([small] * 5)
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    big = io.BytesIO()
    noise.save(big, "PNG")
    assert len(big.getvalue()) > 2_000_000
    assert any("MB" in p for p in provider.validate_media([MediaFile(big.getvalue(), "image/png")]))


def test_find_reply_reads_the_thread_and_skips_not_found_and_blocked(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    question = fake.add_reply(ALICE, ours["uri"], "q")
    fake.blocked.add(f"at://{BOB}/app.bsky.feed.post/3kblockedxxxx")
    sent = provider.reply(target=ReplyTarget(question["uri"], ItemKind.REPLY), text="Answer")
    found = provider.find_reply(
        target=ReplyTarget(question["uri"], ItemKind.REPLY),
        text="Answer",
        since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )
    assert found and found.external_id == sent.external_id
    assert (
        provider.find_reply(
            target=ReplyTarget(question["uri"], ItemKind.REPLY),
            text="Answer",
            since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
            exclude={sent.external_id},
        )
        is None
    )


def test_delete_own_post(fake, http):
    provider = connect(fake, http)
    result = provider.publish(text="oops")
    provider.delete_comment(comment_id=result.external_id)
    assert result.external_id not in fake.posts
    other = fake.add_post(ALICE, "not ours")
    with pytest.raises(Invalid):
        provider.delete_comment(comment_id=other["uri"])


def test_rate_limit_headers_and_429(fake, http):
    provider = connect(fake, http)
    provider.publish(text="one")
    assert provider.rate_limit.limit == 5000 and provider.rate_limit.remaining == 4997
    reset = int(dt.datetime.now(dt.UTC).timestamp()) + 120
    fake.inject(
        Fault(
            r"putRecord",
            response=Response(
                429,
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
            ),
        )
    )
    with pytest.raises(RateLimited) as caught:
        provider.publish(text="two")
    assert abs(caught.value.reset_at.timestamp() - reset) < 2
    fake.inject(
        Fault(
            r"putRecord",
            response=Response(429, {"error": "RateLimitExceeded"}, {"RateLimit-Reset": "99999999999"}),
        )
    )
    with pytest.raises(RateLimited) as clamped:
        provider.publish(text="three")
    assert clamped.value.reset_at <= dt.datetime.now(dt.UTC) + dt.timedelta(hours=24, seconds=5)


def test_limits_count_graphemes_and_bytes(fake, http):
    provider = connect(fake, http)
    family = "👨‍👩‍👧‍👦"
    assert BlueskyProvider.text_length(family * 300) == 300
    assert provider.validate_text("a" * 300) == []
    assert provider.validate_text("a" * 301)
    assert any("bytes" in p for p in provider.validate_text(family * 121))  # 121 graphemes, 3,025 bytes
    assert provider.validate_reply("é" * 900, kind=TextKind.DIRECT_MESSAGE) == []
    with pytest.raises(Invalid):
        provider.publish(text="a" * 301)


def test_read_pushed_builds_the_poll_item(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "post")
    reply = fake.add_reply(ALICE, ours["uri"], "pushed")
    pushed = provider.read_pushed("reply", {"uri": reply["uri"]})
    polled = next(i for i in provider.poll(cursor={}).items if i.external_id == reply["uri"])
    assert pushed == polled


# --- blocking ---------------------------------------------------------------------------------------------


def put_records(fake: BlueskyFake, collection: str) -> list[dict]:
    return [
        r.json()
        for r in fake.requests
        if r.path.endswith("com.atproto.repo.putRecord") and (r.json() or {}).get("collection") == collection
    ]


def test_block_writes_one_block_record_and_blocking_again_is_done(fake, http):
    provider = connect(fake, http)
    provider.block_author(author_id=ALICE)
    provider.block_author(author_id=ALICE)  # the profile now says viewer.blocking: nothing is written

    assert fake.blocks(BRAND) == [ALICE]
    [write] = put_records(fake, "app.bsky.graph.block")
    assert write["record"]["$type"] == "app.bsky.graph.block" and write["record"]["subject"] == ALICE
    assert write["repo"] == BRAND and write["swapRecord"] is None
    assert provider.supports(Capability.BLOCK)


def test_someone_blocked_from_the_app_already_is_not_blocked_twice(fake, http):
    fake.add_block(BRAND, BOB)
    connect(fake, http).block_author(author_id=BOB)

    assert fake.blocks(BRAND) == [BOB]
    assert put_records(fake, "app.bsky.graph.block") == []


def test_a_block_whose_answer_was_lost_is_found_under_its_key_and_not_written_twice(fake, http):
    provider = connect(fake, http)
    fake.inject(Fault(r"putRecord", kind="drop_after"))
    with pytest.raises(Ambiguous):
        provider.block_author(author_id=ALICE)
    # The AppView does not show the block yet: the record key, derived from the DID, is taken.
    profile_lag = Response(400, {"error": "InvalidRequest", "message": "Profile not found"})
    fake.inject(Fault(r"getProfile", response=profile_lag))
    provider.block_author(author_id=ALICE)

    assert fake.blocks(BRAND) == [ALICE]
    first, second = put_records(fake, "app.bsky.graph.block")
    assert first["rkey"] == second["rkey"]


def test_what_cannot_be_blocked_is_refused_before_anything_is_sent(fake, http):
    provider = connect(fake, http)
    fake.forget_traffic()
    with pytest.raises(Invalid):
        provider.block_author(author_id="")
    with pytest.raises(Invalid):
        provider.block_author(author_id=BRAND)
    assert fake.requests == []


def test_a_blocked_accounts_posts_no_longer_reach_the_inbox(fake, http):
    provider = connect(fake, http)
    ours = fake.add_post(BRAND, "Rye is back")
    fake.add_reply(ALICE, ours["uri"], "spam")
    provider.block_author(author_id=ALICE)
    fake.add_reply(BOB, ours["uri"], "Until when?")

    assert [i.author.external_id for i in provider.poll(cursor={}).items] == [BOB]
