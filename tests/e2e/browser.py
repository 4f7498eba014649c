"""Steps every browser journey shares."""

from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, user) -> None:
    """Sign in through the real allauth form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def sign_in_french(page, user) -> None:
    """The same sign-in, on the form as a browser set to French shows it."""
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def connect_x_channel(x_fake, workspace):
    """The workspace's X account on the X fake, connected as the connect flow leaves it (with the app the
    flow would use); returns the channel and the brand's user id on the fake."""
    from networks import services
    from networks.models import NetworkApp
    from networks.providers import base as p

    NetworkApp.objects.create(network="x", client_id=x_fake.client_id, api_base_url=x_fake.base_url)
    brand = x_fake.add_user("acmebakery", "Acme Bakery")
    token = x_fake.issue_token(
        brand,
        scopes=("tweet.read", "users.read", "tweet.write", "dm.read", "dm.write", "tweet.moderate.write"),
    )
    channel = services.channel_connect(
        workspace=workspace,
        network="x",
        external_id=brand,
        name="Acme X",
        handle="acmebakery",
        api_base_url=x_fake.base_url,
        credentials=p.Credentials(access_token=token["access_token"]),
        by=None,
    )
    return channel, brand


def connect_instagram_channel(graph_fake, workspace):
    """The workspace's Instagram account on the Graph fake, reached with its linked Page's token as the
    Facebook Login flow leaves it; returns the channel and the fake's IG user."""
    from networks import services
    from networks.models import NetworkApp
    from networks.providers import base as p

    app = graph_fake.add_app()
    NetworkApp.objects.create(
        network="instagram",
        client_id=app["app_id"],
        client_secret=app["secret"],
        api_base_url=graph_fake.base_url,
    )
    page = graph_fake.add_page("Acme Bakery")
    ig_user = graph_fake.add_ig_user("acme.bakery", page_id=page.id)
    channel = services.channel_connect(
        workspace=workspace,
        network="instagram",
        external_id=ig_user.id,
        name="Acme Instagram",
        handle="acme.bakery",
        api_base_url=graph_fake.base_url,
        credentials=p.Credentials(access_token=page.token),
        by=None,
    )
    return channel, ig_user
