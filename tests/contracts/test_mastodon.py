"""Mastodon contract fixtures (docs.joinmastodon.org examples), replayed against MastodonProvider and
compared with what MastodonFake answers for the same requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from networks.fakes.mastodon import MastodonFake
from networks.providers.base import (
    Account,
    AuthExpired,
    Credentials,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    RateLimited,
    ReplyTarget,
)
from networks.providers.mastodon import MastodonProvider
from networks.providers.mastodon_auth import limits_from_instance
from networks.providers.mastodon_stream import MastodonStream, sse_events
from networks.providers.streaming import StreamTarget
from networks.providers.webhooks_base import Hint
from tests.contracts.replay import ReplayServer, fill, load, shape_differences

TRWNH = "14715"  # the account the documentation's examples are addressed to
#: Attributes the entity pages document as "or null" (https://docs.joinmastodon.org/entities/Status/,
#: /entities/Account/, /entities/MediaAttachment/): an example showing one value does not make the other
#: wrong.
NULLABLE = {
    "in_reply_to_id",
    "in_reply_to_account_id",
    "language",
    "edited_at",
    "card",
    "poll",
    "reblog",
    "quote",
    "last_status_at",
    "description",
    "text_url",
    "remote_url",
    "url",
    "blurhash",
    "verified_at",
}


#: Lists an account or status may well hold nothing (no custom emoji, no tag).
MAY_BE_EMPTY = {"emojis", "tags", "roles", "filtered", "media_attachments"}


def differences(recorded: object, actual: object) -> list[str]:
    """shape_differences, less a null where the documentation allows one and an empty list where nothing is
    a normal value."""
    return [
        problem
        for problem in shape_differences(recorded, actual)
        if not (problem.split(":")[0].rsplit(".", 1)[-1] in MAY_BE_EMPTY and "list is empty" in problem)
        and not (
            problem.split(":")[0].rsplit(".", 1)[-1] in NULLABLE
            and ("'null'" in problem or "null" in problem.split(":")[1])
        )
    ]


def client(base_url: str, http: httpx.Client, account_id: str = TRWNH) -> MastodonProvider:
    account = Account(Network.MASTODON, account_id, base_url, Credentials("token"))
    return MastodonProvider(account, http=http, lookback=dt.timedelta(days=365 * 30), media_poll_seconds=0.01)


# --- against the client ----------------------------------------------------------------------------------


def test_a_documented_mention_is_read_and_filed_under_its_threads_root(http: httpx.Client) -> None:
    fixture = load("mastodon", "notifications_mentions")
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).poll(cursor={})
        asked = [(path, query) for _m, path, query, _b in network.requests]

    (item,) = result.items  # the favourite is not engagement
    assert item.external_id == "103186126728896492" and item.kind == ItemKind.REPLY
    assert item.text == "@trwnh sup!"
    assert item.thread_root_external_id == "103188938570975982"
    assert item.parent_external_id == "103186038209478945"
    assert item.author is not None and item.author.handle == "zsc"
    assert result.cursor["min_id"] == "34975861" and result.skipped == 0
    assert (
        result.server_limits is not None
        and result.server_limits["streaming_url"] == "wss://streaming.mastodon.social"
    )
    first = next(query for path, query in asked if path == "/api/v1/notifications")
    assert first["types[]"] == ["mention", "update"]


def test_a_documented_direct_conversation_is_filed_by_its_id(http: httpx.Client) -> None:
    fixture = load("mastodon", "conversations_direct")
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).poll(cursor={})

    (dm,) = result.items
    assert dm.kind == ItemKind.DIRECT_MESSAGE and dm.thread_root_external_id == "conversation:418450"
    assert dm.text == "@trwnh can you send me the link?"
    assert dm.author is not None and dm.author.handle == "amic@nulled.red"
    assert result.cursor["dm"] == {"mark": "103196583826321184"}


def test_a_documented_reply_keeps_the_visibility_and_sends_a_key(http: httpx.Client) -> None:
    fixture = load("mastodon", "status_reply")
    answered = fixture["exchanges"][0]["response"]["body"]
    with ReplayServer(fixture["exchanges"]) as network:
        sent = client(network.base_url, http).reply(
            target=ReplyTarget(answered["id"], ItemKind.MENTION), text="Merci !"
        )
        _method, _path, _query, body = network.requests[-1]

    import json

    posted = json.loads(body)
    assert posted == {"status": "@Gargron Merci !", "in_reply_to_id": answered["id"], "visibility": "public"}
    assert sent.external_id == fixture["exchanges"][1]["response"]["body"]["id"]
    assert sent.permalink == fixture["exchanges"][1]["response"]["body"]["url"]


def test_documented_errors_map_to_their_classes_with_the_servers_words(http: httpx.Client) -> None:
    fixture = load("mastodon", "status_errors")
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    exchanges = fill(fixture["exchanges"], in_2_minutes=reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    with ReplayServer(exchanges) as network:
        provider = client(network.base_url, http)
        with pytest.raises(Invalid) as blank:
            provider.publish(text="x")
        # A reply first reads the status it answers: each of these ids gets one of the documented errors.
        with pytest.raises(NotFound) as gone:
            provider.reply(target=ReplyTarget("404", ItemKind.MENTION), text="x")
        with pytest.raises(AuthExpired):
            provider.reply(target=ReplyTarget("401", ItemKind.MENTION), text="x")
        with pytest.raises(RateLimited) as limited:
            provider.reply(target=ReplyTarget("429", ItemKind.MENTION), text="x")

    assert blank.value.network_message == "Validation failed: Text can't be blank"
    assert gone.value.network_message == "Record not found"
    assert abs((limited.value.reset_at - reset).total_seconds()) < 1
    assert provider.rate_limit.remaining == 0 and provider.rate_limit.limit == 300


def test_a_documented_upload_is_waited_for_until_processed(http: httpx.Client) -> None:
    import io

    fixture = load("mastodon", "media_async")
    picture = io.BytesIO()
    Image.new("RGB", (8, 8)).save(picture, "PNG")
    with ReplayServer(fixture["exchanges"]) as network:
        client(network.base_url, http).publish(
            text="", media=[MediaFile(picture.getvalue(), "image/png", alt_text="x")]
        )
        paths = [(method, path) for method, path, _q, _b in network.requests]
    media_id = fixture["exchanges"][0]["response"]["body"]["id"]
    assert paths == [
        ("POST", "/api/v2/media"),
        ("GET", f"/api/v1/media/{media_id}"),
        ("GET", f"/api/v1/media/{media_id}"),
        ("POST", "/api/v1/statuses"),
    ]


def test_the_documented_instance_gives_the_server_limits() -> None:
    instance = load("mastodon", "notifications_mentions")["exchanges"][4]["response"]["body"]
    limits = limits_from_instance(instance, now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert limits["max_characters"] == 500 and limits["max_media_attachments"] == 4
    assert limits["characters_reserved_per_url"] == 23 and limits["image_size_limit"] == 16777216


def test_the_documented_stream_event_is_stored_as_a_mention(http: httpx.Client) -> None:
    fixture = load("mastodon", "streaming_notification")
    ((name, data),) = list(sse_events(iter(fixture["events"])))
    source = MastodonStream(
        StreamTarget(1, Account(Network.MASTODON, TRWNH, "http://127.0.0.1:9", Credentials("t")))
    )
    event = source._event(MastodonProvider(source.target.account, http=http), name, data)

    assert event is not None and event.hint == Hint.STORE
    assert event.item is not None and event.item.external_id == "108914343542683797"
    assert event.item.text == "@trwnh test" and event.item.author.handle == "a@pl.nulled.red"


# --- against the fake ------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[tuple[MastodonFake, str, str, str]]:
    with MastodonFake() as server:
        brand = server.add_account("trwnh")
        fan = server.add_account("zsc")
        yield server, brand, fan, server.issue_token(brand)["access_token"]


def _get(http: httpx.Client, fake: MastodonFake, token: str, path: str) -> httpx.Response:
    return http.get(f"{fake.base_url}{path}", headers={"Authorization": f"Bearer {token}"})


def test_the_fake_answers_notifications_with_the_documented_shape(http: httpx.Client, fake) -> None:
    server, brand, fan, token = fake
    documented = load("mastodon", "streaming_notification")["events"][1].removeprefix("data: ")
    import json

    server.add_mention(brand, fan, "sup!")
    answer = _get(http, server, token, "/api/v1/notifications?types[]=mention")
    assert differences(json.loads(documented), answer.json()[0]) == []
    assert 'rel="next"' in answer.headers["link"] and 'rel="prev"' in answer.headers["link"]
    assert answer.headers["x-ratelimit-limit"] == "300"
    assert dt.datetime.fromisoformat(answer.headers["x-ratelimit-reset"].replace("Z", "+00:00"))


def test_the_fake_answers_conversations_and_context_with_the_documented_shapes(
    http: httpx.Client, fake
) -> None:
    server, brand, fan, token = fake
    recorded = load("mastodon", "conversations_direct")["exchanges"][0]["response"]["body"][0]
    first = server.add_dm(brand, fan, "link?")
    answer_id = server.create_status(brand, "@zsc here", in_reply_to=first, visibility="direct")
    server.add_dm(brand, fan, "thanks", in_reply_to=answer_id)
    answer = _get(http, server, token, "/api/v1/conversations").json()
    assert differences({k: v for k, v in recorded.items() if k != "last_status"}, answer[0]) == []
    context = _get(http, server, token, f"/api/v1/statuses/{answer_id}/context").json()
    documented = load("mastodon", "notifications_mentions")["exchanges"][3]["response"]["body"]
    assert differences(documented, context) == []


def test_the_fake_answers_statuses_and_errors_as_documented(http: httpx.Client, fake) -> None:
    server, brand, fan, token = fake
    status = server.add_mention(brand, fan, "sup!")
    recorded = load("mastodon", "notifications_mentions")["exchanges"][2]["response"]["body"][0]["status"]
    got = _get(http, server, token, f"/api/v1/statuses/{status}").json()
    assert (
        differences({k: v for k, v in recorded.items() if k != "pinned"}, got) == []
    )  # pinned: own statuses
    errors = load("mastodon", "status_errors")["exchanges"]
    assert _get(http, server, token, "/api/v1/statuses/404").json() == errors[1]["response"]["body"]
    assert _get(http, server, "revoked", "/api/v1/statuses/1").json() == errors[2]["response"]["body"]
    blank = http.post(
        f"{server.base_url}/api/v1/statuses",
        json={"status": ""},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (blank.status_code, blank.json()) == (422, errors[0]["response"]["body"])


def test_the_fake_processes_media_as_documented(http: httpx.Client, fake) -> None:
    server, _brand, _fan, token = fake
    server.media_processing_seconds = 0.2
    recorded = load("mastodon", "media_async")["exchanges"]
    uploaded = http.post(
        f"{server.base_url}/api/v2/media",
        files={"file": ("a.png", b"\x89PNG...", "image/png")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert uploaded.status_code == 202 and uploaded.json()["url"] is None
    assert (
        differences(
            {k: v for k, v in recorded[0]["response"]["body"].items() if k != "meta"}, uploaded.json()
        )
        == []
    )
    media_id = uploaded.json()["id"]
    assert _get(http, server, token, f"/api/v1/media/{media_id}").status_code == 206
    import time

    time.sleep(0.25)
    done = _get(http, server, token, f"/api/v1/media/{media_id}")
    assert done.status_code == 200 and done.json()["url"]


def test_the_fake_serves_the_documented_instance_configuration(http: httpx.Client, fake) -> None:
    server, _brand, _fan, token = fake
    recorded = load("mastodon", "notifications_mentions")["exchanges"][4]["response"]["body"]["configuration"]
    got = _get(http, server, token, "/api/v2/instance").json()["configuration"]
    for part in ("statuses", "media_attachments", "urls"):
        wanted = {
            k: v
            for k, v in recorded[part].items()
            if k
            in (
                "max_characters",
                "max_media_attachments",
                "characters_reserved_per_url",
                "image_size_limit",
                "streaming",
            )
        }
        assert differences(wanted, got[part]) == []
