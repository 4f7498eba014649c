"""Production safety: check --deploy is clean with production variables; pages carry a nonce CSP and
no inline script; security headers are set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMHUB_", "DJANGO_"))}
    env.update(
        SECRET_KEY="a-production-secret-key-that-is-long-and-random-1234567890-abcdefghijkl",
        ALLOWED_HOSTS="cmhub.example.com",
        CREDENTIAL_KEYS="Wl4dQ6xw8bKZ8x0d6m7dYqk7Ck2C3Hc1h3Gm0yq3x3c=",
        CMHUB_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="cmhub.settings",
    )
    return env


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_credential_keys_are_not_set(tmp_path):
    env = _production_env(tmp_path)
    del env["CREDENTIAL_KEYS"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "cmhub.W001" in result.stdout + result.stderr


def test_debug_is_off_unless_set(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG, settings.SECURE_SSL_REDIRECT)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["False", "True"], result.stderr


def test_pages_have_a_nonce_csp_and_no_inline_script(agent_client):
    response = agent_client.get("/w/acme/settings/members/")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert (
        "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    )
    html = response.content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page should load its scripts"
    for attrs, body in scripts:
        assert "src=" in attrs and not body.strip(), f"inline script found: {attrs} {body[:80]}"
    assert f'"inlineStyleNonce": "{nonce}"' in html  # htmx adds its styles under the same nonce


def test_nonce_changes_per_response(agent_client):
    first = agent_client.get("/w/acme/").headers["Content-Security-Policy"]
    second = agent_client.get("/w/acme/").headers["Content-Security-Policy"]
    assert first != second


def test_security_headers(agent_client):
    response = agent_client.get("/w/acme/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_health_endpoint(client, db):
    assert client.get("/healthz/").json() == {"status": "ok"}


def _settings_value(env: dict[str, str], name: str) -> str:
    code = f"from django.conf import settings; print(getattr(settings, {name!r}, None))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hsts_preload_is_opt_in(tmp_path):
    """Preloading is a promise to browsers that is slow to take back (every subdomain, HTTPS only, for
    months): a deployment makes it on purpose, never by default."""
    env = _production_env(tmp_path)
    assert _settings_value(env, "SECURE_HSTS_PRELOAD") == "False"
    assert _settings_value(env, "SECURE_HSTS_SECONDS") == "31536000"  # HSTS itself stays on
    env["CMHUB_HSTS_PRELOAD"] = "1"
    assert _settings_value(env, "SECURE_HSTS_PRELOAD") == "True"


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_appended(tmp_path):
    """Left at allauth's default (0) behind a proxy, everyone shares the proxy's address: one person's
    failed sign-ins would throttle the whole team."""
    env = _production_env(tmp_path)
    assert _settings_value(env, "ALLAUTH_TRUSTED_PROXY_COUNT") == "None"  # no proxy: the header is ignored
    env["CMHUB_BEHIND_PROXY"] = "1"
    assert _settings_value(env, "ALLAUTH_TRUSTED_PROXY_COUNT") == "1"
    env["CMHUB_TRUSTED_PROXY_COUNT"] = "2"
    assert _settings_value(env, "ALLAUTH_TRUSTED_PROXY_COUNT") == "2"
