"""Typed readers for environment variables.

Every reader also accepts `<NAME>_FILE`: the path of a file holding the value (Docker/Kubernetes secrets),
so secrets never have to sit in the process environment. An explicitly set variable wins over its file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(RuntimeError):
    pass


def _raw(name: str) -> str | None:
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise EnvError(f"{name}_FILE points to {path!r}, which cannot be read: {exc}") from exc
    return None


def env_str(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise EnvError(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Comma-separated values, blanks dropped."""
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def generated_secret(path: Path, factory) -> str:
    """Read a secret kept under var/, creating it once (embedded default only; production sets the env)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = factory()
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


# WEBHOOK_VERIFY_TOKEN: Meta's webhook "Verify token" (the GET handshake); LinkedIn signs with the secret.
_APP_FIELDS = ("CLIENT_ID", "CLIENT_SECRET", "API_BASE_URL", "OAUTH_BASE_URL", "WEBHOOK_VERIFY_TOKEN")
# Network names may hold underscores (GOOGLE_BUSINESS): the shortest name before a field wins.
_APP_VARIABLE = re.compile(rf"^CMHUB_([A-Z0-9]+(?:_[A-Z0-9]+)*?)_({'|'.join(_APP_FIELDS)})(?:_FILE)?$")


def network_apps_from_env() -> dict[str, dict[str, str]]:
    """The deployment's apps on the networks, from CMHUB_<NETWORK>_CLIENT_ID, _CLIENT_SECRET, _API_BASE_URL,
    _OAUTH_BASE_URL and _WEBHOOK_VERIFY_TOKEN (each also as _FILE), for whatever networks they name:
    {"x": {"client_id": ...}}."""
    networks = {m.group(1) for name in os.environ if (m := _APP_VARIABLE.match(name))}
    return {
        network.lower(): {field.lower(): env_str(f"CMHUB_{network}_{field}") for field in _APP_FIELDS}
        for network in sorted(networks)
    }


def env_ints_by_suffix(prefix: str) -> dict[str, int]:
    """{"x": 2} from PREFIX_X=2: one positive whole number per name that follows the prefix (lower-cased);
    an empty or non-positive value is left out (the caller's default applies)."""
    names = {name.removesuffix("_FILE")[len(prefix) :] for name in os.environ if name.startswith(prefix)}
    values = {name.lower(): env_int(f"{prefix}{name}", 0) for name in sorted(names) if name}
    return {name: value for name, value in values.items() if value > 0}
