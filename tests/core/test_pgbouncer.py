"""CMHUB_PGBOUNCER: the database settings a transaction-pooling PgBouncer needs, read from the settings
module itself (run afresh under each environment), and what Django then hands psycopg."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.utils import ConnectionHandler

from cmhub.env import EnvError

SETTINGS = Path(__file__).resolve().parents[2] / "cmhub" / "settings.py"
POSTGRES_URL = "postgres://cmhub@pgbouncer.internal:6432/cmhub"


def settings_with(monkeypatch, **env: str) -> dict:
    for name in ("DATABASE_URL", "CMHUB_PGBOUNCER", "CMHUB_PGBOUNCER_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_behind_pgbouncer_no_server_side_cursors_nor_prepared_statements(monkeypatch):
    settings = settings_with(monkeypatch, DATABASE_URL=POSTGRES_URL, CMHUB_PGBOUNCER="1")
    database = settings["DATABASES"]["default"]
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "prepare_threshold" in database["OPTIONS"]
    assert database["OPTIONS"]["prepare_threshold"] is None
    # Connections to PgBouncer are still kept between requests: they are its clients, not PostgreSQL's.
    assert database["CONN_MAX_AGE"] == 60
    assert database["HOST"] == "pgbouncer.internal"
    assert database["PORT"] == 6432


def test_pgbouncer_keeps_options_from_the_url(monkeypatch):
    settings = settings_with(
        monkeypatch, DATABASE_URL=f"{POSTGRES_URL}?sslmode=require", CMHUB_PGBOUNCER="yes"
    )
    options = settings["DATABASES"]["default"]["OPTIONS"]
    assert options["sslmode"] == "require"
    assert options["prepare_threshold"] is None


@pytest.mark.parametrize("value", [None, "0", "off"])
def test_without_pgbouncer_the_database_settings_are_left_alone(monkeypatch, value):
    env = {"DATABASE_URL": POSTGRES_URL} | ({} if value is None else {"CMHUB_PGBOUNCER": value})
    database = settings_with(monkeypatch, **env)["DATABASES"]["default"]
    assert not database.get("DISABLE_SERVER_SIDE_CURSORS")  # dj-database-url writes False
    assert "prepare_threshold" not in database.get("OPTIONS", {})


def test_pgbouncer_without_postgresql_is_refused(monkeypatch):
    with pytest.raises(EnvError, match="CMHUB_PGBOUNCER is for PostgreSQL"):
        settings_with(monkeypatch, CMHUB_PGBOUNCER="1")


def test_a_misspelt_value_is_refused(monkeypatch):
    with pytest.raises(EnvError, match="CMHUB_PGBOUNCER must be a boolean"):
        settings_with(monkeypatch, DATABASE_URL=POSTGRES_URL, CMHUB_PGBOUNCER="transaction")


def test_django_hands_psycopg_no_prepare_threshold_and_no_named_cursors(monkeypatch):
    """What the settings are for, one layer down: the parameters Django opens psycopg connections with,
    and the chunked (QuerySet.iterator) cursor Django picks. Nothing connects."""
    database = settings_with(monkeypatch, DATABASE_URL=POSTGRES_URL, CMHUB_PGBOUNCER="1")["DATABASES"]
    wrapper = ConnectionHandler(database)["default"]
    assert isinstance(wrapper, DatabaseWrapper)
    params = wrapper.get_connection_params()
    assert "prepare_threshold" in params
    assert params["prepare_threshold"] is None
    assert wrapper.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
