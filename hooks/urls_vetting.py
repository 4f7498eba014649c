"""Which addresses an endpoint may have: https on a public address, unless the deployment lists the host.

Checked when an admin saves an endpoint (a sentence for the form) and again before every attempt (the
name may point elsewhere since); the connection itself goes through `core.http`'s guarded transport, which
refuses a private address at connect time whatever the name said a moment before.
"""

from __future__ import annotations

from collections.abc import Collection

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import UserError
from core.http import FetchError as _FetchError
from core.http import Resolver, UnsafeURL, listed_host, system_resolver, vet_url


class UnsafeEndpoint(UserError):
    """This address is not one CM Hub sends webhooks to; the message says why."""


def listed_webhook_hosts() -> Collection[str]:
    # Read at each use, not at import: tests and a settings reload change it.
    return getattr(settings, "CMHUB_WEBHOOK_ALLOWED_HOSTS", ())


def vet_endpoint_url(url: str, *, resolver: Resolver = system_resolver) -> str:
    """The address, stripped, if webhooks may be sent there; UnsafeEndpoint (in words) otherwise."""
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise UnsafeEndpoint(_("This is not a valid web address.")) from None
    host = parsed.host
    if parsed.scheme not in ("http", "https") or not host:
        raise UnsafeEndpoint(_("Enter a full web address, starting with https://."))
    if parsed.userinfo:
        raise UnsafeEndpoint(_("Addresses with a user name or password in them are not accepted."))
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if listed_host(host, port, listed_webhook_hosts()):
        return url  # the operator allowed this host, over http too
    if parsed.scheme != "https":
        raise UnsafeEndpoint(_("Webhooks are sent over https only: the address must start with https://."))
    try:
        vet_url(url, resolver=resolver)
    except UnsafeURL:
        raise UnsafeEndpoint(
            _(
                "%(host)s is a private or local network address. Webhooks go to public internet "
                "addresses only, unless the deployment allows this host (CMHUB_WEBHOOK_ALLOWED_HOSTS)."
            )
            % {"host": host}
        ) from None
    except _FetchError:
        raise UnsafeEndpoint(_("The host name %(host)s could not be found.") % {"host": host}) from None
    return url
