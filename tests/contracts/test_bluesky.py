"""Bluesky contract fixtures (tests/contracts/bluesky/*.json), replayed against BlueskyProvider and against
BlueskyFake: the lexicons, the AppView's recorded test snapshots, the PDS's own errors and Jetstream's
documented event (issue 17)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from networks.fakes.bluesky import BlueskyFake, JetstreamFake
from networks.providers import bluesky_wire as wire
from networks.providers.base import (
    Account,
    AuthExpired,
    Credentials,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    RateLimited,
    ReplyTarget,
)
from networks.providers.bluesky import BlueskyProvider
from networks.providers.bluesky_stream import JetstreamSource
from networks.providers.streaming import StreamTarget
from networks.providers.webhooks_base import Hint
from tests.contracts.replay import ReplayServer, fill, load, shape_differences

BRAND = "did:plc:q6gjnaw2blty4crticxkmujt"
LEA = "did:plc:eygmaihciaxprqvxpfvl6flk"
SAM = "did:plc:wa7b35aakoll7hugkrjtf3xf"
OURS = f"at://{BRAND}/app.bsky.feed.post/3l3pte3p2e325"
FAN_REPLY = f"at://{LEA}/app.bsky.feed.post/3l3qo2vutsw2b"
CONVO = "3l3qpjdrwej2c"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def times() -> dict[str, str]:
    """The fixtures' "{tN}" placeholders: recent instants, t0 oldest."""
    out = {f"t{n}": wire.format_time(NOW - dt.timedelta(hours=4 - n)) for n in range(4)}
    out["since_plus"] = wire.format_time(NOW - dt.timedelta(minutes=30))
    out["cursor"] = "1733140800000::bafyreiaqcwe5ugyuuuxtbwzsjdczxsxyhaz2p6nq6n2umeqbe5r4qxrxuy"
    # An hour after import: the reset must still be ahead when the test runs, late in a serial suite.
    out["reset"] = str(int(NOW.timestamp()) + 3600)
    return out


def exchanges(case: str, **extra: str) -> list[dict[str, Any]]:
    return fill(load("bluesky", case)["exchanges"], **times(), **extra)


def client(base_url: str, http: httpx.Client, **kwargs: Any) -> BlueskyProvider:
    account = Account(
        Network.BLUESKY,
        BRAND,
        base_url,
        Credentials("access-1", refresh_token="refresh-1"),
        handle="acme-bakery.bsky.social",
    )
    return BlueskyProvider(account, http=http, **kwargs)


def sent(network: ReplayServer, method: str, nsid: str) -> list[dict[str, Any]]:
    return [json.loads(b) for m, path, _q, b in network.requests if m == method and path == f"/xrpc/{nsid}"]


# --- against the production client ------------------------------------------------------------------------


def test_connect_takes_the_pds_from_the_did_document_and_the_name_from_the_profile(http):
    network = ReplayServer([])
    network.exchanges = exchanges("create_session", pds=network.base_url)
    network.used = [False] * len(network.exchanges)
    session = network.exchanges[0]["response"]["body"]
    with network:
        [found] = BlueskyProvider.connect_with_password(
            http=http,
            identifier=" acme-bakery.bsky.social ",
            password="abcd-efgh-ijkl-mnop",
            service_url=network.base_url,
        )
        [signed_in] = sent(network, "POST", "com.atproto.server.createSession")

    assert signed_in == {"identifier": "acme-bakery.bsky.social", "password": "abcd-efgh-ijkl-mnop"}
    assert (found.external_id, found.handle, found.name) == (BRAND, "acme-bakery.bsky.social", "Acme Bakery")
    assert found.api_base_url == network.base_url  # the didDoc's #atproto_pds
    assert found.avatar_url.startswith("https://cdn.bsky.app/img/avatar/")
    assert found.credentials.access_token == session["accessJwt"]
    assert found.credentials.refresh_token == session["refreshJwt"]
    assert found.credentials.expires_at == dt.datetime.fromtimestamp(1893456000, dt.UTC)  # the JWT's exp


def test_a_refused_password_and_an_email_code_say_to_use_an_app_password(http):
    with ReplayServer(exchanges("create_session_refused")) as network:
        for _attempt in range(2):
            with pytest.raises(Invalid, match="app password") as refused:
                BlueskyProvider.connect_with_password(
                    http=http, identifier="acme", password="wrong", service_url=network.base_url
                )
            assert refused.value.status == 401
    assert "code sent by e-mail" in str(refused.value)  # the second: AuthFactorTokenRequired


def test_refresh_stores_the_rotated_refresh_token_and_a_revoked_one_means_reconnect(http):
    recorded = exchanges("refresh_session")
    with ReplayServer(recorded) as network:
        provider = client(network.base_url, http)
        new = provider.refresh_credentials()
        with pytest.raises(AuthExpired):
            client(network.base_url, http).refresh_credentials()
        bearers = [q for m, _p, q, _b in network.requests if m == "POST"]

    body = recorded[0]["response"]["body"]
    assert (new.access_token, new.refresh_token) == (body["accessJwt"], body["refreshJwt"])
    assert provider.account.credentials.refresh_token == body["refreshJwt"]
    assert new.expires_at == dt.datetime.fromtimestamp(1893463200, dt.UTC)
    assert len(bearers) == 2


def test_notifications_are_paged_back_and_grouped_into_threads(http):
    with ReplayServer(exchanges("list_notifications")) as network:
        result = client(network.base_url, http).poll(cursor={})
        pages = [q for _m, p, q, _b in network.requests if p.endswith("listNotifications")]

    assert sorted(pages[0]["reasons"]) == ["mention", "quote", "reply"]
    assert pages[1]["cursor"] == [times()["cursor"]]  # the second page, from the first page's cursor
    older, mention, quote, reply = result.items  # oldest first
    assert (older.kind, older.thread_root_external_id, older.parent_external_id) == (
        ItemKind.REPLY,
        OURS,
        FAN_REPLY,
    )
    assert (reply.kind, reply.external_id, reply.thread_root_external_id) == (ItemKind.REPLY, FAN_REPLY, OURS)
    assert reply.permalink == "https://bsky.app/profile/lea.bsky.social/post/3l3qo2vutsw2b"
    assert (reply.author.handle, reply.author.name) == ("lea.bsky.social", "Léa")
    assert (mention.kind, mention.thread_root_external_id) == (ItemKind.MENTION, mention.external_id)
    assert mention.text.endswith("see https://acme-bakery.example/menu?day=sun")
    assert (quote.kind, quote.post_external_id) == (ItemKind.MENTION, OURS)  # a quote of our post
    assert quote.thread_root_external_id == quote.external_id
    assert result.cursor["mark"] == times()["t3"] and not result.has_more and result.skipped == 0


def test_find_reply_skips_blocked_and_deleted_replies_and_finds_ours(http):
    target = ReplyTarget(FAN_REPLY, ItemKind.REPLY, post_external_id=OURS, thread_root_external_id=OURS)
    with ReplayServer(exchanges("get_post_thread"), reuse=True) as network:
        found = client(network.base_url, http).find_reply(
            target=target, text="Oui, de 8h à 13h !", since=NOW - dt.timedelta(minutes=50)
        )
        [(_m, _p, query, _b)] = network.requests

    assert found is not None and found.external_id == f"at://{BRAND}/app.bsky.feed.post/3l3qq3pbx7c2u"
    assert query["uri"] == [FAN_REPLY]


def test_a_reply_names_the_threads_root_and_its_parent_with_byte_offset_facets(http):
    target = ReplyTarget(FAN_REPLY, ItemKind.REPLY, post_external_id=OURS, thread_root_external_id=OURS)
    text = "Oui 🥐 ! Horaires : https://acme-bakery.example/horaires"
    recorded = exchanges("reply_put_record")
    with ReplayServer(recorded) as network:
        result = client(network.base_url, http).reply(target=target, text=text, delivery_key="d-1")
        [body] = sent(network, "POST", "com.atproto.repo.putRecord")

    parent_cid = recorded[0]["response"]["body"]["posts"][0]["cid"]
    root_cid = recorded[0]["response"]["body"]["posts"][0]["record"]["reply"]["root"]["cid"]
    record = body["record"]
    assert record["reply"] == {
        "root": {"uri": OURS, "cid": root_cid},  # the parent's own root, not the parent
        "parent": {"uri": FAN_REPLY, "cid": parent_cid},
    }
    [facet] = record["facets"]
    span = text.encode()[facet["index"]["byteStart"] : facet["index"]["byteEnd"]]
    assert span == b"https://acme-bakery.example/horaires"
    assert wire.TID.match(body["rkey"]) and body["swapRecord"] is None and body["repo"] == BRAND
    assert result.external_id == recorded[1]["response"]["body"]["uri"]


def test_a_taken_record_key_is_read_back_instead_of_written_twice(http):
    with ReplayServer(exchanges("put_record_taken")) as network:
        result = client(network.base_url, http).publish(
            text="Fresh rye loaves this morning", delivery_key="delivery-7"
        )
        writes = sent(network, "POST", "com.atproto.repo.putRecord")
        [(_m, _p, read, _b)] = [r for r in network.requests if r[0] == "GET"]

    assert len(writes) == 1
    assert read["rkey"] == [writes[0]["rkey"]] and read["collection"] == ["app.bsky.feed.post"]
    assert result.external_id == f"at://{BRAND}/app.bsky.feed.post/3l3qq6s2b5k2f"


def test_an_image_is_uploaded_as_a_blob_and_embedded_with_alt_and_aspect_ratio(http):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "PNG")
    recorded = exchanges("upload_blob")
    media = [MediaFile(buffer.getvalue(), "image/png", alt_text="Une miche de seigle")]
    with ReplayServer(recorded) as network:
        client(network.base_url, http).publish(text="Le seigle est de retour", media=media)
        upload = next(r for r in network.requests if r[1].endswith("uploadBlob"))
        [body] = sent(network, "POST", "com.atproto.repo.putRecord")

    assert upload[3] == buffer.getvalue()
    assert body["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "image": recorded[0]["response"]["body"]["blob"],
                "alt": "Une miche de seigle",
                "aspectRatio": {"width": 40, "height": 30},
            }
        ],
    }


def test_an_expired_access_token_is_refreshed_stored_and_the_call_asked_once_more(http):
    recorded = exchanges("expired_token")
    stored: list[Credentials] = []
    with ReplayServer(recorded) as network:
        views = client(network.base_url, http, on_credentials=stored.append).thread(FAN_REPLY)
        calls = [(m, p.rsplit("/", 1)[-1]) for m, p, _q, _b in network.requests]

    assert calls == [
        ("GET", "app.bsky.feed.getPostThread"),
        ("POST", "com.atproto.server.refreshSession"),
        ("GET", "app.bsky.feed.getPostThread"),
    ]
    assert [v["uri"] for v in views] == [FAN_REPLY]
    assert [c.refresh_token for c in stored] == [recorded[1]["response"]["body"]["refreshJwt"]]


def test_rate_limit_headers_are_kept_and_a_429_waits_until_the_reset(http):
    reset = dt.datetime.fromtimestamp(int(times()["reset"]), dt.UTC)
    with ReplayServer(exchanges("rate_limited")) as network:
        provider = client(network.base_url, http)
        provider.thread(FAN_REPLY)
        state = provider.rate_limit
        with pytest.raises(RateLimited) as limited:
            provider.publish(text="Hello")

    assert state is not None and (state.limit, state.remaining, state.reset_at) == (3000, 2999, reset)
    assert limited.value.reset_at == reset
    assert "RateLimitExceeded" in (limited.value.network_message or "")


def test_direct_messages_are_read_through_the_chat_proxy_and_answered_in_their_conversation(http):
    recorded = exchanges("chat")
    with ReplayServer(recorded) as network:
        provider = client(network.base_url, http)
        result = provider.poll(cursor={})
        dm = next(i for i in result.items if i.kind == ItemKind.DIRECT_MESSAGE)
        target = ReplyTarget(dm.external_id, ItemKind.DIRECT_MESSAGE, thread_root_external_id=CONVO)
        answer = provider.reply(target=target, text="Oui, du mardi au samedi.")
        [message] = sent(network, "POST", "chat.bsky.convo.sendMessage")

    assert [(i.external_id, i.text) for i in result.items] == [
        ("3l3qq24ftzj2b", "Hello!"),
        ("3l3qq2rh2wb2f", "Bonjour, livrez-vous à Lyon ?"),
    ]  # the deleted message between them is skipped
    assert (dm.author.handle, dm.author.name, dm.thread_root_external_id) == ("lea.bsky.social", "Léa", CONVO)
    assert result.permission_missing == ""
    assert message == {"convoId": CONVO, "message": {"text": "Oui, du mardi au samedi."}}
    assert answer.external_id == recorded[3]["response"]["body"]["id"]


def test_an_app_password_without_direct_messages_still_brings_the_mentions(http):
    with ReplayServer(exchanges("chat_without_dm_access")) as network:
        result = client(network.base_url, http).poll(cursor={})

    assert [i.kind for i in result.items] == [ItemKind.MENTION]
    assert "direct messages" in result.permission_missing


def test_jetstream_commits_for_the_brand_become_read_events_and_the_rest_is_ignored():
    fixture = load("bluesky", "jetstream_commit")
    account = Account(Network.BLUESKY, BRAND, "https://pds.invalid", Credentials("t"))
    source = JetstreamSource([StreamTarget(7, account)], url="ws://127.0.0.1:9/subscribe")
    read = [source.read(json.dumps(message)) for message in fixture["messages"]]

    assert [time_us for time_us, _events in read] == [m["time_us"] for m in fixture["messages"]]
    reply, mention, like, identity = (events for _t, events in read)
    assert [(e.hint, e.what, e.refs["uri"], e.account_id) for e in reply] == [
        (Hint.READ, "reply", FAN_REPLY, BRAND)
    ]
    assert [(e.what, e.refs["uri"]) for e in mention] == [
        ("mention", f"at://{SAM}/app.bsky.feed.post/3l3qnx6ecrs2c")
    ]
    assert like == [] and identity == []


# --- against the fake: the same requests get answers of the same shape ------------------------------------


@pytest.fixture
def fake() -> Iterator[BlueskyFake]:
    jetstream = JetstreamFake().start()
    with BlueskyFake() as server:
        server.jetstream = jetstream
        server.add_account(
            BRAND,
            "acme-bakery.bsky.social",
            display_name="Acme Bakery",
            password="app-pw",
            avatar="https://cdn.example/b.jpg",
        )
        server.add_account(LEA, "lea.bsky.social", display_name="Léa", avatar="https://cdn.example/a.jpg")
        server.add_account(SAM, "sam.bsky.social", display_name="Sam", avatar="https://cdn.example/s.jpg")
        yield server
    jetstream.stop()


def signed_in(fake: BlueskyFake, http: httpx.Client) -> tuple[dict[str, Any], dict[str, str]]:
    response = http.post(
        f"{fake.base_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "acme-bakery.bsky.social", "password": "app-pw"},
    )
    session = response.json()
    return session, {"Authorization": f"Bearer {session['accessJwt']}"}


def xrpc(fake: BlueskyFake, http: httpx.Client, method: str, nsid: str, headers, **kwargs) -> httpx.Response:
    return http.request(method, f"{fake.base_url}/xrpc/{nsid}", headers=headers, **kwargs)


def recorded_body(case: str, index: int) -> Any:
    return exchanges(case)[index]["response"]["body"]


def test_the_fake_signs_in_and_refreshes_as_documented(fake, http):
    session, _headers = signed_in(fake, http)
    refreshed = http.post(
        f"{fake.base_url}/xrpc/com.atproto.server.refreshSession",
        headers={"Authorization": f"Bearer {session['refreshJwt']}"},
    )
    again = http.post(
        f"{fake.base_url}/xrpc/com.atproto.server.refreshSession",
        headers={"Authorization": f"Bearer {session['refreshJwt']}"},
    )
    refused = http.post(
        f"{fake.base_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "acme-bakery.bsky.social", "password": "nope"},
    )

    assert shape_differences(recorded_body("create_session", 0), session) == []
    assert shape_differences(recorded_body("refresh_session", 0), refreshed.json()) == []
    assert (again.status_code, again.json()) == (400, recorded_body("refresh_session", 1))  # rotated
    assert (refused.status_code, refused.json()) == (401, recorded_body("create_session_refused", 0))


def test_the_fake_lists_notifications_and_profiles_with_the_recorded_shapes(fake, http):
    _session, headers = signed_in(fake, http)
    ours = fake.add_post(BRAND, "Pain de seigle ce matin")
    fake.add_mention(SAM, BRAND, "is the best", langs=["en"])
    fake.add_quote(SAM, ours["uri"], "Look at this", langs=["en"])
    fake.add_reply(LEA, ours["uri"], "Vous ouvrez dimanche ?", langs=["fr"])
    listed = xrpc(
        fake,
        http,
        "GET",
        "app.bsky.notification.listNotifications",
        headers,
        params={"reasons": ["mention", "reply", "quote"], "limit": 2},
    ).json()
    profile = xrpc(fake, http, "GET", "app.bsky.actor.getProfile", headers, params={"actor": BRAND}).json()

    page = recorded_body("list_notifications", 2)
    by_reason = {n["reason"]: n for n in page["notifications"]}
    assert shape_differences({**page, "notifications": []}, listed) == []
    assert listed["notifications"][0]["reason"] == "reply"  # newest first
    assert shape_differences(by_reason["reply"], listed["notifications"][0]) == []
    quote = by_reason["quote"]  # the recorded quote also mentions; the fake's quotes do not
    quote = {**quote, "record": {k: v for k, v in quote["record"].items() if k != "facets"}}
    assert shape_differences(quote, listed["notifications"][1]) == []
    rest = xrpc(
        fake,
        http,
        "GET",
        "app.bsky.notification.listNotifications",
        headers,
        params={"reasons": ["mention", "reply", "quote"], "cursor": listed["cursor"]},
    ).json()
    assert shape_differences(by_reason["mention"], rest["notifications"][0]) == []
    assert "cursor" not in rest
    assert shape_differences(recorded_body("create_session", 1), profile) == []


def test_the_fake_threads_show_blocked_and_deleted_replies_as_recorded(fake, http):
    _session, headers = signed_in(fake, http)
    ours = fake.add_post(BRAND, "Pain de seigle ce matin")
    fan = fake.add_reply(LEA, ours["uri"], "Vous ouvrez dimanche ?", langs=["fr"])
    fake.add_reply(BRAND, fan["uri"], "Oui, de 8h à 13h !")
    gone = fake.add_reply(SAM, fan["uri"], "deleted soon")
    fake.posts.pop(gone["uri"])
    fake.add_reply(SAM, fan["uri"], "spam spam spam")
    fake.add_block(BRAND, SAM)  # the brand blocks Sam: Sam's reply shows as #blockedPost to the brand
    answer = xrpc(
        fake, http, "GET", "app.bsky.feed.getPostThread", headers, params={"uri": fan["uri"], "depth": 2}
    )
    thread = answer.json()["thread"]

    recorded = recorded_body("get_post_thread", 0)["thread"]
    assert shape_differences({**recorded, "replies": []}, thread) == []
    for kind in ("threadViewPost", "blockedPost"):
        want = next(r for r in recorded["replies"] if r["$type"].endswith(kind))
        have = [r for r in thread["replies"] if r["$type"].endswith(kind)]
        assert have and shape_differences(want, have[0]) == [], kind
    missing = xrpc(fake, http, "GET", "app.bsky.feed.getPostThread", headers, params={"uri": gone["uri"]})
    assert (missing.status_code, missing.json()["error"]) == (400, "NotFound")


def test_the_fake_writes_records_and_blobs_with_the_recorded_answers(fake, http):
    _session, headers = signed_in(fake, http)
    record = {"$type": "app.bsky.feed.post", "text": "Hello", "createdAt": times()["t3"]}
    put = {"repo": BRAND, "collection": "app.bsky.feed.post", "rkey": "3l3qq6s2b5k2f", "swapRecord": None}
    first = xrpc(fake, http, "POST", "com.atproto.repo.putRecord", headers, json={**put, "record": record})
    taken = xrpc(fake, http, "POST", "com.atproto.repo.putRecord", headers, json={**put, "record": record})
    other = {**record, "text": "Other words"}
    swap = xrpc(fake, http, "POST", "com.atproto.repo.putRecord", headers, json={**put, "record": other})
    read = xrpc(
        fake,
        http,
        "GET",
        "com.atproto.repo.getRecord",
        headers,
        params={"repo": BRAND, "collection": "app.bsky.feed.post", "rkey": "3l3qq6s2b5k2f"},
    )
    created = xrpc(
        fake,
        http,
        "POST",
        "com.atproto.repo.createRecord",
        headers,
        json={"repo": BRAND, "collection": "app.bsky.feed.post", "record": record},
    )
    blob = xrpc(
        fake,
        http,
        "POST",
        "com.atproto.repo.uploadBlob",
        {**headers, "Content-Type": "image/png"},
        content=b"\x89PNG...",
    )

    assert first.status_code == 200
    assert shape_differences(recorded_body("reply_put_record", 1), first.json()) == []
    # The very same record again is a no-op the PDS answers like a write (putRecord.ts: current.cid ==
    # write.cid); another record under the key is refused.
    assert (taken.status_code, taken.json()["uri"]) == (200, first.json()["uri"])
    assert swap.status_code == 400
    assert shape_differences(recorded_body("put_record_taken", 0), swap.json()) == []
    assert swap.json()["error"] == "InvalidSwap"
    assert shape_differences(recorded_body("put_record_taken", 1), read.json()) == []
    assert shape_differences(recorded_body("create_record", 0), created.json()) == []
    assert shape_differences(recorded_body("upload_blob", 0), blob.json()) == []
    assert blob.json()["blob"]["mimeType"] == "image/png"


def test_the_fake_refuses_expired_tokens_and_spent_budgets_as_documented(fake, http):
    session, headers = signed_in(fake, http)
    quiet = xrpc(fake, http, "GET", "app.bsky.actor.getProfile", headers, params={"actor": BRAND})
    fake.write_limit = 0
    record = {"$type": "app.bsky.feed.post", "text": "Hi", "createdAt": times()["t3"]}
    limited = xrpc(
        fake,
        http,
        "POST",
        "com.atproto.repo.createRecord",
        headers,
        json={"repo": BRAND, "collection": "app.bsky.feed.post", "record": record},
    )
    fake.expire_access()
    expired = xrpc(fake, http, "GET", "app.bsky.actor.getProfile", headers, params={"actor": BRAND})

    recorded = exchanges("rate_limited")[1]["response"]
    assert (limited.status_code, limited.json()) == (429, recorded["body"])
    for response in (quiet, limited):
        assert {h.lower() for h in recorded["headers"]} <= set(response.headers)
    assert int(limited.headers["ratelimit-reset"]) > NOW.timestamp()  # epoch seconds
    assert (expired.status_code, expired.json()) == (400, recorded_body("expired_token", 0))
    assert session["accessJwt"]


def test_the_fake_chat_service_answers_behind_the_proxy_header_with_the_recorded_shapes(fake, http):
    _session, headers = signed_in(fake, http)
    proxied = {**headers, "atproto-proxy": "did:web:api.bsky.chat#bsky_chat"}
    fake.add_dm(LEA, BRAND, "Hello!")
    fake.add_dm(LEA, BRAND, "Bonjour, livrez-vous à Lyon ?")
    convos = xrpc(fake, http, "GET", "chat.bsky.convo.listConvos", proxied).json()
    convo_id = convos["convos"][0]["id"]
    messages = xrpc(
        fake, http, "GET", "chat.bsky.convo.getMessages", proxied, params={"convoId": convo_id}
    ).json()
    answer = xrpc(
        fake,
        http,
        "POST",
        "chat.bsky.convo.sendMessage",
        proxied,
        json={"convoId": convo_id, "message": {"text": "Oui !"}},
    )
    fake.add_account(BRAND, "acme-bakery.bsky.social", password="no-dm-pw", dms=False)
    narrow = http.post(
        f"{fake.base_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": "acme-bakery.bsky.social", "password": "no-dm-pw"},
    ).json()
    refused = xrpc(
        fake,
        http,
        "GET",
        "chat.bsky.convo.listConvos",
        {**proxied, "Authorization": f"Bearer {narrow['accessJwt']}"},
    )

    assert shape_differences(recorded_body("chat", 0), convos) == []
    assert shape_differences(recorded_body("chat", 1), messages) == []
    assert messages["messages"][0]["text"] == "Bonjour, livrez-vous à Lyon ?"  # newest first
    assert shape_differences(recorded_body("chat", 3), answer.json()) == []
    assert (refused.status_code, refused.json()) == (400, recorded_body("chat_without_dm_access", 0))


def test_the_fake_jetstream_sends_commit_events_of_the_documented_shape(fake):
    recorded = load("bluesky", "jetstream_commit")["messages"]
    ours = fake.add_post(BRAND, "Pain de seigle ce matin")
    fake.add_reply(LEA, ours["uri"], "Vous ouvrez dimanche ?", langs=["fr"])
    assert fake.jetstream is not None
    event = fake.jetstream.events[-1]

    assert shape_differences(recorded[0], event) == []
    assert event["cursor"] > fake.jetstream.events[0]["cursor"]
