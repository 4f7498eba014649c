"""X direct-message contract fixtures, replayed against XProvider and against the X fake (issue 13)."""

from __future__ import annotations

import json

import httpx

from networks.fakes.x import XFake
from networks.providers.base import Account, Credentials, ItemKind, Network, ReplyTarget
from networks.providers.x import XProvider
from networks.providers.x_dm import DM_FIELDS
from tests.contracts.replay import ReplayServer, load, shape_differences

US = "2244994945"


def client(base_url: str, http: httpx.Client) -> XProvider:
    account = Account(Network.X, US, base_url, Credentials("token"), handle="demobakery")
    return XProvider(account, http=http)


def test_dm_events_are_paged_and_only_messages_become_items(http: httpx.Client) -> None:
    fixture = load("x", "dm_events")
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).poll(cursor={})
        dm_queries = [query for _m, path, query, _b in network.requests if path == "/2/dm_events"]

    assert [(i.kind, i.external_id) for i in result.items] == [
        (ItemKind.DIRECT_MESSAGE, "1580705921830768643"),
        (ItemKind.DIRECT_MESSAGE, "1582838499983564806"),
    ]
    first = result.items[1]
    assert first.author.handle == "lea_bakes" and first.thread_root_external_id == "944480690-2244994945"
    assert result.items[0].author.external_id == US  # ours: stored outbound
    assert dm_queries[1]["pagination_token"] == ["18LAA581J5II7LA00C00ZZZZ"]
    assert "MessageCreate" in dm_queries[0]["event_types"][0]
    assert result.cursor["dm"] == {"since_id": "1582838499983564806"}


def test_an_answer_goes_to_the_participant_and_its_event_id_is_kept(http: httpx.Client) -> None:
    fixture = load("x", "dm_events")
    target = ReplyTarget(
        "1582838499983564806",
        ItemKind.DIRECT_MESSAGE,
        thread_root_external_id="944480690-2244994945",
        author_external_id="944480690",
    )
    with ReplayServer(fixture["exchanges"]) as network:
        sent = client(network.base_url, http).reply(target=target, text="Yes, 8 to 13!")
        _method, path, _query, body = network.requests[-1]

    assert path == "/2/dm_conversations/with/944480690/messages"
    assert json.loads(body) == {"text": "Yes, 8 to 13!"}
    assert sent.external_id == "1582838535115067392"


def test_the_fake_answers_dm_requests_with_the_documented_shapes(http: httpx.Client) -> None:
    recorded = load("x", "dm_events")["exchanges"]
    with XFake() as fake:
        us, lea = fake.add_user("demobakery"), fake.add_user("lea_bakes", "Léa")
        fake.add_dm(lea, us, "Hi, is the shop open on Sunday?")
        token = fake.issue_token(us)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        listed = http.get(
            f"{fake.base_url}/2/dm_events",
            params={"dm_event.fields": DM_FIELDS, "expansions": "sender_id", "user.fields": "username,name"},
            headers=headers,
        )
        sent = http.post(
            f"{fake.base_url}/2/dm_conversations/with/{lea}/messages", json={"text": "Yes"}, headers=headers
        )

    message = dict(recorded[0]["response"]["body"])
    message["data"] = [message["data"][0]]  # the fake seeds no group conversation
    del message["meta"]["next_token"]
    assert shape_differences(message, listed.json()) == []
    assert sent.status_code == 201
    assert shape_differences(recorded[3]["response"]["body"], sent.json()) == []
