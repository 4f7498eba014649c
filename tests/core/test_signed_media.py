from __future__ import annotations

import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.signed_media import signed_media_url


def _path(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[1]


def test_signed_url_serves_the_file_until_it_expires(client, db):
    name = default_storage.save("posts/cake.jpg", ContentFile(b"\xff\xd8\xff fake jpeg"))
    url = signed_media_url(name, max_age=600)
    response = client.get(_path(url))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff fake jpeg"
    assert response["Content-Type"] == "image/jpeg"
    with time_machine.travel("2099-01-01"):
        assert client.get(_path(url)).status_code == 410


def test_tampered_or_unknown_links_are_404(client, db):
    name = default_storage.save("posts/cake.jpg", ContentFile(b"x"))
    url = _path(signed_media_url(name))
    assert client.get(url[:-3] + "abc/").status_code == 404
    default_storage.delete(name)
    assert client.get(url).status_code == 404
