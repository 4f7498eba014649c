"""Media files at signed, expiring URLs, for networks that fetch an image themselves (Instagram's
container API takes an `image_url`). The URL names one stored file and an expiry; nothing else is
reachable through it, and a tampered or expired link answers 404 or 410."""

from __future__ import annotations

import mimetypes
import time

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

SALT = "cmhub.signed-media"


def signed_media_url(name: str, *, max_age: int = 3600, base_url: str | None = None) -> str:
    token = signing.dumps({"n": name, "e": int(time.time()) + max_age}, salt=SALT, compress=True)
    return (base_url or settings.SITE_URL).rstrip("/") + reverse("signed_media", args=[token])


INLINE_URL_SECONDS = 6 * 3600  # a page showing it may stay open a while


def inline_media_url(name: str) -> str:
    """A stored picture shown in one of our pages: a signed, expiring URL relative to the page (the CSP
    allows only the page's own origin for images, whatever SITE_URL says), never the storage path."""
    return signed_media_url(name, max_age=INLINE_URL_SECONDS, base_url="/") if name else ""


@require_GET
def serve_signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404 from None
    if payload.get("e", 0) < time.time():
        return HttpResponse("This link has expired.", status=410, content_type="text/plain")
    name = payload.get("n", "")
    if not name or not default_storage.exists(name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
