"""Shared fixtures: a workspace with an owner (admin), a manager and an agent, and an outsider who is
admin of another workspace. Every view module tests that the outsider gets 404."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory, WorkspaceFactory

Role = Membership.Role


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    yield
    cache.clear()  # rate-limit counters must not leak between tests


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
