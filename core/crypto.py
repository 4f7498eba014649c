"""Secrets at rest: MultiFernet with keys from the environment, newest first.

`CREDENTIAL_KEYS` holds comma-separated Fernet keys. Encryption always uses the first; decryption tries
each, so a new key can be put in front and `manage.py rotate_credentials` re-encrypts every row with it
before the old key is dropped.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models


class CredentialsUnreadable(Exception):
    """No configured key opens this value: a key was dropped before rotation finished."""


@functools.cache
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("CREDENTIAL_KEYS is empty: set at least one Fernet key.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _multifernet(tuple(settings.CREDENTIAL_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("No configured key decrypts this value.") from None


def rotate(token: str) -> str:
    """The same secret, encrypted with the newest key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("No configured key decrypts this value.") from None


#: Encrypted columns of apps that `rotate_credentials` (networks) cannot import, registered by their
#: AppConfig.ready: (model, column).
_registered_columns: list[tuple[type[models.Model], str]] = []


def register_encrypted_column(model: type[models.Model], column: str) -> None:
    if (model, column) not in _registered_columns:
        _registered_columns.append((model, column))


def registered_encrypted_columns() -> list[tuple[type[models.Model], str]]:
    return list(_registered_columns)


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _reset(**kwargs: Any) -> None:
    if kwargs.get("setting") == "CREDENTIAL_KEYS":
        _multifernet.cache_clear()


setting_changed.connect(_reset)

# The stubs make Field generic; at run time it is not subscriptable.
if TYPE_CHECKING:
    _TextField = models.TextField[Any, Any]
else:
    _TextField = models.TextField


class EncryptedJSONField(_TextField):
    """A JSON value stored as a Fernet token: the database (and its dumps) never see it in clear."""

    description = "JSON encrypted with the deployment's credential keys"
    # What the model attribute holds, for django-stubs (a TextField's would be str): any JSON value.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(decrypt(value))
            except CredentialsUnreadable:
                return json.loads(value)
        return value

    def get_prep_value(self, value: Any) -> str:
        return encrypt(json.dumps(value or {}, sort_keys=True))

    def value_to_string(self, obj: Any) -> str:
        # Serialisers (dumpdata, fixtures) get the token, never the secret; to_python reads it back.
        return self.get_prep_value(self.value_from_object(obj))


class EncryptedTextField(_TextField):
    """A string stored as a Fernet token (client secrets)."""

    description = "Text encrypted with the deployment's credential keys"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        return decrypt(value) if value else ""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str) and value:
            try:
                return decrypt(value)
            except CredentialsUnreadable:
                return value
        return value or ""

    def get_prep_value(self, value: Any) -> str:
        return encrypt(str(value or ""))

    def value_to_string(self, obj: Any) -> str:
        return self.get_prep_value(self.value_from_object(obj))
