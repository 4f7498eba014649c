"""/metrics: who may read it, and each figure's value on hand-built state."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import Client
from django.utils import timezone as tz
from prometheus_client.parser import text_string_to_metric_families

from inbox.models import Message
from networks.models import Channel, PollRun, WebhookDelivery
from ops import metrics as ops_metrics
from ops.signals import PUBLISHED_AT_HEADER
from posts.models import PostTarget
from tests.factories import x_mention_conversation

TOKEN = "s3cret-scrape-token"


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.content
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.fixture
def token(settings):
    settings.CMHUB_METRICS_TOKEN = TOKEN
    settings.CMHUB_METRICS_ALLOW = []


# --- access -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_not_configured_is_404_even_with_a_token_header(settings):
    settings.CMHUB_METRICS_TOKEN = ""
    settings.CMHUB_METRICS_ALLOW = []
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "]
)
def test_refused_without_the_token(token, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/metrics", headers=headers)
    assert response.status_code == 403
    assert b"cmhub_" not in response.content


@pytest.mark.django_db
def test_token_admits(token):
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert b"cmhub_queue_depth" in response.content


@pytest.mark.django_db
def test_allow_list_admits_inside_refuses_outside(settings):
    settings.CMHUB_METRICS_TOKEN = ""
    settings.CMHUB_METRICS_ALLOW = ["10.0.0.0/8", "not-a-cidr", "::1/128"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.168.1.5").get("/metrics").status_code == 403


@pytest.mark.django_db
def test_forwarded_for_ignored_unless_trusted(settings):
    settings.CMHUB_METRICS_TOKEN = ""
    settings.CMHUB_METRICS_ALLOW = ["10.0.0.0/8"]
    outside = Client(REMOTE_ADDR="192.168.1.5")
    # A client forging the header gets nothing while the proxy is not trusted.
    settings.CMHUB_METRICS_TRUST_X_FORWARDED_FOR = False
    assert outside.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    # Behind a trusted proxy only the entry the proxy appended (the last) counts, not one the client sent.
    settings.CMHUB_METRICS_TRUST_X_FORWARDED_FOR = True
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 200
    assert proxy.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3, 192.168.1.5"}).status_code == 403


@pytest.mark.django_db
def test_post_refused(token):
    assert Client().post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


# --- figures ------------------------------------------------------------------------------------------


def _channel(workspace, network, name, **fields) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=name,
        name=name,
        api_base_url="http://127.0.0.1:9",
        **fields,
    )


def test_poll_lag_per_network(token, workspace):
    now = tz.now()
    _channel(workspace, "x", "late", next_poll_at=now - dt.timedelta(seconds=600))
    _channel(workspace, "x", "less late", next_poll_at=now - dt.timedelta(seconds=30))
    _channel(workspace, "x", "paused", next_poll_at=now - dt.timedelta(days=3), status=Channel.Status.PAUSED)
    _channel(workspace, "facebook", "on time", next_poll_at=now + dt.timedelta(seconds=60))
    values = scrape()
    assert 600 <= values[("cmhub_poll_lag_seconds", (("network", "x"),))] < 660
    assert values[("cmhub_poll_lag_seconds", (("network", "facebook"),))] == 0


def test_poll_lateness_per_network_in_the_window(token, workspace, settings):
    settings.CMHUB_METRICS_WINDOW = 900
    x = _channel(workspace, "x", "x")
    now = tz.now()
    for late in (2, 4, 30):
        PollRun.objects.create(channel=x, due_at=now - dt.timedelta(seconds=late), started_at=now)
    PollRun.objects.create(channel=x, started_at=now)  # a later chunk of a long poll: no due time
    PollRun.objects.create(  # before the window
        channel=x, due_at=now - dt.timedelta(hours=2), started_at=now - dt.timedelta(hours=1)
    )
    values = scrape()
    labels = (("network", "x"), ("stat", "{}"), ("window", "900"))
    mean = values[("cmhub_poll_lateness_seconds", tuple((k, v.format("mean")) for k, v in labels))]
    most = values[("cmhub_poll_lateness_seconds", tuple((k, v.format("max")) for k, v in labels))]
    assert mean == pytest.approx(12, abs=0.01) and most == pytest.approx(30, abs=0.01)


def test_polls_by_outcome_in_the_window(token, workspace, settings):
    settings.CMHUB_METRICS_WINDOW = 900
    x = _channel(workspace, "x", "x")
    fb = _channel(workspace, "facebook", "fb")
    now = tz.now()
    PollRun.objects.create(channel=x, started_at=now, outcome="ok")
    PollRun.objects.create(channel=x, started_at=now, outcome="ok")
    PollRun.objects.create(channel=x, started_at=now, outcome="rate_limited")
    PollRun.objects.create(channel=fb, started_at=now, outcome="auth_expired")
    PollRun.objects.create(channel=x, started_at=now - dt.timedelta(hours=1), outcome="error")  # too old
    values = scrape()
    key = lambda n, o: ("cmhub_polls", (("network", n), ("outcome", o), ("window", "900")))  # noqa: E731
    assert values[key("x", "ok")] == 2
    assert values[key("x", "rate_limited")] == 1
    assert values[key("facebook", "auth_expired")] == 1
    assert key("x", "error") not in values


def test_replies_publishes_and_ambiguous(token, workspace, draft):
    conv = x_mention_conversation(workspace)
    base = {"workspace": workspace, "conversation": conv, "channel": conv.channel, "direction": "out"}
    for status in ["sent", "sent", "failed", "unknown", "unknown", "queued"]:
        Message.objects.create(**base, send_status=status)
    t1, t2 = draft.targets.all()
    PostTarget.objects.filter(pk=t1.pk).update(status="unknown")
    PostTarget.objects.filter(pk=t2.pk).update(status="failed", error="boom")
    values = scrape()
    assert values[("cmhub_replies", (("status", "failed"),))] == 1
    assert values[("cmhub_replies", (("status", "unknown"),))] == 2
    assert values[("cmhub_replies", (("status", "queued"),))] == 1
    assert ("cmhub_replies", (("status", "sent"),)) not in values
    assert values[("cmhub_publishes", (("status", "failed"),))] == 1
    assert values[("cmhub_publishes", (("status", "unknown"),))] == 1
    assert values[("cmhub_ambiguous_outcomes", (("kind", "reply"),))] == 2
    assert values[("cmhub_ambiguous_outcomes", (("kind", "publish"),))] == 1


def test_webhook_deliveries_by_verdict(token, settings, db):
    settings.CMHUB_METRICS_WINDOW = 900
    now = tz.now()
    WebhookDelivery.objects.create(network="facebook", status="processed", digest="a", received_at=now)
    WebhookDelivery.objects.create(network="facebook", status="processed", digest="b", received_at=now)
    WebhookDelivery.objects.create(
        network="facebook", status="refused", refusal="bad_signature", received_at=now
    )
    WebhookDelivery.objects.create(
        network="facebook", status="failed", digest="c", received_at=now - dt.timedelta(hours=2)
    )
    values = scrape()

    def key(status, refusal=""):
        return (
            "cmhub_webhook_deliveries",
            (("network", "facebook"), ("refusal", refusal), ("status", status), ("window", "900")),
        )

    assert values[key("processed")] == 2
    assert values[key("refused", "bad_signature")] == 1
    assert key("failed") not in values


def test_filesystem_queue_depth_and_oldest_age(token, settings, tmp_path, db):
    folder = tmp_path / "broker"
    folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    stamped = time.time() - 120
    (folder / "1_a.send.msg").write_text(json.dumps({"headers": {PUBLISHED_AT_HEADER: stamped}}))
    (folder / "2_b.send.msg").write_text(json.dumps({"headers": {PUBLISHED_AT_HEADER: time.time()}}))
    (folder / "3_c.poll.msg").write_text(json.dumps({"headers": {}}))  # no stamp: the file's time
    values = scrape()
    assert values[("cmhub_queue_depth", (("queue", "send"),))] == 2
    assert values[("cmhub_queue_depth", (("queue", "poll"),))] == 1
    assert values[("cmhub_queue_depth", (("queue", "publish"),))] == 0
    assert 120 <= values[("cmhub_queue_oldest_age_seconds", (("queue", "send"),))] < 180
    assert values[("cmhub_queue_oldest_age_seconds", (("queue", "poll"),))] < 60
    assert values[("cmhub_queue_oldest_age_seconds", (("queue", "publish"),))] == 0


def test_request_latency_by_view_name_not_path(token, owner_client, workspace):
    before = ops_metrics.REQUEST_LATENCY.labels(view="inbox", method="GET")._sum.get()
    owner_client.get(f"/w/{workspace.slug}/inbox/")
    values = scrape()
    count = values[("cmhub_request_duration_seconds_count", (("method", "GET"), ("view", "inbox")))]
    assert count >= 1
    assert ops_metrics.REQUEST_LATENCY.labels(view="inbox", method="GET")._sum.get() > before
    assert not any(workspace.slug in dict(labels).get("view", "") for _, labels in values)
