"""LinkedIn contract fixtures, replayed against LinkedInProvider and against LinkedInFake (issue 13)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, quote

import httpx
import pytest

from networks.fakes.linkedin import LinkedInFake
from networks.providers.base import Account, Credentials, ItemKind, Network, ReplyTarget
from networks.providers.linkedin import LINKEDIN_VERSION, LinkedInProvider
from tests.contracts.replay import ReplayServer, load, shape_differences

ORG = "urn:li:organization:2414183"
POST = "urn:li:share:6844785523593134080"
TOP = "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562688)"
NO_ACTOR = "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562699)"
NESTED = "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562700)"


def client(base_url: str, http: httpx.Client, **credentials: str) -> LinkedInProvider:
    account = Account(
        Network.LINKEDIN, ORG, base_url, Credentials(credentials.pop("token", "t"), **credentials)
    )
    # These cases are about comments; mentions have their own fixture (test_linkedin_mentions.py).
    return LinkedInProvider(
        account,
        http=http,
        client_id="cid",
        client_secret="secret",
        oauth_base_url=base_url,
        poll_mentions=False,
    )


def reversed_lists(fixture: dict) -> list[dict]:
    """The same exchanges with every comment list in the opposite order."""
    exchanges = copy.deepcopy(fixture["exchanges"])
    for exchange in exchanges:
        body = exchange["response"].get("body") or {}
        if "comments" in exchange["request"]["path"] and isinstance(body.get("elements"), list):
            body["elements"].reverse()
    return exchanges


# --- against the production client ------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["as recorded (oldest first)", "newest first"])
def test_the_poll_reads_nested_replies_and_comments_without_actor_in_any_order(
    http: httpx.Client, order: str
) -> None:
    fixture = load("linkedin", "comments_nested_and_without_actor")
    exchanges = fixture["exchanges"] if order.startswith("as") else reversed_lists(fixture)
    with ReplayServer(exchanges, reuse=True) as network:
        result = client(network.base_url, http).poll(cursor={})
        again = client(network.base_url, http).poll(cursor=result.cursor)

    by_id = {item.external_id: item for item in result.items}
    assert list(by_id) == [TOP, NESTED, NO_ACTOR]  # oldest first, whatever order the lists came in
    assert (by_id[NESTED].kind, by_id[NESTED].parent_external_id) == (ItemKind.REPLY, TOP)
    assert by_id[NESTED].thread_root_external_id == TOP
    assert by_id[NO_ACTOR].author is None  # stored, author unknown
    assert by_id[NO_ACTOR].text == "Where can I buy it?"
    assert again.items == []  # nothing twice


def test_a_reply_to_a_nested_comment_is_created_under_the_parent_comment(http: httpx.Client) -> None:
    fixture = load("linkedin", "nested_reply_created_under_parent")
    target = ReplyTarget(
        NESTED,
        ItemKind.REPLY,
        post_external_id=POST,
        parent_external_id=TOP,
        thread_root_external_id=TOP,
    )
    with ReplayServer(fixture["exchanges"]) as network:
        result = client(network.base_url, http).reply(target=target, text="Yes, fully vegan!")
        method, path, _query, _body = network.requests[0]

    assert (method, path) == ("POST", f"/rest/socialActions/{quote(TOP, safe='')}/comments")
    assert result.external_id == "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562777)"


def test_the_read_back_of_an_ambiguous_reply_looks_under_the_parent_comment(http: httpx.Client) -> None:
    created = load("linkedin", "nested_reply_created_under_parent")["exchanges"][0]["response"]["body"]
    listing = {
        "request": {"method": "GET", "path": f"/rest/socialActions/{quote(TOP, safe='')}/comments"},
        "response": {
            "status": 200,
            "body": {"paging": {"start": 0, "count": 20, "total": 1, "links": []}, "elements": [created]},
        },
    }
    post_list = load("linkedin", "comments_nested_and_without_actor")["exchanges"][1]
    target = ReplyTarget(TOP, ItemKind.COMMENT, post_external_id=POST, thread_root_external_id=TOP)
    since = dt.datetime.fromtimestamp(1630000250, dt.UTC)
    with ReplayServer([listing, post_list], reuse=True) as network:
        found = client(network.base_url, http).find_reply(
            target=target, text="Yes, fully vegan!", since=since
        )

    assert found is not None and found.external_id == created["commentUrn"]


def test_a_channel_with_a_refresh_token_is_refreshed(http: httpx.Client) -> None:
    fixture = load("linkedin", "refresh_token")
    body = fixture["exchanges"][0]["response"]["body"]
    with ReplayServer(fixture["exchanges"]) as network:
        new = client(network.base_url, http, token="old", refresh_token="r1").refresh_credentials()
        _method, _path, _query, form = network.requests[0]

    assert parse_qs(form.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["r1"],
        "client_id": ["cid"],
        "client_secret": ["secret"],
    }
    assert (new.access_token, new.refresh_token) == (body["access_token"], body["refresh_token"])
    assert new.expires_at is not None


# --- against the fake: the same requests get answers of the same shape ------------------------------------


@pytest.fixture
def fake() -> Iterator[LinkedInFake]:
    with LinkedInFake() as server:
        yield server


def _get(http: httpx.Client, fake: LinkedInFake, token: str, path: str, **params: str) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    return http.get(f"{fake.base_url}{path}", params=params, headers=headers)


def test_the_fake_lists_first_level_comments_and_nested_ones_as_documented(
    http: httpx.Client, fake: LinkedInFake
) -> None:
    recorded = load("linkedin", "comments_nested_and_without_actor")["exchanges"]
    admin = fake.add_member("Ana", "ana")
    org = fake.add_organization("Acme", admins=[admin])
    member = fake.add_member("Bob", "bob")
    token = fake.issue_token(admin)["access_token"]
    post = fake.add_post(org, "Our new sourdough is out")
    top = fake.add_comment(post, member, "Is it vegan?")
    nested = fake.add_comment(post, member, "Asking too", parent=top)
    fake.add_comment(post, member, "Where can I buy it?", without_actor=True)

    posts = _get(http, fake, token, "/rest/posts", q="author", author=org).json()
    first_level = _get(http, fake, token, f"/rest/socialActions/{quote(post, safe='')}/comments").json()
    replies = _get(http, fake, token, f"/rest/socialActions/{quote(top, safe='')}/comments").json()

    assert shape_differences(recorded[0]["response"]["body"], posts) == []
    with_actor = next(c for c in first_level["elements"] if c["commentUrn"] == top)
    assert shape_differences(recorded[1]["response"]["body"]["elements"][0], with_actor) == []
    assert shape_differences(recorded[2]["response"]["body"], replies) == []
    assert [c["commentUrn"] for c in replies["elements"]] == [nested]
    assert nested not in [c["commentUrn"] for c in first_level["elements"]]  # never inline
    without = next(c for c in first_level["elements"] if c["commentUrn"] != top)
    assert "actor" not in without


def test_the_fake_creates_a_nested_comment_under_its_parent_and_refuses_it_inline(
    http: httpx.Client, fake: LinkedInFake
) -> None:
    recorded = load("linkedin", "nested_reply_created_under_parent")["exchanges"][0]["response"]
    admin = fake.add_member("Ana", "ana")
    org = fake.add_organization("Acme", admins=[admin])
    token = fake.issue_token(admin)["access_token"]
    post = fake.add_post(org)
    top = fake.add_comment(post, fake.add_member("Bob"), "Is it vegan?")
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    body = {"actor": org, "object": post, "message": {"text": "Yes"}, "parentComment": top}

    inline = http.post(
        f"{fake.base_url}/rest/socialActions/{quote(post, safe='')}/comments", json=body, headers=headers
    )
    nested = http.post(
        f"{fake.base_url}/rest/socialActions/{quote(top, safe='')}/comments", json=body, headers=headers
    )

    assert inline.status_code == 400
    assert nested.status_code == recorded["status"]
    assert shape_differences(recorded["body"], nested.json()) == []
    assert nested.headers["x-restli-id"] == nested.json()["commentUrn"]


def test_the_fake_refreshes_a_refresh_token_as_documented(http: httpx.Client, fake: LinkedInFake) -> None:
    recorded = load("linkedin", "refresh_token")["exchanges"][0]["response"]
    member = fake.add_member("Ana")
    refresh_token = fake.issue_refresh_token(member)
    answer = http.post(
        f"{fake.base_url}/oauth/v2/accessToken",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
    )
    assert answer.status_code == recorded["status"]
    assert shape_differences(recorded["body"], answer.json()) == []


# --- edits and deletions (issue 13, item 9) ---------------------------------------------------------------

EDITED = "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562688)"
DELETED = "urn:li:comment:(urn:li:activity:6844785523593134081,6636062862760562690)"


def test_an_edit_comes_back_as_a_reread_and_a_deletion_as_a_listing_without_it(http: httpx.Client) -> None:
    fixture = load("linkedin", "comment_edited_and_deleted")
    with ReplayServer(fixture["exchanges"]) as network:
        first = client(network.base_url, http).poll(cursor={})
        second = client(network.base_url, http).poll(cursor=first.cursor)

    assert {item.external_id for item in first.items} == {EDITED, DELETED}
    assert all(item.edited_at is None for item in first.items)  # lastModified == created: not edited
    assert second.items == []  # nothing new
    (edit,) = second.reread
    assert (edit.external_id, edit.text) == (EDITED, "Is it vegan and gluten-free?")
    assert edit.edited_at == dt.datetime.fromtimestamp(1630000900, dt.UTC)
    (listing,) = second.listings
    assert (listing.post_external_id, listing.item_ids) == (POST, frozenset({EDITED}))


def test_the_fake_edits_and_deletes_as_the_recording_shows(http: httpx.Client) -> None:
    recorded = load("linkedin", "comment_edited_and_deleted")["exchanges"][3]["response"]["body"]
    with LinkedInFake() as fake:
        admin = fake.add_member("Ana Admin", "ana")
        org = fake.add_organization("Acme Bakery", admins=[admin])
        member = fake.add_member("Bob Public", "bob")
        post = fake.add_post(org, "Our new sourdough is out")
        kept = fake.add_comment(post, member, "Is it vegan?")
        gone = fake.add_comment(post, member, "Terrible idea")
        fake.edit_comment(kept, "Is it vegan and gluten-free?")
        fake.delete_comment(gone)
        token = fake.issue_token(admin)["access_token"]
        body = client(fake.base_url, http, token=token)._comments_page(post, 0)

    assert shape_differences(recorded, body) == []
    (comment,) = body["elements"]
    assert comment["commentUrn"] == kept and comment["message"]["text"] == "Is it vegan and gluten-free?"
    assert comment["lastModified"]["time"] > comment["created"]["time"]
