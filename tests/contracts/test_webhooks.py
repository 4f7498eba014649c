"""Webhook contract fixtures (tests/contracts/webhooks/*.json, source URL in each): the fakes push
deliveries with the documented shapes and signatures, and the production code reads the documented ones
(tests/networks/test_webhooks.py replays the same fixtures through the webhook URL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import httpx

from networks.fakes.graph import GraphFake
from networks.fakes.linkedin import LinkedInFake
from networks.providers import linkedin_webhooks, meta_webhooks
from networks.providers.base import Account, Credentials, Network
from networks.providers.facebook import FacebookProvider
from networks.providers.instagram import InstagramProvider
from tests.contracts.replay import ReplayServer, fill, load, shape_differences
from tests.contracts.webhook_receiver import Receiver

SECRET = "graph-app-secret"
APP = "1234567890"
VERIFY = "verify-me"


def documented(case: str, **extra):
    now = time.time()
    values = {"now_s": int(now), "now_ms": int(now * 1000), "psid": "2449874838325621", **extra}
    return fill(load("webhooks", case), **values)


def meta_signed(received, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    return received.headers.get("x-hub-signature-256") == expected


def graph_with_page(receiver: Receiver, objects=("page",)) -> tuple[GraphFake, str]:
    fake = GraphFake()
    fake.add_app(APP, SECRET)
    page = fake.add_page("Acme Bakery", page_id="104525875432211")
    if "page" in objects:
        fake.subscribe_app(APP, "page", receiver.url, ["feed", "messages"], VERIFY)
    if "instagram" in objects:
        fake.subscribe_app(APP, "instagram", receiver.url, ["comments", "mentions"], VERIFY)
    fake.install_app(page.id, APP, ["feed", "messages"])
    return fake, page.id


def test_the_fake_pushes_a_feed_comment_as_documented_after_the_handshake() -> None:
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver)
        with fake:
            post = fake.add_post(page, "New bread")
            fake.add_comment(post.id, "Do you ship abroad?", author={"id": "5678901234567890", "name": "D"})
            assert fake.webhooks.drain(10)
    assert receiver.handshakes[0]["hub.mode"] == ["subscribe"]
    assert len(receiver.posts) == 1 and meta_signed(receiver.posts[0])
    recorded = documented("facebook_feed_comment")["delivery"]
    pushed = receiver.posts[0].json()
    recorded["entry"][0]["changes"] = recorded["entry"][0]["changes"][:1]
    assert shape_differences(recorded, pushed) == []
    assert pushed["entry"][0]["changes"][0]["value"]["parent_id"] == post.id  # top level: the post


def test_the_fake_pushes_messenger_messages_and_answers_the_conversation_lookup_as_documented() -> None:
    fixture = documented("facebook_messenger_message", psid="2449874838325621")
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver)
        with fake:
            message = fake.add_conversation_message(page, {"id": "2449874838325621", "name": "D"}, "hello")
            assert fake.webhooks.drain(10)
            token = fake.objects[page].token
            looked_up = httpx.get(
                f"{fake.base_url}/v25.0/{page}/conversations",
                params={
                    "platform": "messenger",
                    "user_id": "2449874838325621",
                    "fields": "id,link,participants",
                },
                headers={"Authorization": f"Bearer {token}"},
            ).json()
    pushed = receiver.posts[0].json()
    recorded = fixture["delivery"]
    recorded["entry"][0]["messaging"] = recorded["entry"][0]["messaging"][:1]
    assert shape_differences(recorded, pushed) == []
    assert pushed["entry"][0]["messaging"][0]["message"]["mid"] == message.id
    assert shape_differences(fixture["conversation_lookup"]["response"]["body"], looked_up) == []
    assert looked_up["data"][0]["id"] == message.conversation_id


def test_the_fake_pushes_instagram_comments_as_documented() -> None:
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver, objects=("instagram",))
        with fake:
            user = fake.add_ig_user("acme.bakery", page_id=page)
            media = fake.add_media(user.id, "Croissants")
            top = fake.add_ig_comment(media.id, "This is an example.")
            fake.add_ig_comment(media.id, "Replying", parent_id=top.id)
            assert fake.webhooks.drain(10)
    recorded = documented("instagram_comments_mentions")["delivery"]
    first, second = (received.json() for received in receiver.posts)
    recorded["entry"][0]["changes"] = recorded["entry"][0]["changes"][:1]
    assert shape_differences(recorded, first) == []
    assert second["entry"][0]["changes"][0]["value"]["parent_id"] == top.id
    assert all(meta_signed(received) for received in receiver.posts)


def test_the_fake_pushes_instagram_mentions_as_documented_and_they_read_as_ids_to_fetch() -> None:
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver, objects=("instagram",))
        with fake:
            user = fake.add_ig_user("acme.bakery", page_id=page)
            comment = fake.add_ig_mention_comment(user.id, text="@acme.bakery hello")
            assert fake.webhooks.drain(10)
    recorded = documented("instagram_comments_mentions")["delivery"]
    recorded["entry"][0]["changes"] = recorded["entry"][0]["changes"][2:]
    pushed = [r.json() for r in receiver.posts if r.json()["entry"][0]["id"] == user.id]
    assert len(pushed) == 1 and shape_differences(recorded, pushed[0]) == []
    parsed = meta_webhooks.parse(
        documented("instagram_comments_mentions")["delivery"],
        now=dt.datetime.now(dt.UTC),
        max_age=dt.timedelta(days=2),
    )
    mention = parsed.events[-1]
    assert (mention.hint, mention.what, mention.refs) == (
        "read",
        "mention",
        {"media_id": "17918195224117851", "comment_id": "17894227972186120"},
    )
    assert pushed[0]["entry"][0]["changes"][0]["value"] == {
        "comment_id": comment.id,
        "media_id": comment.media_id,
    }


def test_the_fake_sends_nothing_to_a_page_that_did_not_install_the_app_or_a_wrong_verify_token() -> None:
    with Receiver(verify_token="something else") as receiver:
        fake = GraphFake()
        fake.add_app(APP, SECRET)
        page = fake.add_page("Acme", page_id="1")
        other = fake.add_page("Other", page_id="2")
        fake.subscribe_app(APP, "page", receiver.url, ["feed"], VERIFY)
        fake.install_app(page.id, APP, ["feed"])
        fake.add_comment(fake.add_post(other.id).id, "not installed")
        assert fake.webhooks.drain(1) and fake.webhooks.sent == []
        fake.webhooks.retry_delays = (0.01, 0.01)
        with fake:
            fake.add_comment(fake.add_post(page.id).id, "installed, but the handshake fails")
            assert fake.webhooks.drain(20)
    assert receiver.posts == []  # Meta never delivers to a URL that failed verification
    assert fake.webhooks.sent[0].status == 0


def test_the_linkedin_fake_validates_the_url_then_signs_notifications_as_documented() -> None:
    with Receiver(linkedin_secret="li-secret") as receiver:
        fake = LinkedInFake(client_secret="li-secret")
        admin = fake.add_member("Alice Admin", "demoAdmin01")
        org = fake.add_organization("Acme", admins=[admin])
        fake.subscribe_webhook(receiver.url)
        with fake:
            post = fake.add_post(org, "Hello")
            fake.add_comment(post, "urn:li:person:someone", "Nice!")
            assert fake.webhooks.drain(10)
    assert "challengeCode" in receiver.handshakes[0]
    received = receiver.posts[0]
    expected = hmac.new(b"li-secret", b"hmacsha256=" + received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-li-signature"] == expected
    recorded = documented("linkedin_social_action")["delivery"]
    assert shape_differences(recorded, received.json()) == []
    assert received.json()["notifications"][0]["organizationalEntity"] == org


def test_the_documented_deliveries_read_into_items_and_hints() -> None:
    now = dt.datetime.now(dt.UTC)
    feed = meta_webhooks.parse(
        documented("facebook_feed_comment")["delivery"], now=now, max_age=dt.timedelta(days=2)
    )
    assert [(e.hint, e.what) for e in feed.events] == [
        ("store", "comment"),
        ("store", "comment"),
        ("poll", "edited"),
    ]
    assert feed.ignored == 1  # the reaction
    top, reply = (e.item for e in feed.events[:2])
    assert top is not None and reply is not None
    assert (top.thread_root_external_id, reply.thread_root_external_id) == (top.external_id, top.external_id)
    messenger = meta_webhooks.parse(
        documented("facebook_messenger_message")["delivery"], now=now, max_age=dt.timedelta(days=2)
    )
    assert [(e.hint, e.customer_id) for e in messenger.events] == [("message", "2449874838325621")]
    assert messenger.ignored == 1  # the read receipt


def test_a_documented_linkedin_comment_notification_is_read_by_its_ids() -> None:
    """The notification names the post and the comment (generatedActivity): enough to read the comment at
    once, whatever the post's age; the like is of no interest."""
    delivery = documented("linkedin_social_action")["delivery"]
    parsed = linkedin_webhooks.parse(delivery, now=dt.datetime.now(dt.UTC), max_age=dt.timedelta(days=2))
    assert [(e.hint, e.what, e.refs) for e in parsed.events] == [
        (
            "read",
            "comment",
            {
                "post": "urn:li:share:6988129412374282240",
                "comment": "urn:li:comment:(urn:li:activity:6988129412374282240,6988136232127873024)",
            },
        )
    ]
    assert parsed.ignored == 1


def test_the_conversation_lookup_is_read_as_documented(http: httpx.Client) -> None:
    fixture = documented("facebook_messenger_message")
    with ReplayServer([fixture["conversation_lookup"]], graph=True) as network:
        account = Account(Network.FACEBOOK, "104525875432211", network.base_url, Credentials("page-token"))
        found = FacebookProvider(account, http=http).conversation_with("2449874838325621")
    assert found is not None
    assert (found.conversation_id, found.permalink) == (
        "t_10215100000000000",
        "https://www.facebook.com/104525875432211/inbox/t_10215100000000000",
    )
    assert found.customer is not None and found.customer.name == "Dominique Customer"


IGSID = "6543210987654321"


def test_an_instagram_dm_delivery_and_its_thread_lookup_are_read_as_documented(http: httpx.Client) -> None:
    """The delivery names the sender by IGSID only; the thread (the id the poll files DMs under, and the
    person's username) is asked of the account's Page once."""
    fixture = documented("instagram_message", igsid=IGSID)
    parsed = meta_webhooks.parse(
        fixture["delivery"], now=dt.datetime.now(dt.UTC), max_age=dt.timedelta(days=2)
    )
    assert [(e.hint, e.customer_id, e.item.text) for e in parsed.events if e.item] == [
        ("message", IGSID, "Do you deliver on Sundays?"),
        ("message", IGSID, "Yes, from 8am!"),  # the echo: the customer is the recipient
    ]
    me = {
        "request": {"method": "GET", "path": "/me"},
        "response": {"status": 200, "body": {"id": "104525875432211"}},
    }
    with ReplayServer([me, fixture["conversation_lookup"]], graph=True) as network:
        account = Account(Network.INSTAGRAM, "17841405822304914", network.base_url, Credentials("page-token"))
        found = InstagramProvider(account, http=http).conversation_with(IGSID)
    assert found is not None
    assert found.conversation_id == fixture["conversation_lookup"]["response"]["body"]["data"][0]["id"]
    assert found.customer is not None
    assert (found.customer.external_id, found.customer.handle) == (IGSID, "dana.customer")
    assert found.customer.profile_url == "https://www.instagram.com/dana.customer/"


def test_the_fake_pushes_instagram_dms_and_answers_the_thread_lookup_as_documented() -> None:
    fixture = documented("instagram_message", igsid=IGSID)
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver, objects=())
        fake.subscribe_app(APP, "instagram", receiver.url, ["messages"], VERIFY)
        with fake:
            user = fake.add_ig_user("acme.bakery", page_id=page)
            person = {"id": IGSID, "username": "dana.customer"}
            message = fake.add_ig_message(user.id, person, "Do you deliver on Sundays?")
            fake.add_ig_message(user.id, person, "Yes, from 8am!", from_business=True)
            assert fake.webhooks.drain(10)
            looked_up = httpx.get(
                f"{fake.base_url}/v25.0/{page}/conversations",
                params={"platform": "instagram", "user_id": IGSID, "fields": "id,participants"},
                headers={"Authorization": f"Bearer {fake.objects[page].token}"},
            ).json()
            nobody = httpx.get(
                f"{fake.base_url}/v25.0/{page}/conversations",
                params={"platform": "instagram", "user_id": "111", "fields": "id"},
                headers={"Authorization": f"Bearer {fake.objects[page].token}"},
            ).json()
    pushed = [received.json() for received in receiver.posts]
    recorded = fixture["delivery"]
    for index, delivery in enumerate(pushed):
        expected = {
            **recorded,
            "entry": [{**recorded["entry"][0], "messaging": [recorded["entry"][0]["messaging"][index]]}],
        }
        assert shape_differences(expected, delivery) == []
    assert pushed[0]["entry"][0]["messaging"][0]["message"]["mid"] == message.id
    assert "is_echo" not in pushed[0]["entry"][0]["messaging"][0]["message"]
    assert pushed[1]["entry"][0]["messaging"][0]["message"]["is_echo"] is True
    assert all(meta_signed(received) for received in receiver.posts)
    assert shape_differences(fixture["conversation_lookup"]["response"]["body"], looked_up) == []
    assert [t["id"] for t in looked_up["data"]] == [message.thread_id]
    assert nobody["data"] == []


def test_a_documented_messenger_edit_reads_as_new_words_for_the_message_it_names() -> None:
    delivery = documented("facebook_message_edit")["delivery"]
    parsed = meta_webhooks.parse(delivery, now=dt.datetime.now(dt.UTC), max_age=dt.timedelta(days=2))
    [event] = parsed.events
    assert (event.hint, event.what, event.customer_id) == ("edit", "message_edit", "2449874838325621")
    assert event.item is not None and event.item.text == "hello, world! (edited)"
    assert event.item.external_id.startswith("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM")
    assert event.item.edited_at is not None


def test_the_fake_pushes_a_messenger_edit_as_documented() -> None:
    with Receiver(verify_token=VERIFY) as receiver:
        fake, page = graph_with_page(receiver, objects=())
        fake.subscribe_app(APP, "page", receiver.url, ["messages", "message_edits"], VERIFY)
        fake.install_app(page, APP, ["messages", "message_edits"])
        with fake:
            message = fake.add_conversation_message(page, {"id": "2449874838325621", "name": "D"}, "hello")
            fake.edit_conversation_message(message.id, "hello, world!")
            assert fake.webhooks.drain(10)
    edits = [r.json() for r in receiver.posts if "message_edit" in r.json()["entry"][0]["messaging"][0]]
    assert len(edits) == 1
    assert shape_differences(documented("facebook_message_edit")["delivery"], edits[0]) == []
    edit = edits[0]["entry"][0]["messaging"][0]["message_edit"]
    assert (edit["mid"], edit["text"], edit["num_edit"]) == (message.id, "hello, world!", 1)
