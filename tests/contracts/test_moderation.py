"""Moderation contract fixtures (issue 13, item 11), replayed against the Facebook and Instagram providers
and against the Graph fake: hide, read back, private reply, delete."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import httpx
import pytest

from networks.fakes.graph import GraphFake
from networks.providers.base import Account, Capability, Credentials, Network
from networks.providers.facebook import FacebookProvider
from networks.providers.graph import GRAPH_VERSION
from networks.providers.instagram import InstagramProvider
from tests.contracts.replay import ReplayServer, load, shape_differences

PAGE = "104525875432211"
FB_COMMENT = "122131676912594941_1213590066982748"
IG_USER = "17841405822304914"
IG_COMMENT = "17870913679156914"


def test_facebook_moderation_speaks_the_documented_requests(http: httpx.Client) -> None:
    with ReplayServer(load("facebook", "comment_moderation")["exchanges"], graph=True) as network:
        account = Account(Network.FACEBOOK, PAGE, network.base_url, Credentials("page-token"))
        provider = FacebookProvider(account, http=http)
        provider.hide_comment(comment_id=FB_COMMENT, hidden=True)
        state = provider.comment_state(comment_id=FB_COMMENT)
        sent = provider.private_reply(comment_id=FB_COMMENT, text="We sent you the details privately.")
        provider.delete_comment(comment_id=FB_COMMENT)
        gone = provider.comment_state(comment_id=FB_COMMENT)
        requests = network.requests

    assert (state.exists, state.hidden, state.private_reply_sent) == (True, True, False)
    assert sent.external_id.startswith("m_")
    assert not gone.exists  # (#100/33) on a deleted comment reads as "gone", not as an error
    hide_body = parse_qs(requests[0][3].decode())
    assert hide_body["is_hidden"] == ["true"]
    assert json.loads(requests[2][3]) == {
        "recipient": {"comment_id": FB_COMMENT},
        "message": {"text": "We sent you the details privately."},
    }
    assert [method for method, *_ in requests] == ["POST", "GET", "POST", "DELETE", "GET"]


def test_instagram_moderation_speaks_the_documented_requests(http: httpx.Client) -> None:
    with ReplayServer(load("instagram", "comment_moderation")["exchanges"], graph=True) as network:
        account = Account(Network.INSTAGRAM, IG_USER, network.base_url, Credentials("page-token"))
        provider = InstagramProvider(account, http=http)
        provider.hide_comment(comment_id=IG_COMMENT, hidden=True)
        state = provider.comment_state(comment_id=IG_COMMENT)
        sent = provider.private_reply(comment_id=IG_COMMENT, text="Check your messages!")
        provider.delete_comment(comment_id=IG_COMMENT)
        requests = network.requests

    assert (state.exists, state.hidden, state.private_reply_sent) == (True, True, None)
    assert sent.external_id
    assert parse_qs(requests[0][3].decode())["hide"] == ["true"]
    assert requests[2][1].endswith(f"/{IG_USER}/messages")
    assert json.loads(requests[2][3])["recipient"] == {"comment_id": IG_COMMENT}


def test_the_providers_declare_what_they_implement() -> None:
    for provider in (FacebookProvider, InstagramProvider):
        assert provider.supports(Capability.HIDE) and provider.supports(Capability.PRIVATE_REPLY)
        assert provider.supports(Capability.DELETE)


def _graph(
    http: httpx.Client, fake: GraphFake, method: str, path: str, token: str, **kwargs
) -> httpx.Response:
    return http.request(
        method,
        f"{fake.base_url}/{GRAPH_VERSION}/{path}",
        headers={"Authorization": f"Bearer {token}"},
        **kwargs,
    )


def test_the_fake_answers_facebook_moderation_with_the_documented_shapes(http: httpx.Client) -> None:
    recorded = load("facebook", "comment_moderation")["exchanges"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        post = fake.add_post(page.id, "Sourdough")
        comment = fake.add_comment(post.id, "Where is my order?")
        fields = {"fields": "id,is_hidden,can_reply_privately"}
        hidden = _graph(http, fake, "POST", comment.id, page.token, data={"is_hidden": "true"})
        state = _graph(http, fake, "GET", comment.id, page.token, params=fields)
        payload = {"recipient": {"comment_id": comment.id}, "message": {"text": "Sent you a message"}}
        private = _graph(http, fake, "POST", f"{page.id}/messages", page.token, json=payload)
        deleted = _graph(http, fake, "DELETE", comment.id, page.token)
        gone = _graph(http, fake, "GET", comment.id, page.token, params=fields)

    for index, answer in enumerate((hidden, state, private, deleted, gone)):
        assert answer.status_code == recorded[index]["response"]["status"], index
        assert shape_differences(recorded[index]["response"]["body"], answer.json()) == [], index
    assert state.json()["is_hidden"] is True


def test_the_fake_answers_instagram_moderation_with_the_documented_shapes(http: httpx.Client) -> None:
    recorded = load("instagram", "comment_moderation")["exchanges"]
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
        media = fake.add_media(ig_user.id, "Sourdough")
        comment = fake.add_ig_comment(media.id, "Rude words")
        hidden = _graph(http, fake, "POST", comment.id, page.token, data={"hide": "true"})
        state = _graph(http, fake, "GET", comment.id, page.token, params={"fields": "id,hidden"})
        payload = {"recipient": {"comment_id": comment.id}, "message": {"text": "Sent you a message"}}
        private = _graph(http, fake, "POST", f"{ig_user.id}/messages", page.token, json=payload)
        deleted = _graph(http, fake, "DELETE", comment.id, page.token)

    for index, answer in enumerate((hidden, state, private, deleted)):
        assert answer.status_code == recorded[index]["response"]["status"], index
        assert shape_differences(recorded[index]["response"]["body"], answer.json()) == [], index


@pytest.mark.parametrize("network", ["facebook", "instagram"])
def test_the_fake_allows_one_private_reply_per_comment_within_seven_days(http: httpx.Client, network) -> None:
    import datetime as dt

    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        old_time = fake.now() - dt.timedelta(days=8)
        if network == "facebook":
            post = fake.add_post(page.id, "Sourdough")
            fresh, old = (
                fake.add_comment(post.id, "Hi"),
                fake.add_comment(post.id, "Hi", created_time=old_time),
            )
            sender = page.id
        else:
            ig_user = fake.add_ig_user("acme.bakery", page_id=page.id)
            media = fake.add_media(ig_user.id, "Sourdough")
            fresh, old = fake.add_ig_comment(media.id), fake.add_ig_comment(media.id, created_time=old_time)
            sender = ig_user.id

        def reply(comment_id: str) -> httpx.Response:
            payload = {"recipient": {"comment_id": comment_id}, "message": {"text": "Hello"}}
            return _graph(http, fake, "POST", f"{sender}/messages", page.token, json=payload)

        first, second, late = reply(fresh.id), reply(fresh.id), reply(old.id)

    assert first.status_code == 200
    assert second.status_code == 400 and "already replied" in second.json()["error"]["message"]
    assert late.status_code == 400 and late.json()["error"]["code"] == 10903


@pytest.mark.parametrize(
    ("code", "words"),
    [
        # Public integrations handle this code for a second private reply to one comment.
        (10900, "(#10900) Activity already replied to"),
        # Reported in https://github.com/facebookarchive/php-graph-sdk/issues/568.
        (10902, "(#10902) This is not a Replyable activity"),
        (10903, "(#10903) This activity can't be replied to"),
    ],
)
def test_a_refused_private_reply_is_final_and_says_why_whatever_its_code(
    http: httpx.Client, code: int, words: str
) -> None:
    """No primary source lists the codes Graph gives for a second private reply or a closed window: the
    client must not depend on which one comes. Any of them is a refusal (never resent), in Graph's words."""
    from networks.providers.base import Invalid

    refused = {
        "request": {"method": "POST", "path": f"/{PAGE}/messages"},
        "response": {
            "status": 400,
            "body": {"error": {"message": words, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}},
        },
    }
    with ReplayServer([refused], graph=True) as network:
        account = Account(Network.FACEBOOK, PAGE, network.base_url, Credentials("page-token"))
        with pytest.raises(Invalid) as caught:
            FacebookProvider(account, http=http).private_reply(comment_id=FB_COMMENT, text="Hello")
    assert words in str(caught.value)


def test_the_fake_never_lets_a_page_hide_its_own_comment(http: httpx.Client) -> None:
    with GraphFake() as fake:
        page = fake.add_page("Acme Bakery")
        post = fake.add_post(page.id, "Sourdough")
        ours = fake.add_comment(post.id, "Thanks!", author={"id": page.id, "name": page.name})
        refused = _graph(http, fake, "POST", ours.id, page.token, data={"is_hidden": "true"})
        fake.set_permissions(page.token, ["pages_read_engagement"])
        other = fake.add_comment(post.id, "Spam")
        no_permission = _graph(http, fake, "DELETE", other.id, page.token)

    assert refused.status_code == 400
    assert no_permission.status_code == 400 and no_permission.json()["error"]["code"] == 10


# --- X: the account deletes its own posts, nothing else ------------------------------------------------

X_US = "2244994945"
X_POST = "1445880548472328192"


def test_x_deletes_its_own_post_as_documented_and_reads_the_deletion_back(http: httpx.Client) -> None:
    from networks.providers.x import XProvider

    with ReplayServer(load("x", "delete_own_post")["exchanges"]) as network:
        account = Account(Network.X, X_US, network.base_url, Credentials("token"), handle="demobakery")
        provider = XProvider(account, http=http)
        provider.delete_comment(comment_id=X_POST)
        state = provider.comment_state(comment_id=X_POST)
        methods = [(method, path) for method, path, *_ in network.requests]

    assert not state.exists
    assert methods == [("DELETE", f"/2/tweets/{X_POST}"), ("GET", f"/2/tweets/{X_POST}")]
    assert XProvider.supports(Capability.DELETE_OWN) and not XProvider.supports(Capability.DELETE)


def test_the_x_fake_deletes_only_the_authors_posts_with_the_documented_shapes(http: httpx.Client) -> None:
    from networks.fakes.x import XFake

    recorded = load("x", "delete_own_post")["exchanges"]
    with XFake() as fake:
        brand, fan = fake.add_user("demobakery", "Demo Bakery"), fake.add_user("lea", "Léa")
        token = fake.issue_token(brand, scopes=("tweet.read", "users.read", "tweet.write"))["access_token"]
        ours, theirs = fake.add_tweet(brand, "Our answer"), fake.add_tweet(fan, "A fan's post")
        headers = {"Authorization": f"Bearer {token}"}
        refused = http.delete(f"{fake.base_url}/2/tweets/{theirs}", headers=headers)
        deleted = http.delete(f"{fake.base_url}/2/tweets/{ours}", headers=headers)
        gone = http.get(f"{fake.base_url}/2/tweets/{ours}", headers=headers)

    assert refused.status_code == 403
    assert (
        deleted.status_code == 200
        and shape_differences(recorded[0]["response"]["body"], deleted.json()) == []
    )
    assert gone.status_code == 200 and shape_differences(recorded[1]["response"]["body"], gone.json()) == []


# --- X: replies to our own posts can be hidden ---------------------------------------------------------

X_REPLY = "1232720193182412800"


def test_x_hides_and_shows_a_reply_as_documented(http: httpx.Client) -> None:
    from networks.providers.x import XProvider

    recorded = load("x", "hide_reply")["exchanges"]
    with ReplayServer(recorded) as network:
        account = Account(Network.X, X_US, network.base_url, Credentials("token"), handle="demobakery")
        provider = XProvider(account, http=http)
        provider.hide_comment(comment_id=X_REPLY, hidden=True)
        provider.hide_comment(comment_id=X_REPLY, hidden=False)
        sent = [(method, path, json.loads(body)) for method, path, _query, body in network.requests]

    assert sent == [(e["request"]["method"], e["request"]["path"], e["request"]["json"]) for e in recorded]
    assert XProvider.supports(Capability.HIDE) and not XProvider.supports(Capability.PRIVATE_REPLY)


def test_the_x_fake_hides_only_replies_in_conversations_the_account_started(http: httpx.Client) -> None:
    from networks.fakes.x import XFake

    recorded = load("x", "hide_reply")["exchanges"]
    with XFake() as fake:
        brand, fan = fake.add_user("demobakery", "Demo Bakery"), fake.add_user("lea", "Léa")
        scopes = ("tweet.read", "users.read", "tweet.write", "tweet.moderate.write")
        token = fake.issue_token(brand, scopes=scopes)["access_token"]
        without = fake.issue_token(brand, scopes=scopes[:3])["access_token"]
        ours = fake.add_tweet(brand, "Fresh bread today")
        reply = fake.add_tweet(fan, "@demobakery rye?", in_reply_to=ours)
        elsewhere = fake.add_tweet(
            fan, "@demobakery you should see this", in_reply_to=fake.add_tweet(fan, "x")
        )

        def put(tweet_id: str, hidden: object, bearer: str = token) -> httpx.Response:
            url = f"{fake.base_url}/2/tweets/{tweet_id}/hidden"
            return http.put(url, json={"hidden": hidden}, headers={"Authorization": f"Bearer {bearer}"})

        hidden, shown = put(reply, True), put(reply, False)
        not_ours, root, no_scope, garbled = (
            put(elsewhere, True),
            put(ours, True),
            put(reply, True, without),
            put(reply, "yes"),
        )

    for index, answer in enumerate((hidden, shown)):
        assert answer.status_code == recorded[index]["response"]["status"]
        assert answer.json() == recorded[index]["response"]["body"]
    assert [not_ours.status_code, root.status_code, no_scope.status_code, garbled.status_code] == [
        403,
        403,
        403,
        400,
    ]
