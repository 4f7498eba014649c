"""The app-password connect page (ConnectStyle.APP_PASSWORD: Bluesky) against BlueskyFake over HTTP: a
refused password or an account asking for an e-mail code says what to do; a good one leads to the choice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from networks.fakes.bluesky import BlueskyFake
from tests.networks.connecting import wire_app

BRAND = "did:plc:q6gjnaw2blty4crticxkmujt"
URL = reverse("connect_password", kwargs={"slug": "acme", "network": "bluesky"})


@pytest.fixture
def bluesky(db):
    with BlueskyFake() as fake:
        fake.add_account(BRAND, "acme.bsky.social", display_name="Acme Bakery", password="good-app-pass")
        wire_app("bluesky", fake, client_id="")
        yield fake


@pytest.fixture
def acme_admin(owner_client, workspace):
    assert workspace.slug == "acme"
    return owner_client


def test_a_refused_password_says_to_use_an_app_password(acme_admin, bluesky):
    answer = acme_admin.post(URL, {"identifier": "acme.bsky.social", "password": "wrong"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "use an app password made for CM Hub" in page
    assert "Invalid identifier or password" in page  # and what Bluesky itself said


def test_an_account_asking_for_an_email_code_is_told_app_passwords_skip_it(acme_admin, bluesky):
    bluesky.two_factor.add(BRAND)
    bluesky.add_account(BRAND, "acme.bsky.social", main_password="main-password")
    answer = acme_admin.post(URL, {"identifier": "acme.bsky.social", "password": "main-password"})
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "app passwords also skip e-mail sign-in codes" in page
    again = acme_admin.post(URL, {"identifier": "acme.bsky.social", "password": "good-app-pass"})
    assert again.status_code == 302  # an app password needs no code


def test_a_good_app_password_leads_to_the_choice_of_account(acme_admin, bluesky):
    answer = acme_admin.post(URL, {"identifier": "acme.bsky.social", "password": "good-app-pass"})
    assert answer.status_code == 302
    choice = acme_admin.get(answer.url)
    assert "Acme Bakery" in choice.content.decode()
