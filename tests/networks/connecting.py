"""What a browser does in the connect flow, for tests that drive it with Django's test client."""

from __future__ import annotations

from urllib.parse import urlsplit

from networks.fakes import consent
from networks.models import NetworkApp


def consent_url(client, slug: str, network: str) -> str:
    """Press Connect: the POST sends the browser to our own page, which opens the network's consent page."""
    start = client.post(f"/w/{slug}/settings/channels/connect/{network}/")
    assert start.status_code == 303, start
    page = client.get(start.url)
    assert page.status_code == 200, page
    return page.context["url"]


def approve(url: str) -> str:
    """Allow on the network's consent page; returns the callback path (with its query) to open next."""
    back = consent.approve(None, url)
    assert back.status_code in (302, 303), back.text
    location = urlsplit(back.headers["location"])
    return f"{location.path}?{location.query}"


def wire_app(network: str, fake, *, client_id: str, client_secret: str = "") -> NetworkApp:
    """The deployment's app on `network`, its API and its consent page both on a running fake."""
    return NetworkApp.objects.create(
        network=network,
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=fake.base_url,
        oauth_base_url=fake.base_url,
    )
