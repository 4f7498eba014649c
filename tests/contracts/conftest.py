"""Shared by the contract tests: one HTTP client for the production providers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from core.http import make_client


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client
