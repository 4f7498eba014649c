"""Instagram contract fixtures, replayed against InstagramProvider and against the Graph fake (issue 13)."""

from __future__ import annotations

import datetime as dt

import httpx

from networks.fakes.graph import GraphFake
from networks.providers.base import Account, Credentials, Network
from networks.providers.graph import GRAPH_VERSION
from networks.providers.instagram import InstagramProvider
from tests.contracts.replay import ReplayServer, fill, graph_time, load, shape_differences

IG_USER = "17841405822304914"


def test_a_new_comment_is_read_although_comments_count_did_not_change(http: httpx.Client) -> None:
    fixture = load("instagram", "comment_count_unchanged")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    exchanges = fill(
        fixture["exchanges"],
        recent=graph_time(now - dt.timedelta(days=1)),
        recent_comment_1=graph_time(now - dt.timedelta(hours=2)),
        recent_comment_2=graph_time(now - dt.timedelta(minutes=5)),
    )
    with ReplayServer(exchanges, graph=True) as network:
        account = Account(Network.INSTAGRAM, IG_USER, network.base_url, Credentials("page-token"))
        # This case is about comments: the inbox and tags reads have their own fixtures.
        provider = InstagramProvider(
            account, http=http, sleep=lambda seconds: None, poll_messages=False, poll_mentions=False
        )
        first = provider.poll(cursor={})
        second = provider.poll(cursor=first.cursor)

    assert [item.text for item in first.items] == ["Love it"]
    assert [item.text for item in second.items] == ["Is it gluten free?"]


def test_the_fake_answers_the_media_and_comments_requests_with_the_documented_shapes(
    http: httpx.Client,
) -> None:
    recorded = load("instagram", "comment_count_unchanged")["exchanges"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        media = fake.add_media(ig_user.id, "Sourdough")
        fake.add_ig_comment(media.id, "Love it", username="ada_eats")
        token = fake.objects[page.id].token
        media_list = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{ig_user.id}/media",
            params={"fields": "id,permalink,timestamp,comments_count", "access_token": token},
        ).json()
        comments = http.get(
            f"{fake.base_url}/{GRAPH_VERSION}/{media.id}/comments",
            params={"fields": "id,text,timestamp,username,from{id,username},hidden", "access_token": token},
        ).json()

    assert shape_differences(recorded[0]["response"]["body"], media_list) == []
    assert shape_differences(recorded[1]["response"]["body"], comments) == []
