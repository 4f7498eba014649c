from __future__ import annotations

import os

import pytest

from cmhub.env import (
    EnvError,
    env_bool,
    env_int,
    env_ints_by_suffix,
    env_list,
    env_str,
    generated_secret,
    network_apps_from_env,
)


def test_file_variant_is_read(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("CMHUB_T", raising=False)
    monkeypatch.setenv("CMHUB_T_FILE", str(secret))
    assert env_str("CMHUB_T") == "s3cret"
    monkeypatch.setenv("CMHUB_T", "explicit")
    assert env_str("CMHUB_T") == "explicit"  # the variable itself wins


def test_unreadable_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("CMHUB_T", raising=False)
    monkeypatch.setenv("CMHUB_T_FILE", str(tmp_path / "missing"))
    with pytest.raises(EnvError, match="CMHUB_T_FILE"):
        env_str("CMHUB_T")


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("Yes", True), ("on", True), ("0", False), ("off", False)]
)
def test_bools(monkeypatch, raw, expected):
    monkeypatch.setenv("CMHUB_B", raw)
    assert env_bool("CMHUB_B") is expected


def test_bad_values_are_refused_not_guessed(monkeypatch):
    monkeypatch.setenv("CMHUB_B", "maybe")
    with pytest.raises(EnvError, match="boolean"):
        env_bool("CMHUB_B")
    monkeypatch.setenv("CMHUB_I", "ten")
    with pytest.raises(EnvError, match="integer"):
        env_int("CMHUB_I", 3)


def test_lists_and_defaults(monkeypatch):
    monkeypatch.setenv("CMHUB_L", " a.example, ,b.example ")
    assert env_list("CMHUB_L") == ["a.example", "b.example"]
    monkeypatch.delenv("CMHUB_MISSING", raising=False)
    assert env_list("CMHUB_MISSING", ["x"]) == ["x"]
    assert env_int("CMHUB_MISSING", 7) == 7


def test_generated_secret_is_stable_and_private(tmp_path):
    path = tmp_path / "var" / "key"
    first = generated_secret(path, lambda: "generated-once")
    assert generated_secret(path, lambda: "another") == first == "generated-once"
    assert path.stat().st_mode & 0o777 == 0o600


def test_network_apps_are_read_for_any_network_the_environment_names(monkeypatch, tmp_path):
    fields = ("_ID", "_SECRET", "_URL", "_TOKEN")
    for name in [n for n in os.environ if n.startswith("CMHUB_") and n.endswith(fields)]:
        monkeypatch.delenv(name)
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("CMHUB_X_CLIENT_ID", "x-id")
    monkeypatch.setenv("CMHUB_MASTODON_CLIENT_ID", "m-id")
    monkeypatch.setenv("CMHUB_MASTODON_CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("CMHUB_MASTODON_API_BASE_URL", "https://mastodon.example")
    monkeypatch.setenv("CMHUB_DEMO_APP", "1")  # not an app field: ignored
    monkeypatch.setenv("CMHUB_FACEBOOK_WEBHOOK_VERIFY_TOKEN", "vt")
    apps = network_apps_from_env()
    assert set(apps) == {"x", "mastodon", "facebook"}
    assert apps["facebook"]["webhook_verify_token"] == "vt"  # Meta's webhook handshake
    assert apps["mastodon"] == {
        "client_id": "m-id",
        "client_secret": "s3cret",
        "api_base_url": "https://mastodon.example",
        "oauth_base_url": "",
        "webhook_verify_token": "",
    }
    assert apps["x"]["client_id"] == "x-id" and apps["x"]["client_secret"] == ""


def test_whole_numbers_by_suffix_keep_only_positive_ones(monkeypatch):
    monkeypatch.setenv("CMHUB_CAP_X", "2")
    monkeypatch.setenv("CMHUB_CAP_MASTODON", "0")
    monkeypatch.setenv("CMHUB_CAP_BLUESKY", "")
    assert env_ints_by_suffix("CMHUB_CAP_") == {"x": 2}
    monkeypatch.setenv("CMHUB_CAP_X", "two")
    with pytest.raises(EnvError, match="CMHUB_CAP_X"):
        env_ints_by_suffix("CMHUB_CAP_")
