"""The webhook URL: Meta's and LinkedIn's handshakes, signatures over the raw body (real header formats),
replay and forgery refused and counted, and what a verified delivery stores (through the poll's path)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone

from inbox.models import Conversation, Message
from networks import tasks, webhooks
from networks.models import Channel, ChannelWebhookState, NetworkApp, WebhookDelivery
from tests.contracts.replay import fill, load

SECRET = "graph-app-secret"
LINKEDIN_SECRET = "linkedin-client-secret"
VERIFY = "a-verify-token"
PAGE = "104525875432211"
IG_USER = "17841405822304914"
ORG = "urn:li:organization:90210"


def meta_header(body: bytes, secret: str = SECRET) -> str:
    # Written here from Meta's documentation, not taken from the product's verifier.
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def linkedin_header(body: bytes, secret: str = LINKEDIN_SECRET) -> str:
    return hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


def documented(case: str, **extra) -> dict:
    now = time.time()
    values = {"now_s": int(now), "now_ms": int(now * 1000), "psid": "2449874838325621", **extra}
    return fill(load("webhooks", case)["delivery"], **values)


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def meta_apps(db):
    for network in ("facebook", "instagram"):
        NetworkApp.objects.create(
            network=network, client_id="1234567890", client_secret=SECRET, webhook_verify_token=VERIFY
        )


@pytest.fixture
def linkedin_app(db):
    return NetworkApp.objects.create(network="linkedin", client_id="li-client", client_secret=LINKEDIN_SECRET)


def quiet_channel(workspace, network: str, external_id: str, **fields) -> Channel:
    """A channel whose next poll is five minutes away: a delivery that makes it due shows."""
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=external_id,
        name="Acme",
        api_base_url="http://127.0.0.1:9",
        next_poll_at=timezone.now() + dt.timedelta(minutes=5),
        **fields,
    )


@pytest.fixture
def page(workspace):
    return quiet_channel(workspace, "facebook", PAGE, credentials={"access_token": "page-token"})


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks, monkeypatch):
    """Each request's on-commit callbacks (the enqueue) run as they would after its commit."""
    global _capture
    _capture = django_capture_on_commit_callbacks


_capture = None


def deliver(client, network: str, body: bytes, **headers):
    assert _capture is not None
    with _capture(execute=True):
        return client.post(
            f"/webhooks/{network}/", data=body, content_type="application/json", headers=headers
        )


def process_queued(broker) -> None:
    for delivery_id in broker.ids("networks.process_webhook"):
        webhooks.webhook_delivery_process(delivery_id)
    broker.messages.clear()


# --- Handshakes -----------------------------------------------------------------------------------------


def test_meta_handshake_echoes_the_challenge_as_plain_text(client, meta_apps):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    response = client.get("/webhooks/facebook/", query)
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "<script>" + "x" * 300},
    ],
)
def test_meta_handshake_is_refused_without_the_right_token_and_mode(client, meta_apps, query):
    assert client.get("/webhooks/instagram/", query).status_code == 403


def test_meta_handshake_is_refused_when_no_verify_token_is_configured(client, db):
    NetworkApp.objects.create(network="facebook", client_id="1", client_secret=SECRET)
    query = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert client.get("/webhooks/facebook/", query).status_code == 403


def test_linkedin_validation_answers_the_hmac_of_the_challenge_code(client, linkedin_app):
    code = "890e4665-4dfe-4ab1-b689-ed553bceeed0"
    response = client.get("/webhooks/linkedin/", {"challengeCode": code})
    assert response.status_code == 200
    expected = hmac.new(LINKEDIN_SECRET.encode(), code.encode(), hashlib.sha256).hexdigest()
    assert response.json() == {"challengeCode": code, "challengeResponse": expected}


def test_an_oversized_or_garbled_body_length_is_refused_before_reading(client, meta_apps, broker):
    big = b"{" + b" " * 1_000_001 + b"}"
    assert deliver(client, "facebook", big, X_Hub_Signature_256=meta_header(big)).status_code == 413
    response = client.generic(
        "POST", "/webhooks/facebook/", b"{}", content_type="application/json", headers={"Content-Length": "x"}
    )
    assert response.status_code in (400, 413)
    assert not WebhookDelivery.objects.exists()


def test_linkedin_validation_is_refused_without_a_secret_or_with_a_long_code(client, db):
    assert client.get("/webhooks/linkedin/", {"challengeCode": "890e4665"}).status_code == 403
    NetworkApp.objects.create(network="linkedin", client_id="li", client_secret=LINKEDIN_SECRET)
    assert client.get("/webhooks/linkedin/", {"challengeCode": "x" * 201}).status_code == 403
    assert client.get("/webhooks/linkedin/").status_code == 403


def test_an_unknown_network_has_no_webhook_url(client, db):
    assert client.get("/webhooks/x/").status_code == 404
    assert client.post("/webhooks/mastodon/", data=b"{}", content_type="application/json").status_code == 404


# --- Signatures -----------------------------------------------------------------------------------------


def test_a_signed_delivery_is_recorded_and_queued(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    response = deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.RECEIVED
    assert delivery.account_ids == [PAGE]
    assert broker.ids("networks.process_webhook") == [delivery.pk]


@pytest.mark.parametrize(
    ("header", "refusal"),
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("sha256=" + "0" * 64, "bad_signature"),
        ("sha1=" + hmac.new(SECRET.encode(), b"x", hashlib.sha1).hexdigest(), "bad_signature"),
        ("sha256", "bad_signature"),
        ("sha256=not-hex-at-all", "bad_signature"),
    ],
)
def test_missing_forged_or_wrong_algorithm_signatures_are_refused_and_counted(
    client, meta_apps, page, broker, header, refusal
):
    body = encode(documented("facebook_feed_comment"))
    headers = {} if header is None else {"X_Hub_Signature_256": header}
    response = deliver(client, "facebook", body, **headers)
    assert response.status_code == 403
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.refusal, delivery.body) == ("refused", refusal, "")
    assert ChannelWebhookState.objects.get(channel=page).refused == 1
    assert broker.messages == []


def test_a_forged_body_naming_hostile_ids_is_refused_and_stores_only_plausible_ids(client, meta_apps, page):
    body = (
        b'{"object":"page","entry":[{"id":"\\u0000x"},{"id":"\\ud800"},{"id":"<script>"},{"id":true},'
        b'{"id":"' + PAGE.encode() + b'"},{"id":' + b"1" * 300 + b"}]}"
    )
    assert deliver(client, "facebook", body, X_Hub_Signature_256="sha256=" + "0" * 64).status_code == 403
    assert WebhookDelivery.objects.get().account_ids == [PAGE]


def test_a_sha1_signature_in_the_legacy_header_is_not_enough(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    legacy = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert deliver(client, "facebook", body, X_Hub_Signature=legacy).status_code == 403


def test_a_body_altered_by_one_byte_is_refused(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    header = meta_header(body)
    altered = body.replace(b"abroad", b"abroaD")
    assert len(altered) == len(body) and altered != body
    assert deliver(client, "facebook", altered, X_Hub_Signature_256=header).status_code == 403
    assert deliver(client, "facebook", body, X_Hub_Signature_256=header).status_code == 200


def test_a_signature_made_with_another_secret_is_refused(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    assert (
        deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body, "other")).status_code == 403
    )


def test_the_signature_header_is_read_case_insensitively_and_in_upper_case_hex(
    client, meta_apps, page, broker
):
    body = encode(documented("facebook_feed_comment"))
    header = meta_header(body).upper().replace("SHA256=", "sha256=")
    assert deliver(client, "facebook", body, x_hub_signature_256=header).status_code == 200


def test_without_an_app_secret_every_delivery_is_refused(client, db, broker):
    body = encode(documented("facebook_feed_comment"))
    assert deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body)).status_code == 403
    assert WebhookDelivery.objects.get().refusal == "not_configured"


def test_a_replayed_delivery_is_answered_but_processed_once_and_counted(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    first = deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)
    again = deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == b"Duplicate.\n"
    assert broker.messages == []  # nothing queued for the replay
    assert Message.objects.filter(channel=page).count() == 2
    assert WebhookDelivery.objects.filter(refusal="replay").count() == 1
    assert ChannelWebhookState.objects.get(channel=page).refused == 1


def test_entries_older_than_the_window_are_ignored_and_counted(client, meta_apps, page, broker):
    old = int(time.time() - webhooks.REPLAY_WINDOW.total_seconds() - 60)
    payload = documented("facebook_feed_comment", now_s=old)
    body = encode(payload)
    assert deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body)).status_code == 200
    process_queued(broker)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.stale, delivery.stored) == ("processed", 1, 0)
    assert not Message.objects.exists()


def test_linkedin_deliveries_are_checked_with_x_li_signature(client, linkedin_app, workspace, broker):
    channel = quiet_channel(workspace, "linkedin", ORG)
    body = encode(documented("linkedin_social_action"))
    assert deliver(client, "linkedin", body, X_LI_Signature="0" * 64).status_code == 403
    assert deliver(client, "linkedin", body).status_code == 403
    # Meta's header format is not LinkedIn's: the literal prefix is signed, not sent.
    assert (
        deliver(client, "linkedin", body, X_LI_Signature="hmacsha256=" + linkedin_header(body)).status_code
        == 403
    )
    assert deliver(client, "linkedin", body, X_LI_Signature=linkedin_header(body)).status_code == 200
    process_queued(broker)
    channel.refresh_from_db()
    assert channel.next_poll_at <= timezone.now()  # the comment is fetched by the poll, now
    state = ChannelWebhookState.objects.get(channel=channel)
    assert (state.refused, state.deliveries) == (3, 1)
    assert WebhookDelivery.objects.get(status="processed").events == 1  # the LIKE is not wanted


# --- Processing -----------------------------------------------------------------------------------------


def test_a_delivery_stores_the_comments_it_carries_and_marks_the_channel_due(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)

    comment = Message.objects.get(external_id="122131676912594941_1213590066982748")
    reply = Message.objects.get(external_id="122131676912594941_1213590066982799")
    assert comment.text == "Do you ship abroad?"
    assert comment.author_contact.name == "Dominique Customer"
    assert reply.conversation_id == comment.conversation_id  # threaded as the poll threads it
    assert reply.parent_external_id == "122131676912594941_1213590066982748"
    assert comment.conversation.post_permalink.endswith("/posts/122131676912594941")
    page.refresh_from_db()
    assert page.next_poll_at <= timezone.now()  # the edit the delivery only named is polled now
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.events, delivery.stored) == ("processed", 3, 2)
    state = ChannelWebhookState.objects.get(channel=page)
    assert (state.deliveries, state.stored) == (1, 2)
    assert state.last_delivery_at is not None and state.subscribed_at is not None


def test_a_malformed_change_is_skipped_and_the_rest_of_the_batch_stored(client, meta_apps, page, broker):
    payload = documented("facebook_feed_comment")
    changes = payload["entry"][0]["changes"]
    changes.insert(0, {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": PAGE + "_1"}})
    changes.insert(0, {"field": "feed", "value": "not an object"})
    payload["entry"].insert(0, {"id": PAGE, "time": "yesterday"})
    body = encode(payload)
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.skipped, delivery.stored) == ("processed", 3, 2)


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"object": "user", "entry": []}', b'{"object": "page"}']
)
def test_a_signed_payload_we_cannot_read_is_answered_then_recorded_as_failed(
    client, meta_apps, page, broker, body
):
    assert deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body)).status_code == 200
    process_queued(broker)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.error.startswith("Malformed payload")


def test_a_delivery_for_a_page_lands_only_in_the_workspaces_that_connected_it(
    client, meta_apps, page, other_workspace, broker
):
    other = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id="999",
        name="Other",
        api_base_url="http://x.test",
    )
    same_page_elsewhere = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id=PAGE,
        name="Acme (agency)",
        api_base_url="http://x.test",
    )
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)
    assert Message.objects.filter(channel=page).count() == 2
    assert Message.objects.filter(channel=same_page_elsewhere).count() == 2
    assert not Message.objects.filter(channel=other).exists()
    assert set(Conversation.objects.values_list("workspace_id", flat=True)) == {
        page.workspace_id,
        other_workspace.pk,
    }


def test_a_paused_channel_stores_nothing_from_webhooks(client, meta_apps, page, broker):
    Channel.objects.filter(pk=page.pk).update(status=Channel.Status.PAUSED)
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)
    assert not Message.objects.exists()


def test_instagram_comments_are_stored_and_mentions_make_the_poll_due(client, meta_apps, workspace, broker):
    channel = quiet_channel(workspace, "instagram", IG_USER)
    body = encode(documented("instagram_comments_mentions"))
    deliver(client, "instagram", body, X_Hub_Signature_256=meta_header(body))
    process_queued(broker)
    comment = Message.objects.get(external_id="17865799348089039")
    reply = Message.objects.get(external_id="17865799348089040")
    assert comment.author_contact.handle == "test_user"
    assert reply.conversation_id == comment.conversation_id
    assert comment.conversation.post_external_id == "17896450804038745"
    channel.refresh_from_db()
    assert channel.next_poll_at <= timezone.now()


def test_a_delivery_whose_task_never_left_is_swept_and_processed(client, meta_apps, page, broker):
    broker.down = True
    body = encode(documented("facebook_feed_comment"))
    assert deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body)).status_code == 200
    broker.down = False
    assert webhooks.webhook_deliveries_sweep() == []  # too early: its task may still be on its way
    later = timezone.now() + webhooks.SWEEP_AFTER + dt.timedelta(seconds=1)
    with _capture(execute=True):
        swept = webhooks.webhook_deliveries_sweep(now=later)
    assert swept == [WebhookDelivery.objects.get().pk]
    process_queued(broker)
    assert Message.objects.filter(channel=page).count() == 2


def test_a_delivery_is_processed_once_however_often_its_task_runs(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    delivery_id = broker.ids("networks.process_webhook")[0]
    assert webhooks.webhook_delivery_process(delivery_id) is not None
    assert webhooks.webhook_delivery_process(delivery_id) is None
    tasks.process_webhook(delivery_id)
    assert ChannelWebhookState.objects.get(channel=page).deliveries == 1


def test_a_claimed_delivery_is_left_to_its_worker_until_the_lease_ends(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    delivery = WebhookDelivery.objects.get()
    claimed = timezone.now() - dt.timedelta(seconds=10)  # a worker took it, and is still on it
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=claimed)
    later = timezone.now() + webhooks.SWEEP_AFTER
    assert webhooks.webhook_deliveries_sweep(now=later) == []
    assert webhooks.webhook_delivery_process(delivery.pk) is None  # a second copy of its task
    after_the_lease = claimed + webhooks.CLAIM_LEASE + dt.timedelta(seconds=1)
    with _capture(execute=True):
        assert webhooks.webhook_deliveries_sweep(now=after_the_lease) == [delivery.pk]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=claimed - webhooks.CLAIM_LEASE)
    assert webhooks.webhook_delivery_process(delivery.pk).status == "processed"


def test_a_delivery_that_keeps_failing_is_given_up_after_its_attempts(client, meta_apps, page, broker):
    body = encode(documented("facebook_feed_comment"))
    deliver(client, "facebook", body, X_Hub_Signature_256=meta_header(body))
    WebhookDelivery.objects.update(attempts=webhooks.MAX_ATTEMPTS)
    later = timezone.now() + webhooks.SWEEP_AFTER + dt.timedelta(seconds=1)
    assert webhooks.webhook_deliveries_sweep(now=later) == []
    assert WebhookDelivery.objects.get().status == "failed"


def test_old_deliveries_are_pruned(meta_apps, db):
    WebhookDelivery.objects.create(
        network="facebook", digest="a", received_at=timezone.now() - dt.timedelta(days=8)
    )
    WebhookDelivery.objects.create(network="facebook", digest="b")
    assert webhooks.webhook_deliveries_prune() == 1
    assert list(WebhookDelivery.objects.values_list("digest", flat=True)) == ["b"]
