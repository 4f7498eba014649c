"""Instagram DM and tag contract fixtures, replayed against InstagramProvider and the Graph fake."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from networks.fakes.graph import GraphFake
from networks.providers.base import Account, Credentials, ItemKind, Network, ReplyTarget
from networks.providers.graph import GRAPH_VERSION
from networks.providers.instagram import InstagramProvider
from tests.contracts.replay import ReplayServer, fill, graph_time, load, shape_differences

IG_USER = "17841405822304914"
PAGE = "104525875432211"


def provider(base_url: str, http: httpx.Client, **options) -> InstagramProvider:
    account = Account(Network.INSTAGRAM, IG_USER, base_url, Credentials("page-token"), handle="acme.bakery")
    return InstagramProvider(account, http=http, sleep=lambda seconds: None, **options)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def test_direct_messages_are_read_from_the_pages_instagram_conversations(http: httpx.Client) -> None:
    fixture = load("instagram", "direct_messages")
    exchanges = fill(fixture["exchanges"], recent_message=graph_time(now() - dt.timedelta(hours=1)))
    with ReplayServer(exchanges, graph=True) as network:
        result = provider(network.base_url, http, poll_mentions=False).poll(cursor={})

    assert [(i.kind, i.text) for i in result.items] == [
        (ItemKind.DIRECT_MESSAGE, "Do you have gluten-free bread today?")
    ]
    item = result.items[0]
    assert item.author.external_id == "7125430297466732" and item.author.handle == "dana.eats"
    assert item.thread_root_external_id.startswith("aWdfZAG06")
    assert result.cursor["inbox"]["owner"] == PAGE


def test_an_answer_inside_the_window_goes_to_the_igsid_through_the_page(http: httpx.Client) -> None:
    fixture = load("instagram", "direct_messages")
    exchanges = fill(fixture["exchanges"], recent_message=graph_time(now() - dt.timedelta(hours=1)))
    conversation = exchanges[1]["response"]["body"]["data"][0]["id"]
    target = ReplyTarget(
        "m1",
        ItemKind.DIRECT_MESSAGE,
        thread_root_external_id=conversation,
        author_external_id="7125430297466732",
    )
    with ReplayServer(exchanges, graph=True) as network:
        sent = provider(network.base_url, http).reply(target=target, text="Yes, until noon!")
        _method, path, _query, body = network.requests[-1]

    assert path.endswith(f"/{PAGE}/messages")
    assert json.loads(body) == {
        "recipient": {"id": "7125430297466732"},
        "message": {"text": "Yes, until noon!"},
    }
    assert sent.external_id.endswith("NDU3")


def test_tagged_media_become_mentions(http: httpx.Client) -> None:
    fixture = load("instagram", "tags")
    exchanges = fill(fixture["exchanges"], recent_tag=graph_time(now() - dt.timedelta(hours=3)))
    with ReplayServer(exchanges, graph=True) as network:
        result = provider(network.base_url, http, poll_messages=False).poll(cursor={})

    assert [(i.kind, i.text, i.author.handle) for i in result.items] == [
        (ItemKind.MENTION, "Sunday brunch at @acme.bakery", "ada_eats")
    ]
    assert result.items[0].permalink == "https://www.instagram.com/p/C1a2b3c4d5e/"


def test_the_fake_answers_with_the_documented_shapes(http: httpx.Client) -> None:
    dms = load("instagram", "direct_messages")["exchanges"]
    tags = load("instagram", "tags")["exchanges"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        fake.add_ig_message(ig_user.id, {"id": "7125430297466732", "username": "dana.eats"}, "Hello")
        fake.add_ig_tag(ig_user.id, "Sunday brunch at @acme.bakery", username="ada_eats")
        token = fake.objects[page.id].token
        base = f"{fake.base_url}/{GRAPH_VERSION}"
        me = http.get(f"{base}/me", params={"access_token": token}).json()
        listed = http.get(
            f"{base}/{page.id}/conversations",
            params={
                "platform": "instagram",
                "fields": "id,updated_time,messages{id,created_time,from,to,message}",
                "access_token": token,
            },
        ).json()
        sent = http.post(
            f"{base}/{page.id}/messages",
            params={"access_token": token},
            json={"recipient": {"id": "7125430297466732"}, "message": {"text": "Hi"}},
        ).json()
        tagged = http.get(
            f"{base}/{ig_user.id}/tags",
            params={"fields": "id,caption,media_type,permalink,timestamp,username", "access_token": token},
        ).json()

    assert shape_differences(dms[0]["response"]["body"], me) == []
    conversations = dms[1]["response"]["body"]
    assert shape_differences({"data": conversations["data"]}, listed) == []
    assert shape_differences(dms[4]["response"]["body"], sent) == []
    assert shape_differences({"data": tags[0]["response"]["body"]["data"]}, tagged) == []
