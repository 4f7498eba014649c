"""Uploads: refused by their declared size before they are read, and read with a bound when they are.

Two layers, because a body can be too big in two places. `RequestSizeLimitMiddleware` answers 413 to a
request whose Content-Length is over `REQUEST_MAX_BYTES` before anything reads the body (CSRF reads the form
data, so it sits before CsrfViewMiddleware). Below that, Django streams each file over
`FILE_UPLOAD_MAX_MEMORY_SIZE` to a temporary file, and `read_upload` checks its size (counted by the upload
handler as it wrote the file) against the form's own limit before reading, then reads at most that much.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

_MB = 1_048_576


def _too_large(size: int, max_bytes: int) -> ValidationError:
    return ValidationError(
        _("The file weighs %(size).1f MB; the limit is %(limit).1f MB.")
        % {"size": size / _MB, "limit": max_bytes / _MB}
    )


def read_upload(upload: UploadedFile[bytes], *, max_bytes: int) -> bytes:
    """The file's bytes when it weighs `max_bytes` at most; ValidationError, in words, when it weighs more."""
    if upload.size is None or upload.size > max_bytes:
        raise _too_large(upload.size or 0, max_bytes)
    upload.seek(0)
    data: bytes = upload.read(
        max_bytes + 1
    )  # bounded even if `size` was wrong: never more than the limit in memory
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body it cannot measure
        limit = settings.REQUEST_MAX_BYTES
        if declared > limit:
            return render(request, "413.html", {"limit": round(limit / _MB, 1)}, status=413)
        return self.get_response(request)
