"""Network fakes wired to the workspace for publishing, built by `tests.publishing_fakes` (which the browser
journey uses too). The plain `channels` and `draft` fixtures are in tests/conftest.py."""

from __future__ import annotations

import pytest

from tests import publishing_fakes


@pytest.fixture
def x_account(workspace, owner):
    with publishing_fakes.x_account(workspace, owner) as fake:
        yield fake


@pytest.fixture
def facebook_account(workspace, owner):
    with publishing_fakes.facebook_account(workspace, owner) as fake:
        yield fake


@pytest.fixture
def instagram_account(workspace, owner):
    with publishing_fakes.instagram_account(workspace, owner) as fake:
        yield fake


@pytest.fixture
def linkedin_account(workspace, owner):
    with publishing_fakes.linkedin_account(workspace, owner) as fake:
        yield fake
