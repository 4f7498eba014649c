"""The web with its cache server gone: people still sign in (the limits still hold), the inbox and the
conversation page answer, and presence, which is decoration, shows nothing."""

from __future__ import annotations

import logging

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from cmhub import settings as project_settings
from core import cache as core_cache
from inbox.ingest import message_ingest_batch
from inbox.models import Conversation
from tests.factories import PASSWORD
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

DEAD_REDIS = "redis://127.0.0.1:1/"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    """The deployment's own cache configuration (settings with REDIS_URL set), pointed at a dead server."""
    core_cache._health.clear()  # each test starts before the outage is noticed (the state is per process)
    settings.CACHES = project_settings.redis_caches(DEAD_REDIS)
    yield
    caches["default"].clear()  # only the fallback answers; the dead server is not asked twice


@pytest.fixture
def conversation(channel, make_item):  # noqa: F811
    result = message_ingest_batch(channel=channel, items=[make_item("Vous livrez ?")])
    return Conversation.objects.get(pk__in=result.conversation_ids)


def _login(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_sign_in_works_without_the_cache(redis_down, agent):
    client = Client()
    assert _login(client, agent.email, PASSWORD).status_code == 302
    assert client.get("/").url == "/w/acme/"


@time_machine.travel("2026-06-01 12:00", tick=False)
def test_failed_logins_are_still_throttled_without_the_cache(redis_down, agent):
    """Not failing open: the limiter counts in the process's memory while the server is gone."""
    client = Client()
    for _ in range(5):
        assert _login(client, agent.email, "wrong-password").status_code == 200
    response = _login(client, agent.email, PASSWORD)
    assert "Too many failed login attempts" in response.content.decode()


def test_inbox_and_conversation_answer_without_the_cache(
    redis_down, agent_client, manager_client, conversation
):
    base = f"/w/acme/inbox/{conversation.pk}/"
    assert agent_client.get("/w/acme/inbox/").status_code == 200
    assert agent_client.get(base).status_code == 200
    assert agent_client.post(base + "presence/", {"state": "replying"}).status_code == 200
    fragment = manager_client.post(base + "presence/", {"state": "viewing"}).content.decode()
    assert "is replying" not in fragment  # presence degrades to nothing, not to one process's view


def test_the_outage_is_logged_once_not_per_request(redis_down, agent_client, caplog, channel, make_item):  # noqa: F811
    result = message_ingest_batch(channel=channel, items=[make_item("Vous livrez ?")])
    conversation = Conversation.objects.get(pk__in=result.conversation_ids)
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        for _ in range(5):
            assert agent_client.get(f"/w/acme/inbox/{conversation.pk}/").status_code == 200
    assert len([r for r in caplog.records if r.name == "core.cache"]) == 1


def test_only_connection_failures_switch_to_the_fallback():
    """A caller's own error (incr of a missing key) propagates as it would without the wrapper."""
    backend = core_cache.FallbackCache(
        "reachable", {"OPTIONS": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    backend.set("n", 1)
    assert backend.incr("n") == 2 and not backend.degraded
    with pytest.raises(ValueError):
        backend.incr("missing")
    assert not backend.degraded
