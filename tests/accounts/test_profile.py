"""The person's own profile: name, language, time zone and an avatar that is checked, cropped and cleaned."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.images import png_claiming


def _image_bytes(fmt: str, size=(640, 480), mode="RGB", exif_gps: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new(mode, size, "orange")
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPSInfo: a location that must not survive
        kwargs["exif"] = exif
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _post(client, **extra):
    data = {"display_name": "Ada", "language": "", "timezone": "", **extra}
    return client.post("/me/", data)


def test_profile_saves_name_language_and_timezone(agent_client, agent):
    response = _post(agent_client, display_name="Ada L.", language="fr", timezone="Europe/Paris")
    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.display_name, agent.language, agent.timezone) == ("Ada L.", "fr", "Europe/Paris")
    # The interface now speaks French to this person, whatever the browser says.
    page = agent_client.get("/me/", headers={"accept-language": "en"})
    assert 'lang="fr"' in page.content.decode()


def test_avatar_is_cropped_resized_and_stripped(agent_client, agent):
    upload = SimpleUploadedFile("me.jpg", _image_bytes("JPEG", (1200, 800), exif_gps=True), "image/jpeg")
    assert _post(agent_client, avatar=upload).status_code == 302
    agent.refresh_from_db()
    with Image.open(agent.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (256, 256)
        assert 0x8825 not in stored.getexif()


def test_avatar_with_a_lying_extension_is_refused(agent_client, agent):
    upload = SimpleUploadedFile("me.png", b"%PDF-1.4 not an image at all", "image/png")
    response = _post(agent_client, avatar=upload)
    assert response.status_code == 200 and "not a readable image" in response.content.decode()
    agent.refresh_from_db()
    assert not agent.avatar and agent.display_name != "Ada"  # nothing else was saved either


def test_avatar_in_an_unaccepted_format_is_refused(agent_client):
    upload = SimpleUploadedFile("me.bmp", _image_bytes("BMP"), "image/bmp")
    assert "must be one of" in _post(agent_client, avatar=upload).content.decode()


def test_oversized_avatar_is_refused(agent_client, settings):
    settings.AVATAR_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.png", _image_bytes("PNG", (400, 400)) + b"\0" * 2000, "image/png")
    assert "the limit is" in _post(agent_client, avatar=upload).content.decode()


def test_decompression_bomb_is_refused(agent_client):
    # A tiny file that claims 30,000 x 30,000 pixels: refused before decoding.
    bomb = png_claiming(30000, 30000)
    upload = SimpleUploadedFile("bomb.png", bomb, "image/png")
    assert "too many pixels" in _post(agent_client, avatar=upload).content.decode()


def test_avatar_can_be_cleared(agent_client, agent):
    _post(agent_client, avatar=SimpleUploadedFile("a.png", _image_bytes("PNG"), "image/png"))
    agent.refresh_from_db()
    assert agent.avatar
    _post(agent_client, **{"avatar-clear": "on"})
    agent.refresh_from_db()
    assert not agent.avatar


def test_unknown_timezone_is_refused(agent_client, agent):
    response = _post(agent_client, timezone="Mars/Olympus")
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.timezone == ""


def test_language_switch_remembers_the_choice(agent_client, agent):
    response = agent_client.post("/language/", {"language": "fr", "next": "/w/acme/"})
    assert response.status_code == 302 and response.url == "/w/acme/"
    agent.refresh_from_db()
    assert agent.language == "fr"
    assert "Membres" in agent_client.get("/w/acme/settings/members/").content.decode()


def test_language_switch_refuses_foreign_redirects_and_unknown_languages(agent_client, agent):
    response = agent_client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.url == "/"
    agent.refresh_from_db()
    assert agent.language == ""


def test_anonymous_language_switch_uses_a_cookie(client, db):
    response = client.post("/language/", {"language": "fr", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "fr"
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="fr"' in page and "Se connecter" in page
