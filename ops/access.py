"""Who may read /metrics: a scraper with the bearer token, or one on an allow-listed network."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    if settings.CMHUB_METRICS_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded.strip():
            # The proxy appends the address it saw: the last entry is the only one it vouches for.
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _allowed_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for cidr in settings.CMHUB_METRICS_ALLOW:
        try:
            if ip in ipaddress.ip_network(cidr.strip(), strict=False):
                return True
        except ValueError:
            continue  # a bad entry is reported by the system check, not a reason to refuse the others
    return False


def _valid_token(request: HttpRequest) -> bool:
    token = settings.CMHUB_METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def configured() -> bool:
    return bool(settings.CMHUB_METRICS_TOKEN or settings.CMHUB_METRICS_ALLOW)


def may_scrape(request: HttpRequest) -> bool:
    return _valid_token(request) or _allowed_address(client_address(request))
