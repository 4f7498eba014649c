"""Credentials are encrypted at rest, and a key rotation re-encrypts every row."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from networks.models import Channel, NetworkApp
from tests.factories import WorkspaceFactory

TOKEN = "EAAB-very-secret-page-token-1234567890"


@pytest.fixture
def channel(db):
    return Channel.objects.create(
        workspace=WorkspaceFactory(),
        network="facebook",
        external_id="1001",
        name="Bakery Page",
        api_base_url="https://graph.facebook.com",
        credentials={"access_token": TOKEN, "refresh_token": "", "extra": {}},
    )


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


def test_database_dump_holds_no_token_in_clear(channel):
    NetworkApp.objects.create(network="x", client_id="app-id", client_secret="x-app-secret-987")
    out = io.StringIO()
    call_command("dumpdata", "networks", stdout=out)
    dump = out.getvalue()
    assert TOKEN not in dump and "x-app-secret-987" not in dump
    assert "Bakery Page" in dump  # the dump is real: other fields are there in clear
    assert TOKEN not in _raw("networks_channel", "credentials", channel.pk)
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN


def test_rotation_re_encrypts_with_the_newest_key(channel, settings):
    old_key = settings.CREDENTIAL_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = _raw("networks_channel", "credentials", channel.pk)
    settings.CREDENTIAL_KEYS = [new_key, old_key]
    call_command("rotate_credentials", stdout=io.StringIO())
    after = _raw("networks_channel", "credentials", channel.pk)
    assert after != before
    settings.CREDENTIAL_KEYS = [new_key]  # the old key is gone: rows must still open
    assert Channel.objects.get(pk=channel.pk).access_token == TOKEN


def test_a_value_no_key_opens_is_a_clear_error(channel, settings):
    from core.crypto import CredentialsUnreadable

    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialsUnreadable):
        Channel.objects.get(pk=channel.pk)


def test_dump_and_load_round_trip(channel, tmp_path):
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "networks.channel", output=str(dump))
    Channel.objects.all().delete()
    call_command("loaddata", str(dump), stdout=io.StringIO())
    assert Channel.objects.get(external_id="1001").access_token == TOKEN
