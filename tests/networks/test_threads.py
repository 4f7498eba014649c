"""ThreadsProvider over real HTTP against ThreadsFake on 127.0.0.1: connect, poll, answers, posts, limits,
moderation, errors."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image

from core.http import make_client
from networks.fakes import consent as consent_page
from networks.fakes.base import Fault, Response
from networks.fakes.threads import ThreadsFake
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
    OAuthApp,
    PermissionMissing,
    RateLimited,
    ReplyTarget,
    Transient,
    WatchWindows,
)
from networks.providers.threads import ThreadsProvider
from networks.providers.threads_auth import DEFAULT_SCOPES
from networks.providers.threads_publishing import DictMemo


@dataclass
class World:
    fake: ThreadsFake
    http: httpx.Client
    brand: str
    token: str
    ada: str
    memo: DictMemo

    def provider(self, **kwargs: object) -> ThreadsProvider:
        account = Account(
            Network.THREADS, self.brand, self.fake.base_url, Credentials(self.token), handle="demobakery"
        )
        return ThreadsProvider(
            account,
            http=self.http,
            memo=self.memo,
            sleep=lambda _s: None,
            container_check_interval=0,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def world() -> Iterator[World]:
    with ThreadsFake() as fake, make_client(timeout=5) as http:
        brand = fake.add_user("demobakery", "Demo Bakery")
        ada = fake.add_user("ada", "Ada")
        token = fake.issue_token(brand)
        yield World(fake, http, brand, token, ada, DictMemo())


def _jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(out, "JPEG")
    return out.getvalue()


# --- Connect -----------------------------------------------------------------------------------------------


def test_connect_through_the_consent_page_gives_a_long_lived_token_and_the_profile(world: World) -> None:
    fake = world.fake
    app = OAuthApp(fake.client_id, fake.client_secret, fake.base_url, fake.base_url)
    consent = ThreadsProvider.consent(
        app, redirect_uri="https://cmhub.example/cb", state="s1", scopes=DEFAULT_SCOPES
    )
    assert consent.url.startswith(f"{fake.base_url}/oauth/authorize?")
    assert "scope=threads_basic%2Cthreads_read_replies" in consent.url
    back = consent_page.approve(world.http, consent.url)
    assert back.status_code == 302
    location = httpx.URL(back.headers["location"])
    assert location.params["state"] == "s1"
    code = location.params["code"]
    [account] = ThreadsProvider.connectable(
        app, http=world.http, code=code, redirect_uri="https://cmhub.example/cb"
    )
    assert account.network == Network.THREADS
    assert account.external_id == world.brand
    assert account.handle == "demobakery"
    assert account.name == "Demo Bakery"
    token = fake.world.tokens[account.credentials.access_token]
    assert token.long_lived
    assert account.credentials.expires_at is not None
    assert account.credentials.expires_at - dt.datetime.now(dt.UTC) > dt.timedelta(days=59)


def test_a_code_used_twice_or_for_another_redirect_is_refused(world: World) -> None:
    fake = world.fake
    app = OAuthApp(fake.client_id, fake.client_secret, fake.base_url, fake.base_url)
    url = ThreadsProvider.consent(app, redirect_uri="https://a.example/cb", state="s", scopes=()).url
    code = httpx.URL(consent_page.approve(world.http, url).headers["location"]).params["code"]
    with pytest.raises(Invalid):
        ThreadsProvider.connectable(app, http=world.http, code=code, redirect_uri="https://b.example/cb")
    with pytest.raises(Invalid):
        ThreadsProvider.connectable(app, http=world.http, code=code, redirect_uri="https://a.example/cb")


def test_refresh_waits_for_a_token_a_day_old_then_renews_it(world: World) -> None:
    fresh = Credentials(world.token, extra={"issued_at": dt.datetime.now(dt.UTC).isoformat()})
    account = Account(Network.THREADS, world.brand, world.fake.base_url, fresh)
    with pytest.raises(Transient):
        ThreadsProvider(account, http=world.http).refresh_credentials()
    old = world.fake.issue_token(world.brand, age=2 * 86400)
    issued = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    account = Account(
        Network.THREADS, world.brand, world.fake.base_url, Credentials(old, extra={"issued_at": issued})
    )
    renewed = ThreadsProvider(account, http=world.http).refresh_credentials()
    assert renewed.access_token != old
    assert renewed.expires_at is not None and renewed.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(
        days=59
    )
    assert renewed.extra["issued_at"] > issued


def test_refresh_refused_by_threads_is_a_lost_connection(world: World) -> None:
    young = world.fake.issue_token(world.brand)  # Threads refuses it: less than a day old
    account = Account(Network.THREADS, world.brand, world.fake.base_url, Credentials(young))
    with pytest.raises(AuthExpired):
        ThreadsProvider(account, http=world.http).refresh_credentials()


# --- Poll --------------------------------------------------------------------------------------------------


def test_replies_at_every_depth_are_filed_under_the_reply_to_our_post(world: World) -> None:
    fake = world.fake
    post = fake.add_post(world.brand, "Nouveaux croissants ce matin !", ago=3600)
    top = fake.add_reply(post, world.ada, "Ils sont au beurre ?", ago=600)
    ours = fake.add_reply(top, world.brand, "Oui, beurre AOP.", ago=500)
    nested = fake.add_reply(ours, world.ada, "Parfait, merci !", ago=400)
    other = fake.add_reply(post, world.ada, "Et le pain ?", ago=300)

    result = world.provider().poll(cursor={})

    by_id = {item.external_id: item for item in result.items}
    assert set(by_id) == {top, ours, nested, other}
    assert by_id[top].kind == ItemKind.COMMENT and by_id[top].thread_root_external_id == top
    assert by_id[nested].kind == ItemKind.REPLY
    assert by_id[nested].parent_external_id == ours
    assert by_id[nested].thread_root_external_id == top
    assert by_id[ours].author is not None and by_id[ours].author.external_id == world.brand
    assert by_id[top].author is not None and by_id[top].author.handle == "ada"
    assert by_id[top].post_external_id == post
    assert by_id[top].post_text == "Nouveaux croissants ce matin !"
    assert by_id[other].thread_root_external_id == other
    [listing] = result.listings
    assert listing.post_external_id == post and listing.item_ids == {top, ours, nested, other}


def test_a_second_poll_brings_only_what_is_new(world: World) -> None:
    fake = world.fake
    post = fake.add_post(world.brand, "Hello", ago=3600)
    first = fake.add_reply(post, world.ada, "one", ago=60)
    provider = world.provider()
    result = provider.poll(cursor={})
    assert [i.external_id for i in result.items] == [first]
    second = fake.add_reply(post, world.ada, "two")
    again = provider.poll(cursor=result.cursor)
    assert [i.external_id for i in again.items] == [second]
    assert provider.poll(cursor=again.cursor).items == []


def test_a_small_budget_resumes_without_losing_or_repeating(world: World) -> None:
    fake = world.fake
    post = fake.add_post(world.brand, "Hello", ago=3600)
    ids = {fake.add_reply(post, world.ada, f"r{n}", ago=100 - n) for n in range(7)}
    provider = world.provider()
    cursor: dict = {}
    seen: list[str] = []
    for _run in range(10):
        result = provider.poll(cursor=cursor, max_items=3)
        seen += [i.external_id for i in result.items]
        cursor = result.cursor
        if not result.has_more:
            break
    assert sorted(seen) == sorted(ids)


def test_hidden_replies_are_stored_hidden(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=3600)
    hidden = world.fake.add_reply(post, world.ada, "spam spam", hidden=True)
    [item] = world.provider().poll(cursor={}).items
    assert item.external_id == hidden and item.held


def test_mentions_arrive_as_their_own_threads(world: World) -> None:
    mention = world.fake.add_post(world.ada, "Meilleure boulangerie : @demobakery")
    [item] = world.provider().poll(cursor={}).items
    assert item.external_id == mention
    assert item.kind == ItemKind.MENTION and item.thread_root_external_id == mention
    assert item.author is not None and item.author.handle == "ada"


def test_replies_of_a_private_profile_have_no_author(world: World) -> None:
    shy = world.fake.add_user("shy", private=True)
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    world.fake.add_reply(post, shy, "hi")
    [item] = world.provider().poll(cursor={}).items
    assert item.author is None


def test_posts_without_replies_are_not_read(world: World) -> None:
    world.fake.add_post(world.brand, "Nobody answered", ago=60)
    world.provider().poll(cursor={})
    assert not [r for r in world.fake.requests if r.path.endswith("/conversation")]


def test_a_reply_without_permission_to_read_says_so(world: World) -> None:
    token = world.fake.issue_token(world.brand, scopes=("threads_basic", "threads_manage_mentions"))
    world.fake.add_reply(world.fake.add_post(world.brand, "x", ago=60), world.ada, "y")
    account = Account(Network.THREADS, world.brand, world.fake.base_url, Credentials(token))
    with pytest.raises(PermissionMissing):
        ThreadsProvider(account, http=world.http).poll(cursor={})


def test_an_invalid_token_is_a_lost_connection(world: World) -> None:
    account = Account(Network.THREADS, world.brand, world.fake.base_url, Credentials("THAAnope"))
    with pytest.raises(AuthExpired):
        ThreadsProvider(account, http=world.http).poll(cursor={})


# --- Answer ------------------------------------------------------------------------------------------------


def _target(reply_id: str, post: str) -> ReplyTarget:
    return ReplyTarget(reply_id, ItemKind.COMMENT, post_external_id=post, thread_root_external_id=reply_id)


def test_an_answer_is_published_under_the_reply(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "Question ?")
    result = world.provider().reply(target=_target(reply, post), text="Réponse 🥐", delivery_key="k1")
    [published] = world.fake.published(world.brand)
    assert published.id == result.external_id
    assert published.replied_to == reply and published.root_post == post
    assert result.permalink.startswith("https://www.threads.net/@demobakery/post/")


def test_a_retry_after_a_lost_publish_answer_publishes_the_same_container_once(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "Question ?")
    provider = world.provider()
    # The publish step times out before it reaches Threads: the container is kept for the next attempt.
    world.fake.inject(Fault(r"/threads_publish$", response=Response(503, {"error": {"code": 2}})))
    with pytest.raises(Transient):
        provider.reply(target=_target(reply, post), text="Merci !", delivery_key="k2")
    containers_before = len(world.fake.world.containers)
    provider.reply(target=_target(reply, post), text="Merci !", delivery_key="k2")
    assert len(world.fake.world.containers) == containers_before
    assert len(world.fake.published(world.brand)) == 1


def test_a_publish_that_landed_without_an_answer_is_read_back_not_sent_again(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "Question ?")
    provider = world.provider()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    world.fake.inject(Fault(r"/threads_publish$", kind="drop_after"))
    with pytest.raises(Ambiguous):
        provider.reply(target=_target(reply, post), text="Merci !", delivery_key="k3")
    # The engine reads back first; a retry anyway finds the container published and asks for a read-back.
    with pytest.raises(Ambiguous):
        provider.reply(target=_target(reply, post), text="Merci !", delivery_key="k3")
    found = provider.find_reply(target=_target(reply, post), text="Merci !", since=since)
    [published] = world.fake.published(world.brand)
    assert found is not None and found.external_id == published.id
    assert (
        provider.find_reply(target=_target(reply, post), text="Merci !", since=since, exclude=[published.id])
        is None
    )


def test_find_reply_ignores_the_same_words_under_another_reply(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    one, two = (world.fake.add_reply(post, world.ada, f"q{n}") for n in range(2))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    world.provider().reply(target=_target(one, post), text="Merci !", delivery_key="a")
    assert world.provider().find_reply(target=_target(two, post), text="Merci !", since=since) is None


def test_the_text_is_counted_as_threads_counts_it(world: World) -> None:
    assert ThreadsProvider.text_length("é" * 10) == 10
    assert ThreadsProvider.text_length("🥐") == 4
    assert ThreadsProvider.text_length("❤️") == 6  # U+2764 (3 bytes) and VS16 (3 bytes)
    provider = world.provider()
    assert provider.validate_text("a" * 500) == []
    assert provider.validate_text("a" * 497 + "🥐")  # 501 as Threads counts
    links = " ".join(f"https://site{n}.example" for n in range(6))
    assert provider.validate_text(links)


def test_a_text_too_long_for_threads_is_refused_before_sending(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "?")
    with pytest.raises(Invalid):
        world.provider().reply(target=_target(reply, post), text="🥐" * 126, delivery_key="long")
    assert world.fake.world.containers == {}


def test_the_fake_refuses_what_the_client_let_through(world: World) -> None:
    """The fake counts from the documentation on its own: a client that counted wrong is caught."""
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "?")
    answer = world.http.post(
        f"{world.fake.base_url}/v1.0/{world.brand}/threads",
        data={"media_type": "TEXT", "text": "🥐" * 126, "reply_to_id": reply},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100


# --- Limits ------------------------------------------------------------------------------------------------


def test_a_spent_reply_limit_waits_until_the_window_frees_a_place(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "?")
    world.fake.set_quota(replies=1)
    provider = world.provider()
    provider.reply(target=_target(reply, post), text="one", delivery_key="l1")
    published_at = world.fake.published(world.brand)[0].created
    with pytest.raises(RateLimited) as caught:
        world.provider().reply(target=_target(reply, post), text="two", delivery_key="l2")
    expected = published_at + dt.timedelta(hours=24)
    assert abs((caught.value.reset_at - expected).total_seconds()) < 120
    assert len(world.fake.published(world.brand)) == 1


def test_a_refused_publish_on_a_spent_limit_is_a_wait_whatever_the_error_says(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "?")
    world.fake.set_quota(replies=1)
    provider = world.provider()
    provider.reply(target=_target(reply, post), text="one", delivery_key="m1")
    # A stale reading says there is room; Threads refuses at threads_publish with an undocumented body.
    world.memo.data = {k: v for k, v in world.memo.data.items() if ":quota:" not in k}
    world.memo.data[f"{world.brand}:quota:reply_quota_usage"] = {
        "used": 0,
        "total": 1000,
        "at": dt.datetime.now(dt.UTC).isoformat(),
    }
    world.fake.inject(
        Fault(r"/threads_publish$", response=Response(400, {"error": {"message": "Limit", "code": 100}}))
    )
    with pytest.raises(RateLimited):
        provider.reply(target=_target(reply, post), text="two", delivery_key="m2")


def test_posts_and_replies_have_separate_limits(world: World) -> None:
    world.fake.set_quota(posts=0)
    with pytest.raises(RateLimited):
        world.provider().publish(text="Bonjour", delivery_key="p0")
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "?")
    world.provider().reply(target=_target(reply, post), text="ok", delivery_key="p1")


# --- Publish -----------------------------------------------------------------------------------------------


def test_a_text_post_is_published_and_read_back(world: World) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    provider = world.provider()
    result = provider.publish(text="Ouverture dimanche 🎉", delivery_key="t1")
    [published] = world.fake.published(world.brand)
    assert published.id == result.external_id and not published.is_reply
    found = provider.find_post(text="Ouverture dimanche 🎉", since=since)
    assert found is not None and found.external_id == result.external_id
    assert provider.find_post(text="Ouverture dimanche 🎉", since=since, exclude=[result.external_id]) is None


def test_an_image_post_waits_for_its_container_then_publishes_once(world: World) -> None:
    url = world.fake.host_image(_jpeg())
    world.fake.image_reads_until_ready = 2
    media = [MediaFile(_jpeg(), "image/jpeg", public_url=url, alt_text="Croissants")]
    result = world.provider().publish(text="Nos croissants", media=media, delivery_key="i1")
    [published] = world.fake.published(world.brand)
    assert published.id == result.external_id
    assert published.media_type == "IMAGE" and published.media_url == url


def test_an_image_threads_cannot_fetch_is_refused(world: World) -> None:
    media = [MediaFile(_jpeg(), "image/jpeg", public_url=f"{world.fake.base_url}/_media/0000")]
    with pytest.raises(Invalid):
        world.provider().publish(text="x", media=media, delivery_key="i2")
    assert world.fake.published() == []


def test_an_image_without_a_public_address_is_refused(world: World) -> None:
    with pytest.raises(Invalid):
        world.provider().publish(text="x", media=[MediaFile(_jpeg(), "image/jpeg")], delivery_key="i3")


def test_images_are_checked_against_threads_rules(world: World) -> None:
    provider = world.provider()
    assert provider.validate_media([MediaFile(_jpeg(200, 150), "image/jpeg")]) == []  # rescaled, not refused
    assert provider.validate_media([MediaFile(_jpeg(1100, 100), "image/jpeg")])  # wider than 10:1
    gif = io.BytesIO()
    Image.new("RGB", (400, 400)).save(gif, "GIF")
    assert provider.validate_media([MediaFile(gif.getvalue(), "image/gif")])


# --- Moderation --------------------------------------------------------------------------------------------


def test_hide_and_show_a_reply_to_our_post(world: World) -> None:
    assert ThreadsProvider.supports(Capability.HIDE)
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "spam")
    under = world.fake.add_reply(reply, world.ada, "more spam")
    provider = world.provider()
    provider.hide_comment(comment_id=reply, hidden=True)
    assert world.fake.world.media[reply].hide_status == "HIDDEN"
    assert world.fake.world.media[under].hide_status == "HIDDEN"
    assert provider.comment_state(comment_id=reply).hidden is True
    provider.hide_comment(comment_id=reply, hidden=False)
    assert provider.comment_state(comment_id=reply).hidden is False


def test_a_deeper_reply_cannot_be_hidden_on_its_own(world: World) -> None:
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    reply = world.fake.add_reply(post, world.ada, "q")
    under = world.fake.add_reply(reply, world.ada, "spam")
    with pytest.raises(Invalid):
        world.provider().hide_comment(comment_id=under, hidden=True)


def test_delete_our_own_reply_only(world: World) -> None:
    assert ThreadsProvider.supports(Capability.DELETE_OWN)
    assert not ThreadsProvider.supports(Capability.DELETE)
    post = world.fake.add_post(world.brand, "Hello", ago=60)
    theirs = world.fake.add_reply(post, world.ada, "q")
    ours = world.provider().reply(target=_target(theirs, post), text="a", delivery_key="d").external_id
    world.provider().delete_comment(comment_id=ours)
    assert world.fake.world.media[ours].deleted
    with pytest.raises(PermissionMissing):
        world.provider().delete_comment(comment_id=theirs)
    assert not world.provider().comment_state(comment_id=ours).exists


def test_no_direct_messages_on_threads() -> None:
    assert not ThreadsProvider.supports(Capability.DIRECT_MESSAGES)


def test_an_older_post_with_new_replies_is_swept(world: World) -> None:
    old = world.fake.add_post(world.brand, "Il y a un mois", ago=30 * 86400)
    reply = world.fake.add_reply(old, world.ada, "Toujours d'actualité ?")
    windows = WatchWindows(recent_days=14, recent_posts=25, sweep_days=365, sweep_posts=25)
    result = world.provider(windows=windows, lookback=dt.timedelta(days=14)).poll(cursor={})
    assert [item.external_id for item in result.items] == [reply]
    without_sweep = WatchWindows(recent_days=14, recent_posts=25, sweep_days=0)
    assert world.provider(windows=without_sweep, lookback=dt.timedelta(days=14)).poll(cursor={}).items == []


def test_a_mention_is_answered_under_it(world: World) -> None:
    mention = world.fake.add_post(world.ada, "@demobakery vous faites des galettes ?")
    target = ReplyTarget(mention, ItemKind.MENTION, post_external_id=mention, thread_root_external_id=mention)
    result = world.provider().reply(target=target, text="Oui, tout janvier !", delivery_key="mention")
    [published] = world.fake.published(world.brand)
    assert published.id == result.external_id and published.replied_to == mention


def test_the_fake_refuses_mentions_from_before_threads_existed(world: World) -> None:
    answer = world.http.get(
        f"{world.fake.base_url}/v1.0/{world.brand}/mentions",
        params={"since": "1600000000"},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    # The client never asks that far back, whatever the lookback a workspace chose.
    world.provider(lookback=dt.timedelta(days=20 * 365)).poll(cursor={})
