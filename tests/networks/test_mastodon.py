"""MastodonProvider over real HTTP against MastodonFake on 127.0.0.1: connect, poll, DMs, replies, media,
errors, moderation."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from core.http import make_client
from networks.fakes import consent as consent_page
from networks.fakes.base import Fault, Response
from networks.fakes.mastodon import MastodonFake
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Capability,
    Consent,
    Credentials,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    RateLimited,
    ReplyTarget,
    Transient,
)
from networks.providers.mastodon import MastodonProvider, idempotency_key
from networks.providers.mastodon_auth import DEFAULT_SCOPES, qualified_id
from networks.providers.x import XProvider


@dataclass
class World:
    fake: MastodonFake
    http: httpx.Client
    brand: str
    token: str
    ada: str
    remote: str

    def q(self, account_id: str) -> str:
        """An account id of the fake as CM Hub stores it: qualified by the instance's host."""
        return qualified_id(account_id, self.fake.base_url)

    def provider(self, **kwargs: object) -> MastodonProvider:
        account = Account(
            Network.MASTODON,
            self.q(self.brand),
            self.fake.base_url,
            Credentials(self.token),
            handle="bakery@mastodon.example",
        )
        return MastodonProvider(account, http=self.http, media_poll_seconds=0.05, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def world() -> Iterator[World]:
    with MastodonFake() as fake, make_client(timeout=5) as http:
        brand = fake.add_account("bakery", "Demo Bakery")
        ada = fake.add_account("ada", "Ada")
        remote = fake.add_account("lea", "Léa", domain="piaille.fr")
        token = fake.issue_token(brand)["access_token"]
        yield World(fake, http, brand, token, ada, remote)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "orange").save(out, "PNG")
    return out.getvalue()


# --- connect ---------------------------------------------------------------------------------------------


def _consent(world: World, redirect: str) -> tuple[OAuthApp, Consent, str]:
    """CM Hub's app registered on the fake, its consent page, and the code "Authorize" gives back."""
    registered = MastodonProvider.register_app(
        http=world.http,
        server_url=world.fake.base_url,
        redirect_uri=redirect,
        scopes=DEFAULT_SCOPES,
        client_name="CM Hub",
        website="https://cmhub.example",
    )
    app = OAuthApp(registered.client_id, registered.client_secret, world.fake.base_url, world.fake.base_url)
    consent = MastodonProvider.consent(app, redirect_uri=redirect, state="s1", scopes=DEFAULT_SCOPES)
    world.fake.consent_account_id = world.brand
    back = consent_page.approve(world.http, consent.url)
    return app, consent, parse_qs(urlsplit(back.headers["location"]).query)["code"][0]


def test_connect_registers_the_app_then_consents_with_pkce_and_reads_the_server_limits(world: World) -> None:
    redirect = "http://testserver/channels/connect/mastodon/callback/"
    app, consent, code = _consent(world, redirect)
    query = parse_qs(urlsplit(consent.url).query)
    assert urlsplit(consent.url).path == "/oauth/authorize"
    assert query["code_challenge_method"] == ["S256"] and query["state"] == ["s1"]
    assert query["scope"] == [" ".join(DEFAULT_SCOPES)]
    (found,) = MastodonProvider.connectable(
        app, http=world.http, code=code, redirect_uri=redirect, verifier=consent.verifier
    )

    assert (found.name, found.handle) == ("Demo Bakery", "bakery@127.0.0.1")
    assert found.external_id == f"{world.brand}@127.0.0.1"  # "<id>@<host>"
    assert found.api_base_url == world.fake.base_url
    assert found.server_limits["max_characters"] == 500
    assert found.server_limits["characters_reserved_per_url"] == 23
    assert found.server_limits["streaming_url"].startswith("ws://127.0.0.1")
    assert found.credentials.scopes == DEFAULT_SCOPES


def test_a_code_redeemed_with_the_wrong_verifier_is_refused(world: World) -> None:
    redirect = "http://testserver/cb/"
    registered = MastodonProvider.register_app(
        http=world.http,
        server_url=world.fake.base_url,
        redirect_uri=redirect,
        scopes=DEFAULT_SCOPES,
        client_name="CM Hub",
        website="",
    )
    app = OAuthApp(registered.client_id, registered.client_secret, world.fake.base_url, world.fake.base_url)
    consent = MastodonProvider.consent(app, redirect_uri=redirect, state="s", scopes=DEFAULT_SCOPES)
    world.fake.consent_account_id = world.brand
    code = parse_qs(urlsplit(consent_page.approve(world.http, consent.url).headers["location"]).query)[
        "code"
    ][0]

    with pytest.raises(Invalid):
        MastodonProvider.connectable(app, http=world.http, code=code, redirect_uri=redirect, verifier="wrong")


# --- polling ---------------------------------------------------------------------------------------------


def test_the_first_poll_reads_back_to_the_lookback_then_walks_forward_without_gaps(world: World) -> None:
    fake = world.fake
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).isoformat()
    fake.add_mention(world.brand, world.ada, "too old", created_at=old)
    first = [fake.add_mention(world.brand, world.ada, f"first {i}") for i in range(3)]

    result = world.provider(lookback=dt.timedelta(days=14)).poll(cursor={})
    assert [item.external_id for item in result.items] == first
    assert result.cursor["min_id"]

    # 95 more: the forward walk pages 40 at a time and, cut by its budget, resumes where it stopped.
    later = [fake.add_mention(world.brand, world.ada, f"later {i}") for i in range(95)]
    seen: list[str] = []
    cursor = result.cursor
    runs = 0
    while True:
        runs += 1
        result = world.provider().poll(cursor=cursor, max_items=50)
        seen += [item.external_id for item in result.items]
        cursor = result.cursor
        if not result.has_more:
            break
    assert seen == later and runs >= 2
    paging = [r for r in fake.requests if r.path == "/api/v1/notifications" and r.arg("min_id")]
    assert all(r.query["types[]"] == ["mention", "update"] for r in paging)
    assert not any(r.arg("since_id") for r in fake.requests)
    assert world.provider().poll(cursor=cursor).items == []


def test_a_mention_reads_as_plain_text_with_its_author_and_permalink(world: World) -> None:
    world.fake.add_mention(
        world.brand,
        world.remote,
        "Bonjour !\nVous ouvrez à 7h ? https://example.com/horaires/du/dimanche/matin",
    )
    (item,) = world.provider().poll(cursor={}).items

    assert item.kind == ItemKind.MENTION
    assert item.text == "@bakery Bonjour !\nVous ouvrez à 7h ? https://example.com/horaires/du/dimanche/matin"
    assert item.author is not None and item.author.handle == "lea@piaille.fr"
    assert item.author.external_id == world.q(world.remote)
    assert item.permalink.endswith(f"/{item.external_id}")
    assert item.thread_root_external_id == item.external_id == item.post_external_id
    assert "<" not in item.text and item.raw["content_html"].startswith("<p>")


def test_replies_in_a_thread_are_filed_under_its_first_status(world: World) -> None:
    fake = world.fake
    ours = fake.create_status(world.brand, "Nouveau pain au levain demain !")
    reply = fake.add_mention(world.brand, world.ada, "À quelle heure ?", in_reply_to=ours)
    ours_again = fake.create_status(world.brand, "@ada Dès 7h", in_reply_to=reply)
    deeper = fake.add_mention(world.brand, world.ada, "Merci !", in_reply_to=ours_again)

    found = world.provider().poll(cursor={}).items

    assert [item.external_id for item in found] == [reply, deeper]
    assert {item.thread_root_external_id for item in found} == {ours}
    assert all(item.kind == ItemKind.REPLY for item in found)
    assert found[1].parent_external_id == ours_again
    assert found[0].post_text == "Nouveau pain au levain demain !"


def test_a_content_warning_leads_the_text_and_is_kept(world: World) -> None:
    world.fake.add_mention(world.brand, world.ada, "Le gâteau était raté", spoiler_text="avis négatif")
    (item,) = world.provider().poll(cursor={}).items
    assert item.text.startswith("CW: avis négatif\n\n")
    assert item.raw["spoiler_text"] == "avis négatif"


def test_an_edit_notification_rereads_the_mention_with_its_new_words(world: World) -> None:
    fake = world.fake
    status = fake.add_mention(world.brand, world.ada, "Ouvert à 7h ?")
    cursor = world.provider().poll(cursor={}).cursor
    fake.edit_status(status, "@bakery Ouvert à 7h dimanche ?")

    result = world.provider().poll(cursor=cursor)

    assert result.items == []
    (edit,) = result.reread
    assert edit.external_id == status and edit.text.endswith("dimanche ?") and edit.edited_at is not None


def test_direct_messages_are_read_per_conversation_with_both_sides(world: World) -> None:
    fake = world.fake
    question = fake.add_dm(world.brand, world.remote, "Commande privée ?")
    answer = fake.create_status(
        world.brand, "@lea@piaille.fr Oui !", in_reply_to=question, visibility="direct"
    )
    result = world.provider().poll(cursor={})

    dms = [item for item in result.items if item.kind == ItemKind.DIRECT_MESSAGE]
    assert [item.external_id for item in dms] == [question, answer]
    assert len({item.thread_root_external_id for item in dms}) == 1
    assert dms[0].thread_root_external_id.startswith("conversation:")
    assert dms[1].author is not None and dms[1].author.external_id == world.q(world.brand)
    assert not [item for item in result.items if item.kind != ItemKind.DIRECT_MESSAGE]  # not also a mention

    later = fake.add_dm(world.brand, world.remote, "Merci", in_reply_to=answer)
    again = world.provider().poll(cursor=result.cursor)
    assert [item.external_id for item in again.items] == [later]


def test_a_malformed_notification_is_skipped_and_logged_without_losing_the_batch(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    good = fake.add_mention(world.brand, world.ada, "fine")
    broken = fake.add_mention(world.brand, world.ada, "broken")
    fake.statuses[broken]["created_at"] = "not a date"
    after = fake.add_mention(world.brand, world.ada, "fine too")

    with caplog.at_level(logging.WARNING):
        result = world.provider().poll(cursor={})

    assert [item.external_id for item in result.items] == [good, after]
    assert result.skipped == 1 and "malformed notification" in caplog.text


def test_the_instance_limits_are_read_again_once_a_day(world: World) -> None:
    first = world.provider().poll(cursor={})
    assert first.server_limits is not None and first.server_limits["max_characters"] == 500
    assert world.provider().poll(cursor=first.cursor).server_limits is None
    day_old = {**first.cursor, "limits_read_at": (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()}
    world.fake.max_characters = 1000
    assert world.provider().poll(cursor=day_old).server_limits["max_characters"] == 1000  # type: ignore[index]


# --- replies ---------------------------------------------------------------------------------------------


def _target(status_id: str, kind: ItemKind = ItemKind.MENTION) -> ReplyTarget:
    return ReplyTarget(status_id, kind)


def test_a_reply_keeps_the_visibility_and_addresses_the_author(world: World) -> None:
    fake = world.fake
    for visibility in ("public", "unlisted", "private"):
        status = fake.add_mention(world.brand, world.remote, "?", visibility=visibility)
        sent = world.provider().reply(target=_target(status), text="Oui, dès 7h.")
        stored = fake.statuses[sent.external_id]
        assert stored["visibility"] == visibility
        assert stored["_text"] == "@lea@piaille.fr Oui, dès 7h."
        assert stored["in_reply_to_id"] == status


def test_a_reply_to_a_direct_message_stays_direct_and_starts_with_the_recipient(world: World) -> None:
    fake = world.fake
    question = fake.add_dm(world.brand, world.remote, "Commande ?")
    sent = world.provider().reply(target=_target(question, ItemKind.DIRECT_MESSAGE), text="C'est noté.")
    stored = fake.statuses[sent.external_id]
    assert stored["visibility"] == "direct"
    assert stored["_text"].startswith("@lea@piaille.fr ")
    assert world.remote in {m["id"] for m in stored["mentions"]}


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_to_a_write_is_ambiguous_so_the_engine_reads_back_first(
    world: World, status: int
) -> None:
    """The instance (or its proxy) may answer 5xx after creating the status: a blind retry after the
    Idempotency-Key's hour would post twice (review finding 6)."""
    mention = world.fake.add_mention(world.brand, world.ada, "?")
    world.fake.inject(
        Fault(r"^/api/v1/statuses$", response=Response(status, {"error": "Oops"}), method="POST")
    )
    with pytest.raises(Ambiguous):
        world.provider().reply(target=_target(mention), text="Merci !")
    world.fake.inject(
        Fault(r"^/api/v1/statuses$", response=Response(status, {"error": "Oops"}), method="POST")
    )
    with pytest.raises(Ambiguous):
        world.provider().publish(text="Du pain frais")


def test_a_retried_reply_posts_once(world: World) -> None:
    fake = world.fake
    status = fake.add_mention(world.brand, world.ada, "?")
    fake.inject(Fault(r"^/api/v1/statuses$", kind="drop_after", method="POST"))
    with pytest.raises(Exception):  # noqa: B017 - the connection drops after the status was created
        world.provider().reply(target=_target(status), text="Merci !")

    again = world.provider().reply(target=_target(status), text="Merci !")

    ours = [s for s in fake.statuses.values() if s["account"]["id"] == world.brand]
    assert [s["id"] for s in ours] == [again.external_id]
    keys = {r.headers.get("idempotency-key") for r in fake.requests if r.method == "POST"}
    assert len(keys) == 1 and None not in keys


def test_find_reply_reads_the_thread_back(world: World) -> None:
    fake = world.fake
    status = fake.add_mention(world.brand, world.ada, "?")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    provider = world.provider()
    assert provider.find_reply(target=_target(status), text="Merci !", since=since) is None
    sent = provider.reply(target=_target(status), text="Merci !")

    found = provider.find_reply(target=_target(status), text="Merci !", since=since)
    assert found is not None and found.external_id == sent.external_id
    assert (
        provider.find_reply(target=_target(status), text="Merci !", since=since, exclude={sent.external_id})
        is None
    )


def test_a_reply_too_long_for_the_server_is_refused_before_sending(world: World) -> None:
    status = world.fake.add_mention(world.brand, world.ada, "?")
    with pytest.raises(Invalid, match="allows 500"):
        world.provider().reply(
            target=_target(status), text="x" * 496
        )  # 501 with the "@ada " it must start with
    assert not [r for r in world.fake.requests if r.method == "POST"]


def test_a_reply_to_a_deleted_status_is_not_found(world: World) -> None:
    status = world.fake.add_mention(world.brand, world.ada, "?")
    world.fake.delete_status(status)
    with pytest.raises(NotFound) as caught:
        world.provider().reply(target=_target(status), text="Merci")
    assert caught.value.network_message == "Record not found"


def test_a_blank_status_gets_the_servers_words(world: World) -> None:
    answer = world.http.post(
        f"{world.fake.base_url}/api/v1/statuses",
        json={"status": " "},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert answer.status_code == 422 and answer.json() == {"error": "Validation failed: Text can't be blank"}


# --- publishing ------------------------------------------------------------------------------------------


def test_publish_with_an_image_waits_for_processing_and_sends_the_alt_text(world: World) -> None:
    world.fake.media_processing_seconds = 0.2
    image = MediaFile(_png(), "image/png", alt_text="Une baguette dorée")
    sent = world.provider().publish(text="Le pain du jour", media=[image])

    stored = world.fake.statuses[sent.external_id]
    (attachment,) = stored["media_attachments"]
    assert attachment["description"] == "Une baguette dorée" and attachment["url"]
    checks = [r for r in world.fake.requests if r.path.startswith("/api/v1/media/")]
    assert checks, "the client asked how processing went"
    assert stored["visibility"] == "public"


def test_find_post_reads_our_statuses_back(world: World) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    provider = world.provider()
    assert provider.find_post(text="Ouverture dimanche", since=since) is None
    sent = provider.publish(text="Ouverture dimanche")
    found = provider.find_post(text="Ouverture dimanche", since=since)
    assert found is not None and found.external_id == sent.external_id


def test_a_retried_publish_posts_once(world: World) -> None:
    provider = world.provider()
    first = provider.publish(text="Une fois")
    second = provider.publish(text="Une fois")
    assert first.external_id == second.external_id
    assert len([s for s in world.fake.statuses.values() if s["_text"] == "Une fois"]) == 1


def test_the_idempotency_key_depends_on_every_part_of_the_write() -> None:
    key = idempotency_key("1", "2", "public", "hi")
    assert key == idempotency_key("1", "2", "public", "hi")
    assert (
        len({key, idempotency_key("1", "3", "public", "hi"), idempotency_key("1", "2", "direct", "hi")}) == 3
    )


# --- limits and errors -----------------------------------------------------------------------------------


def test_length_counts_urls_as_23_and_remote_mentions_as_their_local_part() -> None:
    url = "https://example.com/" + "a" * 100
    assert MastodonProvider.text_length(url) == 23
    assert MastodonProvider.text_length("@lea@piaille.fr hi") == len("@lea hi")
    assert MastodonProvider.text_length("👩‍👩‍👧 é") == 3  # grapheme clusters, as Mastodon counts


def test_emoji_that_fit_the_counter_are_accepted_by_the_instance(world: World) -> None:
    """Mastodon counts grapheme clusters: 480 family emoji are 480 characters there, not 3,360 code points
    (the demo's fake once refused a post the composer said fitted)."""
    text = "👨‍👩‍👧‍👦" * 480
    provider = world.provider()
    assert provider.text_length(text) == 480 and not provider.validate_text(text)
    sent = provider.publish(text=text)
    assert world.fake.statuses[sent.external_id]["_text"] == text
    with pytest.raises(Invalid, match="501 characters"):  # and one more is refused before it is sent
        provider.publish(text=text + "🥐" * 21)


def test_the_counter_says_how_the_network_counts(world: World) -> None:
    assert "@name only" in str(MastodonProvider.counting_words)
    assert "emoji and many scripts as 2" in str(XProvider.counting_words)


def test_the_limit_comes_from_the_server(world: World) -> None:
    assert MastodonProvider.text_limit(server_limits={"max_characters": 5000}).max_length == 5000
    assert MastodonProvider.text_limit(server_limits={}).max_length == 500
    assert MastodonProvider.text_limit(server_limits={"max_characters": "lots"}).max_length == 500


def test_rate_limit_headers_are_read_and_429_sleeps_until_the_clamped_reset(world: World) -> None:
    provider = world.provider()
    provider.poll(cursor={})
    assert provider.rate_limit.limit == 300 and provider.rate_limit.remaining is not None
    assert provider.rate_limit.reset_at is not None

    reset = dt.datetime.fromisoformat(
        world.fake.rate_limited(r"^/api/v1/conversations$").replace("Z", "+00:00")
    )
    with pytest.raises(RateLimited) as caught:
        world.provider().poll(cursor={})
    assert abs((caught.value.reset_at - reset).total_seconds()) < 1

    world.fake.rate_limited(r"^/api/v1/conversations$", reset_in=10 * 86400)
    with pytest.raises(RateLimited) as far:
        world.provider().poll(cursor={})
    assert far.value.reset_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24, seconds=5)


def test_a_revoked_token_is_auth_expired(world: World) -> None:
    world.fake.revoke_token(world.token)
    with pytest.raises(AuthExpired) as caught:
        world.provider().poll(cursor={})
    assert caught.value.network_message == "The access token is invalid"


def test_a_server_error_is_transient(world: World) -> None:
    world.fake.inject(Fault(r"^/api/v1/notifications$", response=Response(503, {"error": "Down"}), times=2))
    with pytest.raises(Transient):
        world.provider().poll(cursor={})


# --- moderation ------------------------------------------------------------------------------------------


def test_our_own_status_is_deleted_and_reads_back_as_gone(world: World) -> None:
    status = world.fake.add_mention(world.brand, world.ada, "?")
    provider = world.provider()
    sent = provider.reply(target=_target(status), text="Oups")
    assert provider.comment_state(comment_id=sent.external_id).exists
    provider.delete_comment(comment_id=sent.external_id)
    assert not provider.comment_state(comment_id=sent.external_id).exists
    with pytest.raises(NotFound):
        provider.delete_comment(comment_id=sent.external_id)


def test_mute_and_block_an_author(world: World) -> None:
    provider = world.provider()
    state = world.fake.relationships
    provider.mute_account(account_id=world.q(world.ada))
    assert state[(world.brand, world.ada)] == {"muting": True, "blocking": False}
    provider.block_account(account_id=world.q(world.ada))
    provider.mute_account(account_id=world.q(world.ada), muted=False)
    assert state[(world.brand, world.ada)] == {"muting": False, "blocking": True}


def test_the_deliverys_key_is_the_idempotency_key_so_two_deliveries_of_the_same_words_are_two_statuses(
    world: World,
) -> None:
    status = world.fake.add_mention(world.brand, world.ada, "?")
    provider = world.provider()
    first = provider.reply(target=_target(status), text="Merci !", delivery_key="cmhub-reply-1-abc")
    retried = provider.reply(target=_target(status), text="Merci !", delivery_key="cmhub-reply-1-abc")
    other = provider.reply(target=_target(status), text="Merci !", delivery_key="cmhub-reply-2-def")

    assert first.external_id == retried.external_id != other.external_id
    keys = [r.headers["idempotency-key"] for r in world.fake.requests if r.method == "POST"]
    assert keys == ["cmhub-reply-1-abc", "cmhub-reply-1-abc", "cmhub-reply-2-def"]
    posted = world.provider().publish(text="Une fois", delivery_key="cmhub-post-9-xyz")
    assert world.fake.requests[-1].headers["idempotency-key"] == "cmhub-post-9-xyz" and posted.external_id


def test_an_author_is_blocked_from_the_inbox_and_blocking_again_is_harmless(world: World) -> None:
    provider = world.provider()
    assert MastodonProvider.supports(Capability.BLOCK)
    provider.block_author(author_id=world.q(world.remote))  # as the inbox's contact keeps it
    provider.block_author(author_id=world.q(world.remote))
    assert world.fake.relationships[(world.brand, world.remote)]["blocking"]
    assert world.fake.requests[-1].path == f"/api/v1/accounts/{world.remote}/block"  # the host stripped


def test_an_author_known_by_another_server_is_never_blocked_here_by_their_id_there(world: World) -> None:
    """Account ids are unique per instance only: "42@other.example" may be someone else's "42" here."""
    with pytest.raises(Invalid):
        world.provider().block_author(author_id=f"{world.remote}@other.example")
    assert not any(r.method == "POST" for r in world.fake.requests)


# --- review findings ---------------------------------------------------------------------------------------


def test_one_unreadable_conversation_does_not_stop_the_poll(world: World) -> None:
    """A conversation whose last status answers 404 on /context (its author suspended or gone) is skipped;
    the other conversations and the mentions still come in (review finding 3)."""
    first = world.provider().poll(cursor={})
    kept = world.fake.add_dm(world.brand, world.remote, "Une question en privé")
    spam = world.fake.add_dm(world.brand, world.ada, "spam DM")
    mention = world.fake.add_mention(world.brand, world.remote, "Une vraie question")
    world.fake.statuses[spam]["_deleted"] = True  # its statuses now answer 404

    got = world.provider().poll(cursor=first.cursor)
    ids = [i.external_id for i in got.items]
    assert mention in ids and kept in ids and spam not in ids
    assert got.skipped == 1


def test_mentions_are_read_while_the_direct_messages_fail(world: World) -> None:
    world.fake.add_dm(world.brand, world.ada, "Avant")
    first = world.provider().poll(cursor={})
    assert first.cursor["dm"]["mark"]
    mention = world.fake.add_mention(world.brand, world.remote, "Ouvert dimanche ?")
    world.fake.add_dm(world.brand, world.ada, "Pendant la panne")
    world.fake.inject(Fault(r"^/api/v1/conversations$", response=Response(503, {"error": "Down"}), times=3))

    got = world.provider().poll(cursor=first.cursor)
    assert [i.external_id for i in got.items] == [mention]
    assert got.cursor["dm"] == first.cursor["dm"]  # read from the same mark next time


def test_sibling_direct_replies_are_both_read(world: World) -> None:
    """Two direct answers to the same status between polls: the last one's /context does not hold the
    other; the root's does (review finding 4)."""
    fake = world.fake
    ours = fake.create_status(world.brand, "@ada Votre commande est prête", visibility="direct")
    first = world.provider().poll(cursor={})
    r1 = fake.create_status(world.ada, "@bakery Merci !", in_reply_to=ours, visibility="direct")
    r2 = fake.create_status(world.ada, "@bakery Et je passe à 17h", in_reply_to=ours, visibility="direct")

    got = world.provider().poll(cursor=first.cursor)
    ids = [i.external_id for i in got.items if i.kind == ItemKind.DIRECT_MESSAGE]
    assert ids == [r1, r2]
    assert world.provider().poll(cursor=got.cursor).items == []


def test_conversations_past_the_page_cap_are_read_later(world: World, monkeypatch) -> None:
    """More changed conversations than MAX_DM_PAGES pages hold (shrunk to one page of one): the mark stays
    until the walk reaches it, and the rest is read by the next polls (review finding 5)."""
    from networks.providers import mastodon

    world.fake.add_dm(world.brand, world.ada, "Avant")
    first = world.provider().poll(cursor={})
    assert first.cursor["dm"]["mark"]
    a = world.fake.add_dm(world.brand, world.ada, "Question A")
    b = world.fake.add_dm(world.brand, world.remote, "Question B")
    monkeypatch.setattr(mastodon, "PAGE", 1)
    monkeypatch.setattr(mastodon, "MAX_DM_PAGES", 1)
    ids, cursor, more = [], first.cursor, []
    for _ in range(3):
        got = world.provider().poll(cursor=cursor)
        ids += [i.external_id for i in got.items if i.kind == ItemKind.DIRECT_MESSAGE]
        more.append(got.has_more)
        cursor = got.cursor
    assert sorted(ids) == sorted([a, b]), (a, b, ids)
    assert more[0] is True and cursor["dm"]["mark"] == b
    # One more walk from the top leaves out only what the old mark covered (a conversation that moved up
    # meanwhile is read whole; the inbox stores a status once), then the mark alone again.
    c = world.fake.add_dm(world.brand, world.ada, "Question C")
    got = world.provider().poll(cursor=cursor)
    assert c in [i.external_id for i in got.items] and got.has_more  # one page of one: b's is below
    got = world.provider().poll(cursor=got.cursor)
    assert got.items == [] and got.cursor["dm"]["mark"] == c
    assert world.provider().poll(cursor=got.cursor).cursor["dm"] == {"mark": c}


def test_a_token_with_exactly_the_scopes_cm_hub_asks_for_does_all_it_does(world: World) -> None:
    """The fake answers 403 outside a token's scopes, as Mastodon does: what CM Hub asks for is enough for
    all it does, without write:conversations (review finding 10)."""
    token = world.fake.issue_token(world.brand, list(DEFAULT_SCOPES))["access_token"]
    provider = World(world.fake, world.http, world.brand, token, world.ada, world.remote).provider()
    mention = world.fake.add_mention(world.brand, world.ada, "Bonjour")
    dm = world.fake.add_dm(world.brand, world.remote, "En privé")
    assert {i.external_id for i in provider.poll(cursor={}).items} == {mention, dm}
    provider.reply(target=_target(mention), text="Bonjour !")
    provider.reply(target=_target(dm), text="Bien reçu")
    provider.publish(text="Du pain", media=[MediaFile(_png(), "image/png", alt_text="Du pain")])
    provider.mute_account(account_id=world.q(world.ada))
    provider.block_author(author_id=world.q(world.remote))
    assert world.fake.relationships[(world.brand, world.remote)]["blocking"]

    narrow = world.fake.issue_token(world.brand, [s for s in DEFAULT_SCOPES if s != "write:statuses"])
    short = World(world.fake, world.http, world.brand, narrow["access_token"], world.ada, world.remote)
    with pytest.raises(PermissionMissing):
        short.provider().reply(target=_target(mention), text="Encore")


def test_ids_that_are_not_numbers_are_read_and_ordered(world: World) -> None:
    """Mastodon's ids are strings (https://docs.joinmastodon.org/api/guidelines/#id): GoToSocial's are
    ULIDs, Akkoma's flake ids; they order by length, then as text (review finding 10)."""
    from networks.providers import mastodon_auth, mastodon_wire

    ulid = "01HQ7Z8K2M3N4P5Q6R7S8T9V0W"
    world.fake.add_account("gts", "GoToSocial", account_id=ulid)
    token = world.fake.issue_token(ulid)["access_token"]
    me = mastodon_auth.verify_credentials(world.http, origin=world.fake.base_url, token=token)
    assert me.external_id == f"{ulid}@127.0.0.1"
    mention = world.fake.add_mention(world.brand, ulid, "Salut")
    (item,) = world.provider().poll(cursor={}).items
    assert item.external_id == mention and item.author.external_id == f"{ulid}@127.0.0.1"

    assert mastodon_wire.newer("9", "10") == "10" and mastodon_wire.newer("01HQB", "01HQA") == "01HQB"
    assert mastodon_wire.is_newer("110", "99") and not mastodon_wire.is_newer("99", "99")
    for bad in ("", "1/2", "../x", "a@b", "x" * 65, 12):
        assert mastodon_wire.status_id(bad) is None
