"""Deployment checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def credential_keys_from_environment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or os.environ.get("CREDENTIAL_KEYS") or os.environ.get("CREDENTIAL_KEYS_FILE"):
        return []
    return [
        Warning(
            "Network credentials are encrypted with a key generated under the var/ directory.",
            hint="Set CREDENTIAL_KEYS (comma-separated Fernet keys, newest first) from your secret store.",
            id="cmhub.W001",
        )
    ]
