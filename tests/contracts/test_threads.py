"""Threads contract fixtures (Meta's Threads documentation and its Postman collection), replayed against
ThreadsProvider and compared with what ThreadsFake answers for the same requests."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import httpx
import pytest

from networks.fakes.threads import ThreadsFake
from networks.providers.base import (
    Account,
    AuthExpired,
    Credentials,
    Invalid,
    ItemKind,
    Network,
    OAuthApp,
    ReplyTarget,
)
from networks.providers.threads import ThreadsProvider
from networks.providers.threads_publishing import DictMemo
from networks.providers.threads_webhooks import THREADS_WEBHOOKS
from networks.providers.webhooks_base import Hint
from tests.contracts.replay import ReplayServer, fill, graph_time, load, shape_differences

USER = "12345678"


def times() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    return {
        "post_time": graph_time(now - dt.timedelta(hours=5)),
        "reply1_time": graph_time(now - dt.timedelta(hours=3)),
        "reply2_time": graph_time(now - dt.timedelta(hours=2)),
        "reply3_time": graph_time(now - dt.timedelta(hours=1)),
        "mention_time": graph_time(now - dt.timedelta(minutes=30)),
    }


def exchanges(case: str) -> list[dict[str, Any]]:
    return fill(load("threads", case)["exchanges"], **times())


def provider(base_url: str, http: httpx.Client) -> ThreadsProvider:
    account = Account(Network.THREADS, USER, base_url, Credentials("THAAlong"), handle="demobakery")
    return ThreadsProvider(account, http=http, memo=DictMemo(), sleep=lambda _s: None)


# --- against the client ----------------------------------------------------------------------------------


def test_connect_exchanges_the_code_then_makes_the_token_long_lived(http):
    with ReplayServer(exchanges("connect")) as replay:
        app = OAuthApp("app-id", "app-secret", replay.base_url, replay.base_url)
        [account] = ThreadsProvider.connectable(
            app, http=http, code="AQB", redirect_uri="https://x.example/cb"
        )
    assert account.external_id == "12345678" and account.handle == "demobakery"
    assert account.credentials.access_token == "THAAlong"
    assert account.credentials.expires_at is not None
    assert account.avatar_url.startswith("https://scontent")
    posted = replay.requests[0]
    assert posted[0] == "POST" and b"grant_type=authorization_code" in posted[3]
    assert replay.requests[1][2]["access_token"] == ["THQVJ-short"]


def test_refresh_reads_the_renewed_token(http):
    issued = (dt.datetime.now(dt.UTC) - dt.timedelta(days=50)).isoformat()
    with ReplayServer(exchanges("refresh")) as replay:
        account = Account(
            Network.THREADS, USER, replay.base_url, Credentials("THAAold", extra={"issued_at": issued})
        )
        renewed = ThreadsProvider(account, http=http).refresh_credentials()
    assert renewed.access_token == "THAArenewed" and renewed.expires_at is not None


def test_a_conversation_is_read_into_threads_under_the_reply_to_our_post(http):
    with ReplayServer(exchanges("conversation")) as replay:
        result = provider(replay.base_url, http).poll(cursor={})
    by_id = {item.external_id: item for item in result.items}
    top, ours, nested = "18060000000000001", "18060000000000002", "18060000000000003"
    assert set(by_id) == {top, ours, nested}
    assert by_id[top].kind == ItemKind.COMMENT and by_id[top].held  # hide_status HIDDEN
    assert by_id[ours].author is not None and by_id[ours].author.external_id == USER  # outbound
    assert by_id[nested].thread_root_external_id == top and by_id[nested].parent_external_id == ours
    assert by_id[top].post_text == "Nouveaux croissants ce matin !"
    conversation = next(r for r in replay.requests if r[1].endswith("/conversation"))
    assert "is_reply_owned_by_me" in conversation[2]["fields"][0]


def test_mentions_are_their_own_threads(http):
    with ReplayServer(exchanges("conversation")[:2] + exchanges("mentions")) as replay:
        result = provider(replay.base_url, http).poll(cursor={})
    [mention] = [i for i in result.items if i.kind == ItemKind.MENTION]
    assert mention.external_id == "18070000000000001" and mention.author is not None
    assert mention.author.handle == "lea"


def test_an_answer_goes_through_the_limit_the_container_and_threads_publish(http):
    with ReplayServer(exchanges("reply_publish")) as replay:
        target = ReplyTarget("18060000000000001", ItemKind.COMMENT, post_external_id="18050206876707110")
        result = provider(replay.base_url, http).reply(target=target, text="Merci !", delivery_key="k")
    assert result.external_id == "18080000000000001"
    assert result.permalink == "https://www.threads.net/@demobakery/post/C9fff"
    container = next(r for r in replay.requests if r[1].endswith("/threads") and r[0] == "POST")
    assert b"reply_to_id=18060000000000001" in container[3] and b"media_type=TEXT" in container[3]
    publish = next(r for r in replay.requests if r[1].endswith("/threads_publish"))
    assert b"creation_id=17889615691921648" in publish[3]


def test_a_failed_container_is_refused_not_published(http):
    with ReplayServer(exchanges("container_error")) as replay, pytest.raises(Invalid):
        provider(replay.base_url, http).publish(text="x", delivery_key="e")
    assert not [r for r in replay.requests if r[1].endswith("/threads_publish")]


def test_hide_and_delete_read_success(http):
    with ReplayServer(exchanges("manage_reply")) as replay:
        client = provider(replay.base_url, http)
        client.hide_comment(comment_id="18060000000000001", hidden=True)
        client.delete_comment(comment_id="18080000000000001")
    assert b"hide=true" in replay.requests[0][3]


def test_an_expired_session_is_a_lost_connection(http):
    recorded = exchanges("conversation")[:1] + exchanges("expired_token")
    with ReplayServer(recorded) as replay, pytest.raises(AuthExpired):
        provider(replay.base_url, http).poll(cursor={})


def test_a_documented_webhook_marks_the_profile_due():
    delivery = fill(load("webhooks", "threads_replies")["delivery"], now_s=int(time.time()))
    parsed = THREADS_WEBHOOKS.parse(delivery, now=dt.datetime.now(dt.UTC), max_age=dt.timedelta(hours=48))
    assert {(e.account_id, e.hint) for e in parsed.events} == {("123456", Hint.POLL), ("78901", Hint.POLL)}
    assert THREADS_WEBHOOKS.account_ids(delivery) == ["123456", "78901"]


# --- against the fake ------------------------------------------------------------------------------------


@pytest.fixture
def fake():
    with ThreadsFake() as running:
        yield running


def _get(http: httpx.Client, fake: ThreadsFake, token: str, path: str, **query: Any) -> Any:
    answer = http.get(f"{fake.base_url}{path}", params=query, headers={"Authorization": f"Bearer {token}"})
    return answer.json()


def _recorded(case: str, index: int) -> Any:
    return exchanges(case)[index]["response"]["body"]


def test_the_fake_lists_posts_conversations_and_mentions_in_the_documented_shapes(fake, http):
    brand, ada = fake.add_user("demobakery"), fake.add_user("ada")
    token = fake.issue_token(brand)
    post = fake.add_post(brand, "Nouveaux croissants", ago=600)
    top = fake.add_reply(post, ada, "Au beurre ?", ago=300)
    ours = fake.add_reply(top, brand, "Oui", ago=200)
    fake.add_reply(ours, ada, "Merci", ago=100)
    fake.add_post(ada, "Bravo @demobakery")
    from networks.providers.threads_wire import MENTION_FIELDS, POST_FIELDS, REPLY_FIELDS

    fields_threads = POST_FIELDS + ",media_product_type,owner,shortcode,is_quote_post"
    listed = _get(http, fake, token, f"/v1.0/{brand}/threads", fields=fields_threads)
    assert shape_differences(_recorded("conversation", 0), listed) == []
    fields_replies = REPLY_FIELDS + ",media_product_type,shortcode,is_quote_post"
    conversation = _get(
        http, fake, token, f"/v1.0/{post}/conversation", fields=fields_replies, reverse="true"
    )
    assert shape_differences(_recorded("conversation", 1), conversation) == []
    assert [r["id"] for r in conversation["data"]][-1] == top  # newest first
    mentions = _get(
        http,
        fake,
        token,
        f"/v1.0/{brand}/mentions",
        fields=MENTION_FIELDS + ",media_product_type,shortcode,is_quote_post,has_replies",
    )
    assert shape_differences(_recorded("mentions", 0), mentions) == []


def test_the_fake_publishes_through_containers_in_the_documented_shapes(fake, http):
    brand, ada = fake.add_user("demobakery"), fake.add_user("ada")
    token = fake.issue_token(brand)
    reply = fake.add_reply(fake.add_post(brand, "Hello", ago=60), ada, "?")
    auth = {"Authorization": f"Bearer {token}"}
    limit = _get(
        http,
        fake,
        token,
        f"/v1.0/{brand}/threads_publishing_limit",
        fields="quota_usage,config,reply_quota_usage,reply_config",
    )
    assert shape_differences(_recorded("reply_publish", 0), limit) == []
    made = http.post(
        f"{fake.base_url}/v1.0/{brand}/threads",
        data={"media_type": "TEXT", "text": "Merci", "reply_to_id": reply},
        headers=auth,
    ).json()
    assert shape_differences(_recorded("reply_publish", 1), made) == []
    status = _get(http, fake, token, f"/v1.0/{made['id']}", fields="id,status,error_message")
    assert shape_differences(_recorded("reply_publish", 2), status) == []
    published = http.post(
        f"{fake.base_url}/v1.0/{brand}/threads_publish", data={"creation_id": made["id"]}, headers=auth
    ).json()
    assert shape_differences(_recorded("reply_publish", 3), published) == []
    link = _get(http, fake, token, f"/v1.0/{published['id']}", fields="permalink")
    assert shape_differences(_recorded("reply_publish", 4), link) == []
    hidden = http.post(
        f"{fake.base_url}/v1.0/{reply}/manage_reply", data={"hide": "true"}, headers=auth
    ).json()
    assert shape_differences(_recorded("manage_reply", 0), hidden) == []
    deleted = http.delete(f"{fake.base_url}/v1.0/{published['id']}", headers=auth).json()
    assert shape_differences(_recorded("manage_reply", 1), deleted) == []


def test_the_fake_answers_connect_and_errors_in_the_documented_shapes(fake, http):
    from networks.fakes import consent as consent_page

    brand = fake.add_user("demobakery", "Demo Bakery")
    app = OAuthApp(fake.client_id, fake.client_secret, fake.base_url, fake.base_url)
    url = ThreadsProvider.consent(app, redirect_uri="https://x.example/cb", state="s", scopes=()).url
    code = httpx.URL(consent_page.approve(http, url).headers["location"]).params["code"]
    short = http.post(
        f"{fake.base_url}/oauth/access_token",
        data={
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": "https://x.example/cb",
        },
    ).json()
    assert shape_differences(_recorded("connect", 0), short) == []
    long_lived = http.get(
        f"{fake.base_url}/access_token",
        params={
            "grant_type": "th_exchange_token",
            "client_secret": fake.client_secret,
            "access_token": short["access_token"],
        },
    ).json()
    assert shape_differences(_recorded("connect", 1), long_lived) == []
    me = _get(
        http,
        fake,
        long_lived["access_token"],
        "/v1.0/me",
        fields="id,username,name,threads_profile_picture_url",
    )
    recorded_me = {k: v for k, v in _recorded("connect", 2).items() if k != "threads_biography"}
    assert shape_differences(recorded_me, me) == [] and me["id"] == brand
    fake.shift_clock(61 * 86400)
    expired = _get(http, fake, long_lived["access_token"], f"/v1.0/{brand}/mentions")
    assert shape_differences(_recorded("expired_token", 0), expired) == []
    assert expired["error"]["code"] == 190


def test_the_fakes_webhook_is_shaped_as_documented(fake, http):
    brand, ada = fake.add_user("demobakery"), fake.add_user("ada")
    received: list[bytes] = []
    from networks.fakes.base import FakeServer, Request, Response

    class Receiver(FakeServer):
        def setup_routes(self) -> None:
            self.route(
                "GET",
                r"/hook",
                lambda r: Response(200, r.arg("hub.challenge"), {"content-type": "text/plain"}),
            )
            self.route("POST", r"/hook", self._take)

        def _take(self, request: Request) -> Response:
            received.append(request.body)
            return Response(200, {})

    with Receiver() as receiver:
        fake.subscribe_webhooks(f"{receiver.base_url}/hook", verify_token="v")
        fake.add_reply(fake.add_post(brand, "Hello", ago=60), ada, "Salut")
        assert fake.webhooks.drain(10)
    [body] = received
    recorded = fill(load("webhooks", "threads_replies")["delivery"], now_s=1)
    assert shape_differences(recorded, json.loads(body)) == []
