"""Facebook contract fixtures, replayed against FacebookProvider, the poll task and the Graph fake
(issue 13, item 2: Messenger DMs silently never arrived without pages_manage_metadata)."""

from __future__ import annotations

import datetime as dt

import httpx

from networks import tasks
from networks.fakes.graph import GraphFake
from networks.models import Channel, PollRun
from networks.providers.base import Account, Credentials, Network
from networks.providers.facebook import FacebookProvider
from networks.providers.graph import GRAPH_VERSION
from networks.providers.graph_oauth import DEFAULT_SCOPES
from tests.contracts.replay import ReplayServer, fill, graph_time, load, shape_differences

PAGE = "104525875432211"


def exchanges() -> list[dict]:
    now = dt.datetime.now(dt.UTC)
    fixture = load("facebook", "messenger_permission_missing")
    return fill(
        fixture["exchanges"],
        recent=graph_time(now - dt.timedelta(days=1)),
        recent_comment=graph_time(now - dt.timedelta(hours=1)),
    )


def test_the_facebook_login_asks_for_what_messenger_needs() -> None:
    assert {"pages_manage_metadata", "pages_read_engagement", "pages_messaging"} <= set(DEFAULT_SCOPES)


def test_a_missing_messenger_permission_is_reported_and_the_comments_still_arrive(http: httpx.Client) -> None:
    with ReplayServer(exchanges(), graph=True) as network:
        account = Account(Network.FACEBOOK, PAGE, network.base_url, Credentials("page-token"))
        result = FacebookProvider(account, http=http).poll(cursor={})

    assert [item.text for item in result.items] == ["Do you ship abroad?"]
    assert "pages_messaging" in result.permission_missing


def test_the_poll_is_a_failed_one_with_the_missing_permission_on_the_channel(db, workspace) -> None:
    with ReplayServer(exchanges(), graph=True, reuse=True) as network:
        channel = Channel.objects.create(
            workspace=workspace,
            network="facebook",
            external_id=PAGE,
            name="Acme",
            api_base_url=network.base_url,
            credentials={"access_token": "page-token"},
        )
        run = tasks.poll_once(channel)

    channel.refresh_from_db()
    assert run.outcome == PollRun.Outcome.PERMISSION
    assert run.fetched == 1  # what could be read is stored
    assert channel.status == Channel.Status.ERROR
    assert "pages_messaging" in channel.last_error


def test_the_fake_refuses_conversations_to_a_token_without_the_messenger_permissions(
    http: httpx.Client,
) -> None:
    recorded = load("facebook", "messenger_permission_missing")["exchanges"][0]["response"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        allowed = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{page.id}/conversations", params={"access_token": page.token}
        )
        fake.set_permissions(page.token, ["pages_show_list", "pages_read_engagement", "pages_messaging"])
        refused = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{page.id}/conversations", params={"access_token": page.token}
        )

    assert allowed.status_code == 200
    assert refused.status_code == recorded["status"]
    assert shape_differences(recorded["body"], refused.json()) == []
    assert "pages_manage_metadata" in refused.json()["error"]["message"]


# --- Visitor posts (issue 13, item 4) ------------------------------------------------------------------


def feed_exchanges() -> list[dict]:
    now = dt.datetime.now(dt.UTC)
    fixture = load("facebook", "feed_visitor_post")
    return fill(
        fixture["exchanges"],
        visitor_post=graph_time(now - dt.timedelta(hours=3)),
        visitor_comment=graph_time(now - dt.timedelta(hours=1)),
        page_post=graph_time(now - dt.timedelta(days=1)),
    )


def test_a_visitor_post_on_the_feed_arrives_heading_its_comments(http: httpx.Client) -> None:
    with ReplayServer(feed_exchanges(), graph=True) as network:
        account = Account(Network.FACEBOOK, PAGE, network.base_url, Credentials("page-token"))
        result = FacebookProvider(account, http=http, poll_messages=False).poll(cursor={})

    post_id = "104525875432211_122139090912594941"
    assert [(item.kind, item.text) for item in result.items] == [
        ("visitor_post", "My order never arrived, can someone help?"),
        ("comment", "Same for me"),
    ]
    assert {item.thread_root_external_id for item in result.items} == {post_id}
    assert result.items[0].author is not None and result.items[0].author.name == "Ada Lovelace"


def test_the_fake_serves_visitor_posts_on_the_feed_only(http: httpx.Client) -> None:
    recorded = load("facebook", "feed_visitor_post")["exchanges"][0]["response"]["body"]
    fields = "id,message,created_time,updated_time,permalink_url,from{id,name}"
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        visitor = fake.add_visitor_post(page.id, "My order never arrived", author={"id": "68", "name": "Ada"})
        fake.add_post(page.id, "Our winter menu is here")
        base = f"{fake.base_url}/{GRAPH_VERSION}/{page.id}"
        auth = {"access_token": page.token, "fields": fields}
        feed = http.get(f"{base}/feed", params=auth).json()
        published = http.get(f"{base}/published_posts", params=auth).json()
        visitors = http.get(f"{base}/visitor_posts", params=auth).json()

    assert shape_differences(recorded, feed) == []
    assert {post["id"] for post in feed["data"]} >= {visitor.id}
    assert visitor.id not in {post["id"] for post in published["data"]}
    assert [post["id"] for post in visitors["data"]] == [visitor.id]
    assert next(p for p in feed["data"] if p["id"] == visitor.id)["from"] == {"id": "68", "name": "Ada"}


# --- Edits and deletions (issue 13, item 9) -------------------------------------------------------------


def test_a_reread_sees_the_edited_words_and_a_listing_without_the_deleted_comment(http: httpx.Client) -> None:
    from networks.providers.base import WatchWindows

    now = dt.datetime.now(dt.UTC)
    exchanges = fill(
        load("facebook", "comment_edited_and_deleted")["exchanges"],
        post_time=graph_time(now - dt.timedelta(days=1)),
        first_comment=graph_time(now - dt.timedelta(hours=3)),
        second_comment=graph_time(now - dt.timedelta(hours=2)),
        edit_time=graph_time(now - dt.timedelta(hours=1)),
    )
    windows = WatchWindows(sweep_days=0)
    with ReplayServer(exchanges, graph=True) as network:
        account = Account(Network.FACEBOOK, PAGE, network.base_url, Credentials("page-token"))
        provider = FacebookProvider(account, http=http, poll_messages=False, windows=windows)
        first = provider.poll(cursor={})
        cursor = {**first.cursor, "sweep": {**first.cursor["sweep"], "reread_at": now.isoformat()}}
        second = provider.poll(cursor=cursor)  # the re-read is due

    assert {item.text for item in first.items} == {"Do you open at 7?", "Rude words"}
    assert second.items == []  # nothing new
    assert [(item.external_id, item.text) for item in second.reread] == [
        ("122131676912594941_1213590066982748", "Do you open at 7 on Sundays?")
    ]
    (listing,) = second.listings
    assert listing.item_ids == frozenset({"122131676912594941_1213590066982748"})


def test_the_fake_edits_and_deletes_comments_as_graph_shows_them(http: httpx.Client) -> None:
    recorded = load("facebook", "comment_edited_and_deleted")["exchanges"][3]["response"]["body"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        post = fake.add_post(page.id, "Our winter menu is here")
        kept = fake.add_comment(post.id, "Do you open at 7?", author={"id": "68", "name": "Ada"})
        gone = fake.add_comment(post.id, "Rude words", author={"id": "69", "name": "Bob"})
        before = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{post.id}",
            params={"access_token": page.token, "fields": "updated_time"},
        ).json()["updated_time"]
        fake.edit_comment(
            kept.id, "Do you open at 7 on Sundays?", at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        )
        fake.edit_post(
            post.id, "Our winter menu is here!", at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
        )
        fake.delete_object(gone.id)
        body = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{post.id}/comments",
            params={
                "access_token": page.token,
                "filter": "stream",
                "fields": "id,message,created_time,from,permalink_url",
            },
        ).json()
        after = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{post.id}",
            params={"access_token": page.token, "fields": "updated_time"},
        ).json()["updated_time"]

    assert shape_differences(recorded, body) == []
    assert [(c["id"], c["message"]) for c in body["data"]] == [(kept.id, "Do you open at 7 on Sundays?")]
    assert after > before  # the post's updated_time moved with the edit
