"""Reading our own posts back (Provider.find_post), the check that settles an Ambiguous publish."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import httpx
import pytest
from PIL import Image

from networks.fakes.graph import GraphFake, drop_after_fault, expired_token_fault, server_error_fault
from networks.fakes.graph_state import Media
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.x import XFake
from networks.providers import base as p
from networks.providers import instagram as instagram_module
from networks.providers.facebook import FacebookProvider
from networks.providers.instagram import InstagramProvider
from networks.providers.linkedin import LINKEDIN_VERSION, LinkedInProvider
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
        poll = reply = find_reply = publish = validate_text = validate_media = consent = connectable = None

    with httpx.Client() as http:
        provider = Blind(
            p.Account(p.Network.LINKEDIN, "1", "http://127.0.0.1:9", p.Credentials("t")), http=http
        )
        with pytest.raises(NotImplementedError):
            provider.find_post(text="x", since=dt.datetime.now(dt.UTC))


# --- Instagram ------------------------------------------------------------------------------------------


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1080), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def instagram():
    with GraphFake() as fake, httpx.Client(timeout=httpx.Timeout(3.0)) as http:
        page = fake.add_page("Acme Bakery")
        ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        account = p.Account(p.Network.INSTAGRAM, ig_user.id, fake.base_url, p.Credentials(page.token))
        # Two media a page: reading back has to follow the cursor paging.
        yield fake, ig_user, InstagramProvider(account, http=http, page_size=2, sleep=lambda s: None)


def media_publishes(fake: GraphFake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith("/media_publish")]


def test_instagram_finds_the_media_whose_publish_answer_was_lost(instagram):
    fake, ig_user, provider = instagram
    since = fake.now() - dt.timedelta(minutes=5)
    for n in range(3):  # older posts of the day, read through before ours is reached
        fake.add_media(ig_user.id, f"Earlier post {n}", fake.now() - dt.timedelta(minutes=4))
    assert provider.find_post(text="Fresh #bread", since=since) is None  # nothing written yet

    fake.inject(drop_after_fault(r"/media_publish$"))
    photo = p.MediaFile(jpeg(), "image/jpeg", public_url="https://cdn.example/bread.jpg")
    with pytest.raises(p.Ambiguous):
        provider.publish(text="Fresh #bread", media=[photo])
    for n in range(3):  # newer media above ours: the walk pages down to it
        fake.add_media(ig_user.id, f"Later post {n}")

    found = provider.find_post(text="Fresh #bread", since=since)

    published = [m for m in fake.objects_of(Media) if m.caption == "Fresh #bread"]
    assert len(media_publishes(fake)) == 1 and len(published) == 1
    # The id a successful publish would have stored: the media id media_publish answers.
    assert found is not None and found.external_id == published[0].id
    assert found.permalink == f"https://www.instagram.com/p/C{published[0].id[-8:]}/"
    assert provider.find_post(text="Fresh #bread", since=since, exclude={found.external_id}) is None


def test_instagram_matches_the_caption_as_x_and_facebook_match_text(instagram):
    fake, ig_user, provider = instagram
    since = fake.now() - dt.timedelta(minutes=5)
    stored = fake.add_media(ig_user.id, unicodedata.normalize("NFD", "  Café crème\r\nà 8h  \n"))

    found = provider.find_post(text="Café crème\nà 8h", since=since)

    assert found is not None and found.external_id == stored.id
    assert provider.find_post(text="café crème\nà 8h", since=since) is None  # other capitals, other post
    assert provider.find_post(text="Café crème à 8h", since=since) is None


def test_instagram_ignores_media_before_since_and_takes_the_oldest_of_two_matches(instagram):
    fake, ig_user, provider = instagram
    now = fake.now()
    fake.add_media(ig_user.id, "Open on Sunday", now - dt.timedelta(hours=2))  # an old post, same words
    since = now - dt.timedelta(hours=1)
    assert provider.find_post(text="Open on Sunday", since=since) is None

    first = fake.add_media(ig_user.id, "Open on Sunday", now - dt.timedelta(minutes=30))
    fake.add_media(ig_user.id, "Something else", now - dt.timedelta(minutes=20))
    second = fake.add_media(ig_user.id, "Open on Sunday", now - dt.timedelta(minutes=10))

    found = provider.find_post(text="Open on Sunday", since=since)
    assert found is not None and found.external_id == first.id
    found = provider.find_post(text="Open on Sunday", since=since, exclude={first.id})
    assert found is not None and found.external_id == second.id


def test_instagram_read_back_errors_map_to_the_taxonomy(instagram):
    fake, ig_user, provider = instagram
    since = fake.now() - dt.timedelta(minutes=5)
    fake.inject(expired_token_fault(rf"/{ig_user.id}/media$"))
    with pytest.raises(p.AuthExpired):
        provider.find_post(text="x", since=since)
    fake.inject(server_error_fault(rf"/{ig_user.id}/media$"))
    with pytest.raises(p.Transient):
        provider.find_post(text="x", since=since)


def test_instagram_finds_a_post_buried_under_a_burst(instagram):
    fake, ig_user, provider = instagram
    since = fake.now() - dt.timedelta(days=1)
    fake.add_media(ig_user.id, "Buried", fake.now() - dt.timedelta(hours=1))
    for n in range(120):
        fake.add_media(ig_user.id, f"Post {n}")
    assert provider.find_post(text="Buried", since=since) is not None


def test_instagram_says_it_cannot_tell_past_its_bound(instagram):
    """A read-back that reaches its bound before the step's time must not answer "not there"."""
    fake, ig_user, provider = instagram
    since = fake.now() - dt.timedelta(days=1)
    fake.add_media(ig_user.id, "Buried", fake.now() - dt.timedelta(hours=1))
    for n in range(instagram_module.MAX_FIND_MEDIA + 10):
        fake.add_media(ig_user.id, f"Post {n}")

    with pytest.raises(p.ReadBackIncomplete):
        provider.find_post(text="Buried", since=since)

    reads = [r for r in fake.requests if r.method == "GET" and r.path.endswith(f"/{ig_user.id}/media")]
    assert len(reads) == instagram_module.MAX_FIND_MEDIA // 2  # two a page


# --- LinkedIn -------------------------------------------------------------------------------------------


@pytest.fixture
def linkedin():
    with LinkedInFake() as fake, httpx.Client(timeout=httpx.Timeout(3.0)) as http:
        admin = fake.add_member("Ana Admin", "ana")
        org = fake.add_organization("Acme Bakery", admins=[admin])
        token = fake.issue_token(admin)["access_token"]
        account = p.Account(p.Network.LINKEDIN, org, fake.base_url, p.Credentials(token))
        yield fake, org, LinkedInProvider(account, http=http)


def fake_time(fake: LinkedInFake, seconds: float = 0) -> dt.datetime:
    """The fake's clock (it dates objects one second apart from its own start), plus `seconds`."""
    return dt.datetime.fromtimestamp(fake.now_ms / 1000 + seconds, dt.UTC)


def post_writes(fake: LinkedInFake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/rest/posts"]


def test_linkedin_finds_the_post_whose_publish_answer_was_lost(linkedin):
    fake, org, provider = linkedin
    other_org = fake.add_organization("Someone Else")
    for n in range(60):  # older posts: the read stops at `since` without paging through them all
        fake.add_post(org, f"Older post {n}")
    since = fake_time(fake, 1)
    fake.add_post(other_org, "We are hiring (bakers) #jobs")  # same words, another author
    assert provider.find_post(text="We are hiring (bakers) #jobs", since=since) is None

    fake.drop_after("/rest/posts$")
    with pytest.raises(p.Ambiguous):
        provider.publish(text="We are hiring (bakers) #jobs")
    for n in range(55):  # newer posts above ours: the walk pages down to it
        fake.add_post(org, f"Later post {n}")

    found = provider.find_post(text="We are hiring (bakers) #jobs", since=since)

    ours = [
        urn for urn, post in fake.posts.items() if post["author"] == org and "hiring" in post["commentary"]
    ]
    assert len(post_writes(fake)) == 1 and len(ours) == 1
    # The id a successful publish would have stored: the URN LinkedIn puts in x-restli-id.
    assert found is not None and found.external_id == ours[0] and ours[0].startswith("urn:li:share:")
    assert found.permalink == f"https://www.linkedin.com/feed/update/{ours[0]}"
    reads = [r for r in fake.requests if r.method == "GET" and r.path == "/rest/posts"]
    assert {r.arg("sortBy") for r in reads} == {"CREATED"} and len(reads) == 1 + 2  # one page, then two
    assert provider.find_post(text="We are hiring (bakers) #jobs", since=since, exclude=set(ours)) is None


def test_linkedin_matches_the_text_as_x_and_facebook_match_it(linkedin):
    fake, org, provider = linkedin
    since = fake_time(fake, 1)
    # What LinkedIn stores is the escaped "little text" we sent, in whatever normal form we sent it.
    stored = fake.add_post(org, unicodedata.normalize("NFD", "  Crème brûlée \\(new\\)\r\n#dessert  \n"))

    found = provider.find_post(text="Crème brûlée (new)\n#dessert", since=since)

    assert found is not None and found.external_id == stored
    assert provider.find_post(text="crème brûlée (new)\n#dessert", since=since) is None
    assert provider.find_post(text="Crème brûlée (new) #dessert", since=since) is None


def test_linkedin_ignores_posts_before_since_and_takes_the_oldest_of_two_matches(linkedin):
    fake, org, provider = linkedin
    fake.add_post(org, "Open on Sunday")  # an old post with the same words
    since = fake_time(fake, 1)
    assert provider.find_post(text="Open on Sunday", since=since) is None

    first = fake.add_post(org, "Open on Sunday")
    fake.add_post(org, "Something else")
    second = fake.add_post(org, "Open on Sunday")

    found = provider.find_post(text="Open on Sunday", since=since)
    assert found is not None and found.external_id == first
    found = provider.find_post(text="Open on Sunday", since=since, exclude={first})
    assert found is not None and found.external_id == second


def test_linkedin_read_back_errors_map_to_the_taxonomy(linkedin):
    fake, _org, provider = linkedin
    since = fake_time(fake)
    fake.unauthorized("/rest/posts$")
    with pytest.raises(p.AuthExpired):
        provider.find_post(text="x", since=since)
    fake.throttled("/rest/posts$")
    with pytest.raises(p.RateLimited):
        provider.find_post(text="x", since=since)
    fake.server_error("/rest/posts$", times=2)  # reads are retried once
    with pytest.raises(p.Transient):
        provider.find_post(text="x", since=since)


def test_the_linkedin_fake_sorts_posts_as_asked(linkedin):
    fake, org, provider = linkedin
    old, new = fake.add_post(org, "Old"), fake.add_post(org, "New")
    fake.posts[old]["lastModifiedAt"] = fake.now_ms + 1000  # the old post was edited since
    headers = {"LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
    headers["Authorization"] = f"Bearer {provider.account.credentials.access_token}"

    def listed(**extra: str) -> httpx.Response:
        params = {"q": "author", "author": org, **extra}
        return httpx.get(f"{fake.base_url}/rest/posts", params=params, headers=headers)

    assert [e["id"] for e in listed().json()["elements"]] == [old, new]
    assert [e["id"] for e in listed(sortBy="CREATED").json()["elements"]] == [new, old]
    assert listed(sortBy="NEWEST").status_code == 400
