"""Shared fixtures: a workspace with an owner (admin), a manager and an agent, and an outsider who is
admin of another workspace. Every view module tests that the outsider gets 404. Also two plain channels and a
draft post on them, for the posts and notifications tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from celery.app.task import Task
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from accounts.models import Membership
from networks.models import Channel
from posts import services as post_services
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

Role = Membership.Role


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    # Polls run in the test's own thread, inside its transaction, as on SQLite: a pool thread has its own
    # connection, which sees no uncommitted test rows. Tests of the pool set it and commit their rows.
    settings.CMHUB_POLL_THREADS = 1
    yield
    cache.clear()  # rate-limit counters must not leak between tests
    # A request by someone whose profile says French leaves French active in this thread (the middleware
    # activates it for the response); the next test must start in the default language.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _mail_task_in_process(monkeypatch):
    """core.send_email runs in the test's process when it is queued (the real task, its retries included,
    as Celery runs a task eagerly), so tests read what was sent in mail.outbox. Only the broker hop is
    skipped; a test of the hop itself (tests/core/test_celery.py) uses a real worker."""
    from core.tasks import send_email

    def run_here(args=None, kwargs=None, **options):
        return send_email.apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(send_email, "apply_async", run_here)


@dataclass
class Broker:
    """What reached the broker, in order, as (task name, args): nothing runs. `down = True` makes every
    send fail as an unreachable broker does."""

    messages: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    down: bool = False

    def ids(self, task_name: str) -> list[Any]:
        """The first argument of each message sent to `task_name` (the id of the row it works on)."""
        return [args[0] for name, args in self.messages if name == task_name]


@pytest.fixture
def broker(monkeypatch) -> Broker:
    """The one stand-in for the broker, for tests of what gets enqueued (the broker is the boundary, never
    the code under test). A test of the hop itself uses a real worker (tests/celery_workers.py)."""
    stand_in = Broker()

    def apply_async(task, args=None, kwargs=None, **options):
        if stand_in.down:
            raise ConnectionRefusedError("the broker is down")
        stand_in.messages.append((task.name, tuple(args or ()) + tuple((kwargs or {}).values())))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return stand_in


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Bakery", slug="acme")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Other Brand", slug="other")


@pytest.fixture
def owner(workspace):
    return MembershipFactory(workspace=workspace, role=Role.ADMIN).user


@pytest.fixture
def manager(workspace):
    return MembershipFactory(workspace=workspace, role=Role.MANAGER).user


@pytest.fixture
def agent(workspace):
    return MembershipFactory(workspace=workspace, role=Role.AGENT).user


@pytest.fixture
def outsider(other_workspace):
    return MembershipFactory(workspace=other_workspace, role=Role.ADMIN).user


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _client_for(owner)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def agent_client(agent):
    return _client_for(agent)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture
def channels(workspace):
    def make(network, name):
        return Channel.objects.create(
            workspace=workspace,
            network=network,
            external_id=name,
            name=name,
            api_base_url="http://127.0.0.1:9",
        )

    return [make("x", "Acme on X"), make("facebook", "Acme Page")]


@pytest.fixture
def draft(agent, channels):
    return post_services.post_create(
        author=agent.memberships.get(), text="Fresh croissants at 8!", channels=channels
    )
