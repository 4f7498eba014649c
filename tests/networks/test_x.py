"""XProvider over real HTTP against XFake on 127.0.0.1: polling, writes, every error class, OAuth."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.http import make_client
from networks.fakes import consent as consent_page
from networks.fakes.base import Fault, Response
from networks.fakes.x import XFake, problem
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
from networks.providers.x import XProvider, authorize_url, exchange_code, pkce_pair

# --- fixtures (kept here, not in a conftest: the folder is shared) -----------------------------------------


@dataclass
class World:
    fake: XFake
    us: str  # our account's user id
    alice: str
    bob: str
    token: dict


def build_world(fake: XFake) -> World:
    fake.reset()
    us = fake.add_user("cmhub_brand", "CM Hub Brand")
    alice, bob = fake.add_user("alice", "Alice"), fake.add_user("bob", "Bob")
    return World(fake, us, alice, bob, fake.issue_token(us))


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[XFake]:
    """One server for the module (stopping one takes half a second); every test starts from reset()."""
    with XFake() as server:
        yield server


@pytest.fixture
def fake(shared_fake: XFake) -> XFake:
    shared_fake.reset()
    return shared_fake


@pytest.fixture
def world(fake: XFake) -> World:
    return build_world(fake)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def make_provider(world: World, http: httpx.Client, *, page_size: int = 5, **kwargs: object) -> XProvider:
    token = world.token
    credentials = Credentials(token["access_token"], token.get("refresh_token", ""))
    account = Account(Network.X, world.us, world.fake.base_url, credentials, handle="cmhub_brand")
    return XProvider(account, http=http, page_size=page_size, client_id=world.fake.client_id, **kwargs)


@pytest.fixture
def provider(world: World, http: httpx.Client) -> XProvider:
    return make_provider(world, http)


def mention_requests(fake: XFake) -> list:
    return [r for r in fake.requests if r.path.endswith("/mentions")]


def png(size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def drain(provider: XProvider, cursor: dict, max_items: int) -> tuple[list[str], dict, int]:
    """Run polls until the walk is complete; returns every id delivered, in order, and the last cursor."""
    delivered: list[str] = []
    runs = 0
    while True:
        runs += 1
        result = provider.poll(cursor=cursor, max_items=max_items)
        delivered += [item.external_id for item in result.items]
        cursor = result.cursor
        if not result.has_more:
            return delivered, cursor, runs


# --- polling -----------------------------------------------------------------------------------------------


def test_poll_reads_every_page_and_maps_items(world: World, provider: XProvider) -> None:
    fake = world.fake
    ours = fake.add_tweet(world.us, "Our announcement")
    theirs = fake.add_tweet(world.bob, "Bob's thoughts")
    plain = [fake.add_mention(world.us, world.alice) for _ in range(9)]
    reply_to_us = fake.add_tweet(world.alice, "@cmhub_brand love it", in_reply_to=ours)
    reply_elsewhere = fake.add_tweet(world.alice, "@bob @cmhub_brand agreed", in_reply_to=theirs)

    result = provider.poll(cursor={})

    assert [i.external_id for i in result.items] == [*plain, reply_to_us, reply_elsewhere]  # oldest first
    assert result.cursor == {"since_id": reply_elsewhere}
    assert (result.has_more, result.skipped) == (False, 0)
    assert len(mention_requests(fake)) == 3  # 11 mentions in pages of 5
    first = mention_requests(fake)[0]
    assert first.arg("max_results") == "5"
    assert (
        first.arg("tweet.fields")
        == "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,note_tweet"
    )
    assert (first.arg("expansions"), first.arg("user.fields")) == ("author_id", "username,name")
    assert first.bearer() == world.token["access_token"]

    by_id = {i.external_id: i for i in result.items}
    mention = by_id[plain[0]]
    assert mention.kind == ItemKind.MENTION
    assert mention.author is not None
    assert (mention.author.external_id, mention.author.handle, mention.author.name) == (
        world.alice,
        "alice",
        "Alice",
    )
    assert mention.permalink == f"https://x.com/alice/status/{plain[0]}"
    assert mention.thread_root_external_id == plain[0]
    assert mention.created_at.tzinfo is dt.UTC
    assert by_id[reply_to_us].kind == ItemKind.REPLY
    assert by_id[reply_to_us].parent_external_id == ours
    assert by_id[reply_to_us].thread_root_external_id == ours  # conversation_id
    assert by_id[reply_elsewhere].kind == ItemKind.MENTION  # a reply, but to someone else's tweet
    assert by_id[reply_elsewhere].thread_root_external_id == theirs


def test_resume_from_cursor_returns_only_newer(world: World, provider: XProvider) -> None:
    for _ in range(4):
        world.fake.add_mention(world.us, world.alice)
    first = provider.poll(cursor={})
    newer = [world.fake.add_mention(world.us, world.bob) for _ in range(3)]

    second = provider.poll(cursor=first.cursor)

    assert [i.external_id for i in second.items] == newer
    assert mention_requests(world.fake)[-1].arg("since_id") == first.cursor["since_id"]
    assert provider.poll(cursor=second.cursor).items == []


def test_budget_bounded_runs_resume_with_nothing_lost_or_duplicated(
    world: World, provider: XProvider
) -> None:
    fake = world.fake
    seeded = [fake.add_mention(world.us, world.alice) for _ in range(23)]

    first = provider.poll(cursor={}, max_items=7)  # one page of 5; a second would overflow the budget
    assert first.has_more
    assert len(first.items) == 5
    assert set(first.cursor) == {"pagination_token", "pending_newest_id"}
    assert first.cursor["pending_newest_id"] == seeded[-1]

    arrived_meanwhile = [fake.add_mention(world.us, world.bob) for _ in range(4)]
    rest, cursor, runs = drain(provider, first.cursor, max_items=7)
    delivered = [i.external_id for i in first.items] + rest

    assert sorted(delivered) == sorted(seeded)  # the walk finishes what it started: nothing twice
    assert runs == 4
    assert cursor == {"since_id": seeded[-1]}  # the newest of the walk, not of the later arrivals
    later, _cursor, _runs = drain(provider, cursor, max_items=7)
    assert sorted(later) == sorted(arrived_meanwhile)


def test_a_tiny_budget_still_makes_progress(world: World, provider: XProvider) -> None:
    seeded = [world.fake.add_mention(world.us, world.alice) for _ in range(8)]
    delivered, _cursor, _runs = drain(provider, {}, max_items=1)
    assert sorted(delivered) == sorted(seeded)


def test_an_empty_page_with_a_next_token_is_followed(world: World, provider: XProvider) -> None:
    fake = world.fake
    older = [fake.add_mention(world.us, world.alice) for _ in range(4)]
    for tweet_id in [fake.add_mention(world.us, world.bob) for _ in range(5)]:
        fake.delete_tweet(tweet_id)  # the whole first page is tombstones

    result = provider.poll(cursor={})

    assert [i.external_id for i in result.items] == older
    assert len(mention_requests(fake)) == 2
    assert result.cursor == {"since_id": older[-1]}


def test_deleted_tweets_are_skipped_and_lookups_say_not_found(world: World, provider: XProvider) -> None:
    kept = world.fake.add_mention(world.us, world.alice)
    gone = world.fake.add_mention(world.us, world.bob)
    world.fake.delete_tweet(gone)

    assert [i.external_id for i in provider.poll(cursor={}).items] == [kept]
    assert provider.lookup(kept).external_id == kept
    with pytest.raises(NotFound) as excinfo:
        provider.lookup(gone)
    assert excinfo.value.network_message == f"Could not find tweet with id: [{gone}]."
    with pytest.raises(NotFound, match="deleted or not visible"):
        provider.reply(target=ReplyTarget(gone, ItemKind.MENTION), text="Hello?")


def test_a_refused_pagination_token_restarts_the_walk(world: World, provider: XProvider) -> None:
    seeded = [world.fake.add_mention(world.us, world.alice) for _ in range(6)]
    result = provider.poll(cursor={"since_id": "1", "pagination_token": "not-a-real-token"})
    assert sorted(i.external_id for i in result.items) == sorted(seeded)
    assert result.cursor == {"since_id": seeded[-1]}


def test_a_page_without_meta_still_moves_the_cursor(world: World, provider: XProvider) -> None:
    ids = ["1860000000000900000", "1860000000000800000"]
    data = [
        {"id": ids[0], "text": "a", "created_at": "2026-01-15T10:00:00.000Z", "author_id": world.alice},
        {"id": ids[1], "text": "b", "created_at": "2026-01-15T09:00:00.000Z", "author_id": world.alice},
    ]
    world.fake.inject(Fault("/mentions", response=Response(200, {"data": data})))
    result = provider.poll(cursor={"since_id": "5"})
    assert [i.external_id for i in result.items] == [ids[1], ids[0]]
    assert result.cursor == {"since_id": ids[0]}  # the newest id seen, not the old since_id


# --- malformed payloads ----------------------------------------------------------------------------------

BROKEN = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(["id", "text", "created_at"]).map(lambda key: {"drop": key}),
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.integers(), st.none(), st.just("12ab"), st.just("")),
            "text": st.text(max_size=10),
            "created_at": st.just("2026-01-15T10:00:00.000Z"),
        }
    ),
    st.fixed_dictionaries(
        {
            "id": st.just("{id}"),
            "text": st.one_of(st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2)),
            "created_at": st.just("2026-01-15T10:00:00.000Z"),
        }
    ),
    st.fixed_dictionaries(
        {
            "id": st.just("{id}"),
            "text": st.just("hi"),
            "created_at": st.one_of(st.just("yesterday"), st.just("2026-01-15T10:00:00"), st.integers()),
        }
    ),
    st.fixed_dictionaries(
        {
            "id": st.just("{id}"),
            "text": st.just("hi"),
            "created_at": st.just("2026-01-15T10:00:00.000Z"),
            "referenced_tweets": st.one_of(
                st.just("replied_to"), st.just([{"type": "replied_to"}]), st.just([3])
            ),
        }
    ),
)


def materialise(template: object) -> object:
    """The JSON the fake serves for a drawn template ("{id}" becomes the item's real id, in the fake)."""
    if isinstance(template, dict) and set(template) == {"drop"}:
        valid = {"id": "{id}", "text": "hi", "created_at": "2026-01-15T10:00:00.000Z"}
        return {k: v for k, v in valid.items() if k != template["drop"]}
    return template


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just("ok"), BROKEN), min_size=1, max_size=14))
def test_malformed_mentions_are_skipped_and_logged_without_losing_valid_ones(
    shared_fake: XFake, layout: list, caplog: pytest.LogCaptureFixture
) -> None:
    world = build_world(shared_fake)
    caplog.clear()
    valid, broken = [], 0
    for entry in layout:
        if entry == "ok":
            valid.append(shared_fake.add_mention(world.us, world.alice))
        else:
            shared_fake.add_raw_mention(world.us, materialise(entry))
            broken += 1

    with make_client(timeout=5) as http:
        provider = make_provider(world, http)
        result = provider.poll(cursor={})
        again = provider.poll(cursor=result.cursor)

    assert sorted(i.external_id for i in result.items) == sorted(valid)
    assert result.skipped == broken
    warnings = [
        r for r in caplog.records if r.name == "networks.providers.x" and "malformed" in r.getMessage()
    ]
    assert len(warnings) == broken
    assert (again.items, again.skipped) == ([], 0)  # broken items are not fetched again and again


# --- errors ------------------------------------------------------------------------------------------------


def test_429_gives_rate_limited_with_the_announced_reset(world: World, provider: XProvider) -> None:
    world.fake.add_mention(world.us, world.alice)
    reset = world.fake.rate_limited("/mentions", reset_in=600)
    with pytest.raises(RateLimited) as excinfo:
        provider.poll(cursor={})
    assert excinfo.value.reset_at == dt.datetime.fromtimestamp(reset, dt.UTC)
    assert excinfo.value.status == 429
    assert (provider.rate_limit.remaining, provider.rate_limit.limit) == (0, 300)


def test_rate_limit_state_follows_the_headers_and_a_real_exhaustion(fake: XFake, http: httpx.Client) -> None:
    world = build_world(fake)
    fake.limits["tweets"] = 2  # reset() restores the configured limits for the next test
    provider = make_provider(world, http)
    target = fake.add_mention(world.us, world.alice)
    provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="one")
    assert (provider.rate_limit.remaining, provider.rate_limit.limit) == (1, 2)
    provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="two")
    with pytest.raises(RateLimited) as excinfo:
        provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="three")
    assert excinfo.value.reset_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=14)
    assert len(fake.tweets_by(world.us)) == 2


@pytest.mark.parametrize("how", ["expire", "revoke"])
def test_expired_or_revoked_token_gives_auth_expired(world: World, provider: XProvider, how: str) -> None:
    getattr(world.fake, f"{how}_token")(world.token["access_token"])
    with pytest.raises(AuthExpired) as excinfo:
        provider.poll(cursor={})
    assert excinfo.value.network_message == "Unauthorized"


def test_a_missing_scope_gives_permission_missing(world: World, http: httpx.Client) -> None:
    world.token = world.fake.issue_token(world.us, scopes=["tweet.read", "users.read"])
    provider = make_provider(world, http)
    target = world.fake.add_mention(world.us, world.alice)
    with pytest.raises(PermissionMissing):
        provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="hello")


def test_5xx_gives_transient_after_one_quiet_retry(world: World, provider: XProvider) -> None:
    world.fake.add_mention(world.us, world.alice)
    world.fake.server_error("/mentions", status=503, times=2)
    with pytest.raises(Transient):
        provider.poll(cursor={})
    assert len(mention_requests(world.fake)) == 2

    world.fake.server_error("/mentions", status=503, times=1)  # one blip is absorbed
    assert len(provider.poll(cursor={}).items) == 1


def test_a_dropped_reply_is_ambiguous_and_the_fake_applied_it(world: World, provider: XProvider) -> None:
    target = world.fake.add_mention(world.us, world.alice)
    world.fake.drop_after(r"^/2/tweets$")
    with pytest.raises(Ambiguous):
        provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="Thanks Alice!")
    assert [t["text"] for t in world.fake.tweets_by(world.us)] == ["Thanks Alice!"]


def test_an_ambiguous_reply_can_be_reconciled_from_our_own_timeline(
    world: World, provider: XProvider
) -> None:
    target = world.fake.add_mention(world.us, world.alice)
    earlier = provider.publish(text="An earlier post")
    world.fake.drop_after(r"^/2/tweets$")
    with pytest.raises(Ambiguous):
        provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="Did this land?")

    own, complete = provider.own_posts_since(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert complete

    assert [(p.text, p.in_reply_to) for p in own] == [("Did this land?", target), ("An earlier post", "")]
    assert own[1].external_id == earlier.external_id
    assert own[0].permalink == f"https://x.com/cmhub_brand/status/{own[0].external_id}"


def test_a_dropped_read_is_transient(world: World, provider: XProvider) -> None:
    world.fake.drop_after("/mentions", method="GET", times=2)
    with pytest.raises(Transient):
        provider.poll(cursor={})


def test_nothing_listening_is_transient_even_for_a_write(world: World, http: httpx.Client) -> None:
    provider = make_provider(world, http)
    provider.account = Account(Network.X, world.us, "http://127.0.0.1:9", provider.account.credentials)
    with pytest.raises(Transient):
        provider.reply(target=ReplyTarget("1", ItemKind.MENTION), text="hello")


def test_400_gives_invalid_with_the_networks_words(world: World, provider: XProvider) -> None:
    body = problem(400, "Invalid Request", "One or more parameters to your request was invalid.")
    world.fake.inject(Fault(r"^/2/tweets$", response=Response(400, body)))
    with pytest.raises(Invalid) as excinfo:
        provider.publish(text="hello")
    assert excinfo.value.network_message == "One or more parameters to your request was invalid."


# --- replies and posts -------------------------------------------------------------------------------------


def test_reply_threads_under_the_mention_and_comes_back_to_the_author(
    world: World, provider: XProvider
) -> None:
    target = world.fake.add_mention(world.us, world.alice, "@cmhub_brand where is my order?")
    result = provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="@alice it ships today!")

    sent = [r for r in world.fake.requests if r.method == "POST" and r.path == "/2/tweets"][-1].json()
    assert sent == {"text": "@alice it ships today!", "reply": {"in_reply_to_tweet_id": target}}
    assert result.permalink == f"https://x.com/cmhub_brand/status/{result.external_id}"
    stored = world.fake.tweet(result.external_id)
    assert stored is not None
    assert (stored["in_reply_to_user_id"], stored["conversation_id"]) == (world.alice, target)
    assert world.alice in world.fake.tweets[int(result.external_id)]["_mentions"]


def test_duplicate_text_is_invalid(world: World, provider: XProvider) -> None:
    provider.publish(text="Same words")
    with pytest.raises(Invalid) as excinfo:
        provider.publish(text="Same words")
    assert "duplicate content" in excinfo.value.network_message


def test_publish_with_images_uploads_each_then_attaches_them(world: World, provider: XProvider) -> None:
    media = [
        MediaFile(png(), "image/png"),
        MediaFile(png(fmt="JPEG"), "image/png"),
    ]  # 2nd lies about its type
    result = provider.publish(text="Two pictures", media=media)

    uploads = [r for r in world.fake.requests if r.path == "/2/media/upload"]
    assert len(uploads) == 2
    assert b'name="media_category"\r\n\r\ntweet_image' in uploads[0].body
    assert b"Content-Type: image/jpeg" in uploads[1].body  # the sniffed type, not the declared one
    media_ids = world.fake.tweet(result.external_id)["media_ids"]
    assert len(media_ids) == 2
    assert all(world.fake.media[m]["owner"] == world.us for m in media_ids)


@pytest.mark.parametrize(
    ("text", "media", "message"),
    [
        ("a" * 281, [], "counts 281"),
        ("", [], "The text is empty."),
        ("five", [MediaFile(png(), "image/png")] * 5, r"at most 4 image\(s\) per post; 5 were given"),
        ("bmp", [MediaFile(png(fmt="BMP"), "image/png")], "is a BMP file"),
        ("junk", [MediaFile(b"<svg/>", "image/png")], "not a readable image"),
        ("gif+png", [MediaFile(b"", "")], "not a readable image"),
    ],
)
def test_invalid_posts_are_refused_before_any_request(
    world: World, provider: XProvider, text: str, media: list, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        provider.publish(text=text, media=media)
    assert world.fake.requests == []


def test_weighted_length_edges_decide_what_is_sent(world: World, provider: XProvider) -> None:
    target = world.fake.add_mention(world.us, world.alice)
    assert provider.validate_text("日" * 140) == []
    assert provider.validate_text("https://example.com/" + "x" * 300) == []
    with pytest.raises(Invalid, match="counts 282"):
        provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="日" * 141)
    provider.reply(target=ReplyTarget(target, ItemKind.MENTION), text="👍" * 140)
    assert len(world.fake.tweets_by(world.us)) == 1


def test_an_animated_gif_must_travel_alone(provider: XProvider) -> None:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (20, 20), (i * 80, 0, 0)) for i in range(3)]
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    gif = MediaFile(buffer.getvalue(), "image/gif")
    assert provider.validate_media([gif]) == []
    assert provider.validate_media([gif, MediaFile(png(), "image/png")]) == [
        "An animated GIF must be the only image of an X post."
    ]


# --- OAuth -------------------------------------------------------------------------------------------------


def test_refresh_rotates_tokens_and_never_logs_them(
    world: World, provider: XProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    old = provider.account.credentials
    new = provider.refresh_credentials()

    assert new.access_token != old.access_token
    assert new.refresh_token not in ("", old.refresh_token)
    assert new.expires_at is not None
    assert dt.timedelta(minutes=119) < new.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=2)
    assert provider.account.credentials == new
    provider.poll(cursor={})  # the new access token works
    assert world.fake.requests[-1].bearer() == new.access_token

    provider.account = Account(Network.X, world.us, world.fake.base_url, old)
    with pytest.raises(AuthExpired):
        provider.refresh_credentials()  # the old refresh token died with the rotation
    for secret in (old.access_token, old.refresh_token, new.access_token, new.refresh_token):
        assert secret not in caplog.text


def test_refresh_as_a_confidential_client_uses_basic_auth(http: httpx.Client) -> None:
    with XFake(client_secret="s3cret") as fake:
        world = build_world(fake)
        provider = make_provider(world, http, client_secret="s3cret")
        provider.refresh_credentials()
        token_request = fake.requests[-1]
        expected = base64.b64encode(f"{fake.client_id}:s3cret".encode()).decode()
        assert token_request.headers["authorization"] == f"Basic {expected}"
        assert "client_id" not in token_request.form()

        provider.client_secret = "wrong"
        with pytest.raises(AuthExpired):
            provider.refresh_credentials()


def test_refresh_without_a_refresh_token_asks_for_a_reconnect(world: World, http: httpx.Client) -> None:
    world.token = world.fake.issue_token(world.us, scopes=["tweet.read", "users.read"])
    with pytest.raises(AuthExpired, match="reconnect"):
        make_provider(world, http).refresh_credentials()


def test_pkce_pair_is_s256() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert (
        challenge
        == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    assert pkce_pair()[0] != verifier


def consent(fake: XFake, http: httpx.Client, challenge: str) -> tuple[str, str]:
    """Follow the authorize URL like a browser would; returns (code, state) from the redirect."""
    url = authorize_url(
        client_id=fake.client_id,
        redirect_uri="https://cmhub.example/oauth/x/callback",
        state="st-123",
        code_challenge=challenge,
        authorize_base=f"{fake.base_url}/i/oauth2/authorize",
    )
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == [
        "tweet.read users.read tweet.write offline.access media.write dm.read dm.write tweet.moderate.write"
    ]
    assert query["code_challenge_method"] == ["S256"]
    assert http.get(url).status_code == 200  # the consent page, where the person clicks Authorize app
    answer = consent_page.approve(http, url)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert location.path == "/oauth/x/callback"
    params = parse_qs(location.query)
    return params["code"][0], params["state"][0]


def test_connect_flow_with_pkce(world: World, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code, state = consent(world.fake, http, challenge)
    assert state == "st-123"

    credentials = exchange_code(
        http,
        client_id=world.fake.client_id,
        code=code,
        redirect_uri="https://cmhub.example/oauth/x/callback",
        code_verifier=verifier,
        api_base_url=world.fake.base_url,
    )
    assert "offline.access" in credentials.scopes
    assert credentials.refresh_token

    account = Account(Network.X, "", world.fake.base_url, credentials)
    me = XProvider(account, http=http).me()
    assert (me.external_id, me.handle, me.name) == (world.us, "cmhub_brand", "CM Hub Brand")


def test_a_wrong_verifier_or_a_reused_code_is_refused(world: World, http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    code, _state = consent(world.fake, http, challenge)
    kwargs = {
        "client_id": world.fake.client_id,
        "redirect_uri": "https://cmhub.example/oauth/x/callback",
        "api_base_url": world.fake.base_url,
    }
    with pytest.raises(Invalid) as excinfo:
        exchange_code(http, code=code, code_verifier=pkce_pair()[0], **kwargs)
    assert excinfo.value.network_message == "Value passed for the authorization code was invalid."
    with pytest.raises(Invalid):
        exchange_code(http, code=code, code_verifier=verifier, **kwargs)  # codes are single use


# --- the fake's HTTP control API (the demo drives it from another process) ----------------------------------


def test_seeding_and_faults_over_http(world: World, provider: XProvider, http: httpx.Client) -> None:
    control = f"{world.fake.base_url}/_fake"
    answer = http.post(
        f"{control}/seed_mention", json={"to": world.us, "author": world.bob, "text": "@cmhub_brand hi"}
    )
    assert answer.json()["ok"]
    assert [i.text for i in provider.poll(cursor={}).items] == ["@cmhub_brand hi"]

    assert http.post(f"{control}/rate_limited", json={"path_pattern": "/mentions", "reset_in": 60}).json()[
        "ok"
    ]
    with pytest.raises(RateLimited):
        provider.poll(cursor={})
    assert http.post(f"{control}/no_such_action", json={}).status_code == 404
