from __future__ import annotations

import pytest

from cmhub.env import EnvError, env_bool, env_int, env_list, env_str, generated_secret


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
