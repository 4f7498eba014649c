"""core.db's bulk writes: every row lands with its own values, in one statement per batch."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import bulk_update_rows
from inbox.models import Conversation, Message
from tests.factories import x_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(workspace):
    return x_channel(workspace)


@pytest.fixture
def conversations(channel):
    return [
        Conversation.objects.create(
            workspace=channel.workspace, channel=channel, kind="comment", root_external_id=f"root-{n}"
        )
        for n in range(30)
    ]


def test_each_row_gets_its_own_values_nulls_and_json_included(channel, conversations):
    at = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)
    for n, conversation in enumerate(conversations):
        conversation.message_count = n
        conversation.preview = f"préview {n} 'quoted' 🥐"
        conversation.last_message_at = at + dt.timedelta(minutes=n)
        conversation.resolved_at = None if n % 2 else at
    with CaptureQueriesContext(connection) as queries:
        updated = bulk_update_rows(
            conversations, ["message_count", "preview", "last_message_at", "resolved_at"]
        )
    assert len(queries) == 1
    if connection.vendor == "postgresql":  # SQLite's driver counts no rows for UPDATE ... FROM
        assert updated == 30
    stored = {c.root_external_id: c for c in Conversation.objects.all()}
    for n in range(30):
        row = stored[f"root-{n}"]
        assert (row.message_count, row.preview) == (n, f"préview {n} 'quoted' 🥐")
        assert row.last_message_at == at + dt.timedelta(minutes=n)
        assert row.resolved_at == (None if n % 2 else at)

    message = Message.objects.create(
        workspace=channel.workspace, channel=channel, conversation=conversations[0], external_id="m1"
    )
    message.previous_texts = [{"text": "before", "at": "2026-12-04T09:00:00Z"}]
    bulk_update_rows([message], ["previous_texts"])
    message.refresh_from_db()
    assert message.previous_texts == [{"text": "before", "at": "2026-12-04T09:00:00Z"}]


def test_on_postgresql_a_batch_is_one_array_per_column_not_a_placeholder_per_cell(conversations):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads a VALUES list")
    with CaptureQueriesContext(connection) as queries:
        bulk_update_rows(conversations, ["message_count", "preview"])
    (query,) = queries
    arrays = re.findall(r"::\w+(?: \w+)*\[\](?!::)", query["sql"])  # the casts that end a parameter
    assert "UNNEST" in query["sql"] and len(arrays) == 3  # id, message_count, preview
