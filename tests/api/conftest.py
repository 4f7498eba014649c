from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Membership
from api.models import Area
from api.tokens import api_token_create

EVERY_SCOPE = [f"{area}:write" for area in Area.values]


class Api:
    """A client speaking to /api/v1/ with one token."""

    def __init__(self, secret: str):
        self.secret = secret
        self.client = Client()

    def _headers(self, extra: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path: str, body: dict, headers: dict | None = None):
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path: str, body: dict, headers: dict | None = None):
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def put(self, path: str, body: dict, headers: dict | None = None):
        return self.client.put(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


def api_for(user, workspace, scopes=EVERY_SCOPE, **kwargs) -> Api:
    member = Membership.objects.get(user=user, workspace=workspace)
    _token, secret = api_token_create(by=member, name="test", scopes=scopes, **kwargs)
    return Api(secret)


@pytest.fixture
def owner_api(owner, workspace) -> Api:
    return api_for(owner, workspace)


@pytest.fixture
def agent_api(agent, workspace) -> Api:
    return api_for(agent, workspace)


@pytest.fixture
def manager_api(manager, workspace) -> Api:
    return api_for(manager, workspace)


@pytest.fixture
def outsider_api(outsider, other_workspace) -> Api:
    return api_for(outsider, other_workspace)
