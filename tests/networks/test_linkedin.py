"""LinkedInProvider over real HTTP against LinkedInFake on 127.0.0.1: polling, writes, errors, OAuth."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.http import make_client
from networks.fakes import consent
from networks.fakes.base import Fault, Response
from networks.fakes.linkedin import LinkedInFake
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Credentials,
    EngagementItem,
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
from networks.providers.linkedin import (
    LINKEDIN_VERSION,
    LinkedInProvider,
    authorize_url,
    exchange_code,
    expiry_warning_due,
)

NOW = dt.datetime(2026, 3, 10, 15, 30, tzinfo=dt.UTC)

# --- fixtures (kept here, not in a conftest: the folder is shared) -----------------------------------------


@dataclass
class World:
    fake: LinkedInFake
    admin: str  # the member who connected the page
    org: str
    member: str  # someone from the public
    token: dict


def build_world(fake: LinkedInFake) -> World:
    fake.reset()
    admin = fake.add_member("Ana Admin", "ana")
    org = fake.add_organization("Acme Bakery", admins=[admin])
    member = fake.add_member("Bob Public", "bob")
    return World(fake, admin, org, member, fake.issue_token(admin))


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[LinkedInFake]:
    """One server for the module (stopping one takes half a second); every test starts from reset()."""
    with LinkedInFake() as server:
        yield server


@pytest.fixture
def world(shared_fake: LinkedInFake) -> World:
    return build_world(shared_fake)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def make_provider(world: World, http: httpx.Client, **kwargs: object) -> LinkedInProvider:
    account = Account(
        Network.LINKEDIN, world.org, world.fake.base_url, Credentials(world.token["access_token"])
    )
    options = {"page_size": 2, "posts_to_scan": 5, "clock": lambda: NOW, **kwargs}
    return LinkedInProvider(account, http=http, **options)


@pytest.fixture
def provider(world: World, http: httpx.Client) -> LinkedInProvider:
    return make_provider(world, http)


def drain(provider: LinkedInProvider, cursor: dict, max_items: int) -> tuple[list[str], dict]:
    delivered: list[str] = []
    for _ in range(200):
        result = provider.poll(cursor=cursor, max_items=max_items)
        delivered += [item.external_id for item in result.items]
        cursor = result.cursor
        if not result.has_more:
            return delivered, cursor
    raise AssertionError("the poll never finished")


def image(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 200, 0)).save(buffer, format=fmt)
    return buffer.getvalue()


def reply_target(item: EngagementItem) -> ReplyTarget:
    return ReplyTarget(
        item.external_id,
        item.kind,
        post_external_id=item.post_external_id,
        parent_external_id=item.parent_external_id,
        thread_root_external_id=item.thread_root_external_id,
    )


# --- polling -----------------------------------------------------------------------------------------------


def test_poll_reads_every_post_and_page_and_maps_items(world: World, provider: LinkedInProvider) -> None:
    fake = world.fake
    post_a, post_b = fake.add_post(world.org), fake.add_post(world.org)
    top = fake.add_comment(post_a, world.member, "Great bread!")
    reply = fake.add_comment(post_a, world.member, "And the croissants", parent=top)
    others = [fake.add_comment(post_b, world.member) for _ in range(5)]

    result = provider.poll(cursor={})

    assert [i.external_id for i in result.items] == [top, reply, *others]  # oldest first
    assert (result.has_more, result.skipped) == (False, 0)
    by_id = {i.external_id: i for i in result.items}
    assert by_id[top].kind == ItemKind.COMMENT
    assert by_id[top].thread_root_external_id == top
    assert (by_id[reply].kind, by_id[reply].parent_external_id) == (ItemKind.REPLY, top)
    assert by_id[reply].thread_root_external_id == top
    assert by_id[top].post_external_id == post_a
    assert by_id[top].permalink == f"https://www.linkedin.com/feed/update/{post_a}"
    assert by_id[top].author is not None
    # A member's URN is never a handle, and LinkedIn gives this app no member name: the inbox says
    # "LinkedIn member". The post's words come with the item, from the posts the poll listed.
    author = by_id[top].author
    assert (author.external_id, author.handle, author.name) == (world.member, "", "")
    assert by_id[top].post_text == world.fake.posts[by_id[top].post_external_id]["commentary"]
    assert by_id[top].post_permalink.startswith("https://www.linkedin.com/feed/update/")
    assert by_id[top].text == "Great bread!"
    assert by_id[top].created_at.tzinfo is dt.UTC

    comment_pages = [r for r in fake.requests if r.path.endswith("/comments")]
    # post_a: 1 first-level comment, then its reply listed under it; post_b: 5 in pages of 2
    assert len(comment_pages) == 1 + 1 + 3
    assert comment_pages[0].path == f"/rest/socialActions/{post_b.replace(':', '%3A')}/comments"  # encoded
    for request in fake.requests:
        assert request.headers["linkedin-version"] == LINKEDIN_VERSION
        assert request.headers["x-restli-protocol-version"] == "2.0.0"
        assert request.bearer() == world.token["access_token"]
    posts_request = fake.requests[0]
    assert (posts_request.arg("q"), posts_request.arg("author"), posts_request.arg("count")) == (
        "author",
        world.org,
        "5",
    )


def test_resume_from_cursor_returns_only_newer(world: World, provider: LinkedInProvider) -> None:
    post = world.fake.add_post(world.org)
    for _ in range(3):
        world.fake.add_comment(post, world.member)
    first = provider.poll(cursor={})
    newer = [world.fake.add_comment(post, world.member) for _ in range(2)]
    newer_post = world.fake.add_post(world.org)
    newer.append(world.fake.add_comment(newer_post, world.member))

    second = provider.poll(cursor=first.cursor)

    assert [i.external_id for i in second.items] == newer
    assert provider.poll(cursor=second.cursor).items == []


def test_budget_bounded_runs_resume_with_nothing_lost_or_duplicated(
    world: World, provider: LinkedInProvider
) -> None:
    fake = world.fake
    posts = [fake.add_post(world.org) for _ in range(3)]
    seeded = [fake.add_comment(post, world.member) for post in posts for _ in range(6)]

    first = provider.poll(cursor={}, max_items=4)
    assert first.has_more
    assert len(first.items) == 4
    arrived = [fake.add_comment(posts[0], world.member) for _ in range(3)]  # while the walk is unfinished
    fake.delete_comment(seeded[0])  # not delivered yet (oldest of post 0): it simply never shows up
    rest, cursor = drain(provider, first.cursor, max_items=4)
    delivered = [i.external_id for i in first.items] + rest

    assert len(delivered) == len(set(delivered))
    assert set(delivered) == (set(seeded) - {seeded[0]}) | set(arrived)
    assert drain(provider, cursor, max_items=4)[0] == []


def test_comments_in_the_same_millisecond_are_neither_lost_nor_repeated(
    world: World, provider: LinkedInProvider
) -> None:
    fake = world.fake
    post = fake.add_post(world.org)
    first = fake.add_comment(post, world.member)
    twin = fake.add_comment(post, world.member, created_ms=fake.now_ms)
    result = provider.poll(cursor={}, max_items=1)  # stops between the two twins
    late_twin = fake.add_comment(post, world.member, created_ms=fake.now_ms)  # same ms, arrives later

    rest, _cursor = drain(provider, result.cursor, max_items=1)

    delivered = [i.external_id for i in result.items] + rest
    assert sorted(delivered) == sorted([first, twin, late_twin])


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_a_bounded_poll_delivers_the_oldest_and_the_next_one_the_rest_in_either_order(
    world: World, provider: LinkedInProvider, order: str
) -> None:
    fake = world.fake
    fake.comment_order = order  # LinkedIn documents no order for a comment list
    post = fake.add_post(world.org)
    seeded = [fake.add_comment(post, world.member) for _ in range(3)]
    first = provider.poll(cursor={}, max_items=2)
    assert ([i.external_id for i in first.items], first.has_more) == (seeded[:2], True)
    newcomer = fake.add_comment(post, world.member)

    second = provider.poll(cursor=first.cursor, max_items=10)
    assert ([i.external_id for i in second.items], second.has_more) == ([seeded[2], newcomer], False)
    third = provider.poll(cursor=second.cursor, max_items=10)
    assert (third.items, third.has_more) == ([], False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(0, 2), st.booleans()),
            st.tuples(st.just("delete"), st.integers(0, 50), st.just(False)),
            st.tuples(st.just("poll"), st.integers(1, 4), st.just(False)),
        ),
        max_size=30,
    )
)
def test_any_interleaving_of_comments_deletions_and_bounded_polls(
    shared_fake: LinkedInFake, http: httpx.Client, steps: list
) -> None:
    world = build_world(shared_fake)
    fake, provider = world.fake, make_provider(world, http)
    posts = [fake.add_post(world.org) for _ in range(3)]
    added: list[str] = []
    deleted: set[str] = set()
    delivered: list[str] = []
    cursor: dict = {}
    for action, number, same_ms in steps:
        if action == "add":
            created = fake.now_ms if same_ms and added else None
            added.append(fake.add_comment(posts[number], world.member, created_ms=created))
        elif action == "delete" and added:
            deleted.add(added[number % len(added)])
            fake.delete_comment(added[number % len(added)])
        elif action == "poll":
            result = provider.poll(cursor=cursor, max_items=number)
            delivered += [i.external_id for i in result.items]
            cursor = result.cursor
    rest, _cursor = drain(provider, cursor, max_items=3)
    delivered += rest

    assert len(delivered) == len(set(delivered)), "a comment was delivered twice"
    assert set(added) - deleted <= set(delivered), "a comment was lost"
    assert set(delivered) <= set(added)


def test_an_empty_page_that_still_has_more_is_followed(world: World, provider: LinkedInProvider) -> None:
    post = world.fake.add_post(world.org)
    older = [world.fake.add_comment(post, world.member) for _ in range(3)]
    for urn in [world.fake.add_comment(post, world.member) for _ in range(2)]:
        world.fake.delete_comment(urn)  # the newest page (count=2) is all tombstones, total says 5

    assert sorted(i.external_id for i in provider.poll(cursor={}).items) == sorted(older)


def test_a_deleted_post_is_dropped_and_the_others_still_read(
    world: World, provider: LinkedInProvider
) -> None:
    fake = world.fake
    kept, gone = fake.add_post(world.org), fake.add_post(world.org)
    kept_comment = fake.add_comment(kept, world.member)
    gone_comment = fake.add_comment(gone, world.member)
    first = provider.poll(cursor={})
    assert set(first.cursor["posts"]) == {kept, gone}

    fake.delete_post(gone)
    later = fake.add_comment(kept, world.member)
    second = provider.poll(cursor=first.cursor)

    assert [i.external_id for i in second.items] == [later]
    assert set(second.cursor["posts"]) == {kept}
    gone_item = next(i for i in first.items if i.external_id == gone_comment)
    with pytest.raises(NotFound):
        provider.reply(target=reply_target(gone_item), text="Hello?")
    assert kept_comment in {i.external_id for i in first.items}


def test_a_post_whose_comments_vanish_between_listing_and_reading(
    world: World, provider: LinkedInProvider
) -> None:
    post = world.fake.add_post(world.org)
    world.fake.add_comment(post, world.member)
    body = {"status": 404, "serviceErrorCode": 0, "code": "NOT_FOUND", "message": "Not Found"}
    world.fake.inject(Fault("/comments", response=Response(404, body)))
    result = provider.poll(cursor={})
    assert (result.items, result.cursor["posts"]) == ([], {})


# --- malformed payloads ----------------------------------------------------------------------------------

VALID = {
    "commentUrn": "urn:li:comment:(urn:li:activity:1,2)",
    "actor": "urn:li:person:x",
    "message": {"text": "hi"},
    "created": {"time": 1},
}
JUST = {key: st.just(value) for key, value in VALID.items()}
BROKEN = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.none(), max_size=2),
    # Every key but `actor`, which LinkedIn may leave out (the comment is then stored, author unknown).
    st.sampled_from(sorted(set(VALID) - {"actor"})).map(
        lambda key: {k: v for k, v in VALID.items() if k != key}
    ),
    st.fixed_dictionaries(
        {**JUST, "commentUrn": st.one_of(st.none(), st.integers(), st.just("urn:li:share:1"))}
    ),
    st.fixed_dictionaries({**JUST, "message": st.one_of(st.none(), st.just({"text": 5}), st.just("hi"))}),
    st.fixed_dictionaries(
        {**JUST, "created": st.one_of(st.just({"time": "yesterday"}), st.just({"time": True}), st.just({}))}
    ),
    st.fixed_dictionaries({**JUST, "actor": st.integers()}),
    st.fixed_dictionaries({**JUST, "parentComment": st.one_of(st.integers(), st.just(["urn"]))}),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=st.lists(st.one_of(st.just("ok"), BROKEN), min_size=1, max_size=12))
def test_malformed_comments_are_skipped_and_logged_without_losing_valid_ones(
    shared_fake: LinkedInFake, http: httpx.Client, layout: list, caplog: pytest.LogCaptureFixture
) -> None:
    world = build_world(shared_fake)
    caplog.clear()
    post = shared_fake.add_post(world.org)
    valid, broken = [], 0
    for entry in layout:
        if entry == "ok":
            valid.append(shared_fake.add_comment(post, world.member))
        else:
            shared_fake.add_raw_comment(post, entry)
            broken += 1
    provider = make_provider(world, http)

    result = provider.poll(cursor={})

    assert sorted(i.external_id for i in result.items) == sorted(valid)
    assert result.skipped == broken
    logged = [
        r for r in caplog.records if r.name == "networks.providers.linkedin" and "malformed" in r.getMessage()
    ]
    assert len(logged) == broken


# --- errors ------------------------------------------------------------------------------------------------


def test_429_gives_rate_limited_until_midnight_utc(world: World, provider: LinkedInProvider) -> None:
    world.fake.add_post(world.org)
    world.fake.throttled("/rest/posts")
    with pytest.raises(RateLimited) as excinfo:
        provider.poll(cursor={})
    assert excinfo.value.reset_at == dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
    assert "throttle limit" in excinfo.value.network_message
    assert provider.rate_limit.remaining == 0


@pytest.mark.parametrize(
    ("how", "words"), [("revoke", "revoked by the user"), ("expire", "Invalid access token")]
)
def test_revoked_or_expired_token_gives_auth_expired(
    world: World, provider: LinkedInProvider, how: str, words: str
) -> None:
    getattr(world.fake, f"{how}_token")(world.token["access_token"])
    with pytest.raises(AuthExpired) as excinfo:
        provider.poll(cursor={})
    assert words in excinfo.value.network_message


def test_5xx_gives_transient_after_one_quiet_retry(world: World, provider: LinkedInProvider) -> None:
    world.fake.server_error("/rest/posts", status=500, times=2)
    with pytest.raises(Transient):
        provider.poll(cursor={})
    world.fake.server_error("/rest/posts", status=503, times=1)
    assert provider.poll(cursor={}).items == []


def test_a_member_who_is_not_admin_gets_permission_missing(world: World, http: httpx.Client) -> None:
    world.token = world.fake.issue_token(world.member)  # a valid token, but Bob is not a page admin
    post = world.fake.add_post(world.org)
    with pytest.raises(PermissionMissing):
        make_provider(world, http).publish(text="Not mine to post")
    assert world.fake.post(post) is not None


def test_a_retired_version_is_invalid_with_a_clear_message(world: World, http: httpx.Client) -> None:
    with pytest.raises(Invalid, match="no longer accepts API version 202301") as excinfo:
        make_provider(world, http, version="202301").poll(cursor={})
    assert excinfo.value.status == 426
    assert excinfo.value.network_message == "Requested version 202301 is not active"


def test_the_fake_requires_the_version_header(world: World, http: httpx.Client) -> None:
    answer = http.get(
        f"{world.fake.base_url}/rest/posts",
        params={"q": "author", "author": world.org},
        headers={
            "Authorization": f"Bearer {world.token['access_token']}",
            "X-Restli-Protocol-Version": "2.0.0",
        },
    )
    assert answer.status_code == 426
    assert answer.json()["code"] == "VERSION_MISSING"


def test_a_dropped_comment_is_ambiguous_and_the_fake_applied_it(
    world: World, provider: LinkedInProvider
) -> None:
    post = world.fake.add_post(world.org)
    world.fake.add_comment(post, world.member)
    item = provider.poll(cursor={}).items[0]
    world.fake.drop_after("/comments$")
    with pytest.raises(Ambiguous):
        provider.reply(target=reply_target(item), text="Thank you!")
    assert [c["message"]["text"] for c in world.fake.comments_on(post) if c["actor"] == world.org] == [
        "Thank you!"
    ]


def test_a_dropped_publish_is_ambiguous_and_the_post_exists(world: World, provider: LinkedInProvider) -> None:
    world.fake.drop_after("^/rest/posts$")
    with pytest.raises(Ambiguous):
        provider.publish(text="Spring menu")
    assert [p["commentary"] for p in world.fake.posts.values()] == ["Spring menu"]


def test_422_gives_invalid_with_the_networks_words(world: World, provider: LinkedInProvider) -> None:
    provider.publish(text="Same words")
    with pytest.raises(Invalid) as excinfo:
        provider.publish(text="Same words")
    assert excinfo.value.network_message.startswith("Content is a duplicate of urn:li:share:")


# --- replies and posts -------------------------------------------------------------------------------------


def test_our_reply_comes_back_in_the_next_poll_with_the_same_id(
    world: World, provider: LinkedInProvider
) -> None:
    post = world.fake.add_post(world.org)
    top = world.fake.add_comment(post, world.member, "Do you deliver?")
    first = provider.poll(cursor={})
    result = provider.reply(target=reply_target(first.items[0]), text="Yes, every morning!")

    sent = [r for r in world.fake.requests if r.method == "POST"][-1]
    assert sent.path == f"/rest/socialActions/{quote(top, safe='')}/comments"  # created under its parent
    assert sent.json() == {
        "actor": world.org,
        "object": post,
        "message": {"text": "Yes, every morning!"},
        "parentComment": top,
    }
    again = provider.poll(cursor=first.cursor)
    assert [(i.external_id, i.kind, i.thread_root_external_id) for i in again.items] == [
        (result.external_id, ItemKind.REPLY, top)
    ]
    assert again.items[0].author is not None
    assert again.items[0].author.external_id == world.org


def test_a_reply_to_a_reply_hangs_under_the_top_level_comment(
    world: World, provider: LinkedInProvider
) -> None:
    post = world.fake.add_post(world.org)
    top = world.fake.add_comment(post, world.member)
    world.fake.add_comment(post, world.member, "me too", parent=top)
    nested = next(i for i in provider.poll(cursor={}).items if i.kind == ItemKind.REPLY)
    provider.reply(target=reply_target(nested), text="Noted!")
    assert world.fake.requests[-1].json()["parentComment"] == top


def test_reply_text_limits(world: World, provider: LinkedInProvider) -> None:
    target = ReplyTarget(
        "urn:li:comment:(urn:li:activity:1,2)", ItemKind.COMMENT, post_external_id="urn:li:share:1"
    )
    with pytest.raises(Invalid, match="1,251 characters"):
        provider.reply(target=target, text="a" * 1251)
    with pytest.raises(Invalid, match="empty"):
        provider.reply(target=target, text="   ")
    assert world.fake.requests == []


def test_publish_text_escapes_little_text(world: World, provider: LinkedInProvider) -> None:
    result = provider.publish(text="New (seasonal) bread #bakery @home")
    stored = world.fake.post(result.external_id)
    assert stored is not None
    assert stored["commentary"] == r"New \(seasonal\) bread \#bakery \@home"
    assert result.permalink == f"https://www.linkedin.com/feed/update/{result.external_id}"
    body = world.fake.requests[-1].json()
    assert body["visibility"] == "PUBLIC"
    assert body["lifecycleState"] == "PUBLISHED"
    assert body["distribution"]["feedDistribution"] == "MAIN_FEED"


def test_publish_one_image_then_several(world: World, provider: LinkedInProvider) -> None:
    single = provider.publish(text="One", media=[MediaFile(image(), "image/png", alt_text="A loaf")])
    content = world.fake.post(single.external_id)["content"]
    image_urn = content["media"]["id"]
    assert content["media"]["altText"] == "A loaf"
    assert world.fake.images[image_urn]["bytes"] == image()
    upload = next(r for r in world.fake.requests if r.method == "PUT")
    assert upload.bearer() == world.token["access_token"]

    several = provider.publish(
        text="Two", media=[MediaFile(image(), "image/png"), MediaFile(image("GIF"), "")]
    )
    assert len(world.fake.post(several.external_id)["content"]["multiImage"]["images"]) == 2


def test_an_upload_address_outside_linkedin_is_refused(world: World, provider: LinkedInProvider) -> None:
    value = {"value": {"uploadUrl": "https://uploads.evil.example/put", "image": "urn:li:image:1"}}
    world.fake.inject(Fault("/rest/images", response=Response(200, value)))
    with pytest.raises(Invalid, match="outside LinkedIn"):
        provider.publish(text="x", media=[MediaFile(image(), "image/png")])
    assert world.fake.posts == {}


@pytest.mark.parametrize(
    ("text", "media", "message"),
    [
        ("a" * 3001, [], "3,001 characters; LinkedIn allows 3,000"),
        ("webp", [MediaFile(image("WEBP"), "image/webp")], "is a WEBP file"),
        ("junk", [MediaFile(b"GIF89a-not-really", "image/gif")], "not a readable image"),
    ],
)
def test_invalid_posts_are_refused_before_any_request(
    world: World, provider: LinkedInProvider, text: str, media: list, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        provider.publish(text=text, media=media)
    assert world.fake.requests == []


# --- tokens and the connect flow ---------------------------------------------------------------------------


def test_tokens_cannot_be_refreshed_and_expiry_is_announced_a_week_ahead(provider: LinkedInProvider) -> None:
    with pytest.raises(AuthExpired, match="reconnect"):
        provider.refresh_credentials()
    expires = NOW + dt.timedelta(days=60)
    assert not expiry_warning_due(expires, NOW)
    assert not expiry_warning_due(expires, expires - dt.timedelta(days=7, seconds=1))
    assert expiry_warning_due(expires, expires - dt.timedelta(days=7))
    assert expiry_warning_due(expires, expires + dt.timedelta(days=1))
    assert not expiry_warning_due(None, NOW)


def test_connect_flow_lists_the_pages_the_member_administers(
    world: World, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = world.fake
    other = fake.add_organization("Acme Coffee", admins=[world.admin])
    fake.add_organization("Not Ours", admins=[world.member])
    url = authorize_url(
        client_id=fake.client_id,
        redirect_uri="https://cmhub.example/oauth/linkedin/callback",
        state="st-9",
        authorize_base=f"{fake.base_url}/oauth/v2/authorization",
    )
    assert parse_qs(urlsplit(url).query)["scope"] == [
        "r_organization_social w_organization_social rw_organization_admin"
    ]
    redirect = consent.approve(http, url)
    assert redirect.status_code == 302
    params = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert params["state"] == ["st-9"]

    credentials = exchange_code(
        http,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        code=params["code"][0],
        redirect_uri="https://cmhub.example/oauth/linkedin/callback",
        oauth_base=fake.base_url,
        now=NOW,
    )
    assert credentials.expires_at == NOW + dt.timedelta(days=60)
    assert set(credentials.scopes) == {
        "r_organization_social",
        "w_organization_social",
        "rw_organization_admin",
    }

    account = Account(Network.LINKEDIN, "", fake.base_url, credentials)
    organizations = LinkedInProvider(account, http=http).administered_organizations()
    assert [(o.urn, o.name) for o in organizations] == [(world.org, "Acme Bakery"), (other, "Acme Coffee")]
    assert credentials.access_token not in caplog.text
    assert params["code"][0] not in caplog.text


def test_a_wrong_code_is_refused(world: World, http: httpx.Client) -> None:
    with pytest.raises(Invalid) as excinfo:
        exchange_code(
            http,
            client_id=world.fake.client_id,
            client_secret=world.fake.client_secret,
            code="made-up",
            redirect_uri="https://cmhub.example/cb",
            oauth_base=world.fake.base_url,
        )
    assert "does not match authorization code" in excinfo.value.network_message


def test_seeding_over_http(world: World, provider: LinkedInProvider, http: httpx.Client) -> None:
    control = f"{world.fake.base_url}/_fake"
    post = http.post(f"{control}/seed_post", json={"author": world.org, "text": "Hello"}).json()["result"]
    answer = http.post(f"{control}/seed_comment", json={"post": post, "actor": world.member, "text": "Hi!"})
    assert answer.json()["ok"]
    assert [i.text for i in provider.poll(cursor={}).items] == ["Hi!"]
    assert http.post(f"{control}/throttled", json={"path_pattern": "/rest/posts"}).json()["ok"]
    with pytest.raises(RateLimited):
        provider.poll(cursor={})


def test_an_organization_commenting_is_named_by_linkedin(world, provider):
    fake = world.fake
    other = fake.add_organization("Other Bakery")
    post = fake.add_post(world.org, "New croissants")
    fake.add_comment(post, other, "Congrats neighbours!")
    items = provider.poll(cursor={}).items
    [item] = [i for i in items if i.text == "Congrats neighbours!"]
    assert (item.author.external_id, item.author.name, item.author.handle) == (other, "Other Bakery", "")
    assert item.post_text == "New croissants"
