from __future__ import annotations

import datetime as dt
import itertools

import pytest

from networks.models import Channel
from networks.providers import base as p

_ids = itertools.count(1000)


@pytest.fixture
def channel(workspace):
    return Channel.objects.create(
        workspace=workspace,
        network="facebook",
        external_id="PAGE1",
        name="Acme Page",
        api_base_url="http://127.0.0.1:9",
    )


@pytest.fixture
def make_item():
    """An EngagementItem as a provider returns it."""

    def make(
        text="Bonjour, vous livrez ?",
        *,
        root="",
        parent="",
        author="fan-1",
        name="Léa Martin",
        kind=p.ItemKind.COMMENT,
        at=None,
        external_id="",
    ):
        external_id = external_id or f"c{next(_ids)}"
        return p.EngagementItem(
            network=p.Network.FACEBOOK,
            external_id=external_id,
            kind=kind,
            text=text,
            created_at=at
            or dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=next(_ids)),
            author=p.Author(external_id=author, name=name, handle=author),
            post_external_id="PAGE1_POST1",
            parent_external_id=parent,
            thread_root_external_id=root or parent or external_id,
            permalink=f"https://facebook.com/{external_id}",
        )

    return make
