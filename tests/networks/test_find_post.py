"""Reading our own posts back (Provider.find_post), the check that settles an Ambiguous publish."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from networks.fakes.graph import GraphFake
from networks.fakes.x import XFake
from networks.providers import base as p
from networks.providers.facebook import FacebookProvider
from networks.providers.x import XProvider


@pytest.fixture
def x():
    with XFake() as fake, httpx.Client() as http:
        fake._clock = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        brand = fake.add_user("acmebakery", "Acme Bakery")
        token = fake.issue_token(brand, scopes=("tweet.read", "users.read", "tweet.write"))
        account = p.Account(
            p.Network.X, brand, fake.base_url, p.Credentials(token["access_token"]), "acmebakery"
        )
        yield fake, brand, XProvider(account, http=http)


def test_x_finds_our_post_and_not_a_reply_with_the_same_words(x):
    fake, brand, provider = x
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert provider.find_post(text="Hello Lyon", since=since) is None
    mention = fake.add_mention(brand, fake.add_user("lea"), "@acmebakery hi")
    fake.add_tweet(brand, "Hello Lyon", in_reply_to=mention)
    assert provider.find_post(text="Hello Lyon", since=since) is None  # a reply is not the post
    post_id = fake.add_tweet(brand, "Hello Lyon")  # X took our post (its answer was lost)
    found = provider.find_post(text="Hello Lyon  ", since=since)
    assert found is not None and found.external_id == post_id
    assert found.permalink == f"https://x.com/acmebakery/status/{post_id}"
    assert provider.find_post(text="Hello Lyon", since=since, exclude={post_id}) is None
    assert (
        provider.find_post(text="Hello Lyon", since=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)) is None
    )


def test_facebook_finds_our_post_in_the_pages_published_posts():
    with GraphFake() as fake, httpx.Client() as http:
        page = fake.add_page("Acme Bakery", page_id="777")
        account = p.Account(p.Network.FACEBOOK, page.id, fake.base_url, p.Credentials(page.token))
        provider = FacebookProvider(account, http=http, app_secret="")
        since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        fake.add_post(page.id, "Something else")
        assert provider.find_post(text="Fresh bread", since=since) is None
        published = provider.publish(text="Fresh bread")
        found = provider.find_post(text="Fresh bread", since=since)
        assert found is not None and found.external_id == published.external_id
        assert provider.find_post(text="Fresh bread", since=since, exclude={published.external_id}) is None


def test_networks_that_cannot_read_back_say_so_rather_than_answer_not_found():
    class Blind(p.Provider):
        network = p.Network.LINKEDIN
        poll = reply = find_reply = publish = validate_text = validate_media = None

    with httpx.Client() as http:
        provider = Blind(
            p.Account(p.Network.LINKEDIN, "1", "http://127.0.0.1:9", p.Credentials("t")), http=http
        )
        with pytest.raises(NotImplementedError):
            provider.find_post(text="x", since=dt.datetime.now(dt.UTC))
