"""Google Business Profile contract fixtures (the v4 reviews reference, the Account Management and Business
Information v1 references, the quota page), replayed against GoogleBusinessProvider and compared with what
GoogleBusinessFake answers for the same requests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest

from networks.fakes.google_business import SCOPE, GoogleBusinessFake
from networks.providers.base import (
    Account,
    AuthExpired,
    Credentials,
    ItemKind,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    RateLimited,
    ReplyTarget,
)
from networks.providers.google_business import GoogleBusinessProvider, review_reply_id
from tests.contracts.replay import ReplayServer, fill, load, shape_differences

LOCATION = "accounts/104421829034582765310/locations/8270192873651823019"
REVIEW = f"{LOCATION}/reviews/AbFvOqlz7FQb0Gl1OeoJHvMh4ea0rjM"


def stamp(moment: dt.datetime, digits: int) -> str:
    base = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}Z" if not digits else f"{base}.{f'{moment.microsecond:06d}000'[:digits]}Z"


def times() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=123456)
    days = lambda n: now - dt.timedelta(days=n)  # noqa: E731
    return {
        "now_3": stamp(now, 3),
        "yesterday_3": stamp(days(1), 3),
        "two_days_ago_9": stamp(days(2), 9),
        "three_days_ago_0": stamp(days(3), 0),
        "four_days_ago_6": stamp(days(4), 6),
        "ten_days_ago_6": stamp(days(10), 6),
    }


def client(base_url: str, http: httpx.Client, location: str = LOCATION) -> GoogleBusinessProvider:
    account = Account(Network.GOOGLE_BUSINESS, location, base_url, Credentials("ya29.token"))
    return GoogleBusinessProvider(account, http=http, lookback=dt.timedelta(days=30))


# --- against the client ----------------------------------------------------------------------------------


def test_documented_reviews_are_read_across_pages_with_their_stars_and_reply(http):
    fixture = load("google_business", "list_reviews")
    with ReplayServer(fill(fixture["exchanges"], **times())) as network:
        result = client(network.base_url, http).poll(cursor={})

    items = {item.external_id: item for item in result.items}
    assert result.skipped == 0 and not result.has_more
    review = items[REVIEW]
    assert (review.kind, review.rating, review.author and review.author.name) == (
        ItemKind.REVIEW,
        1,
        "Camille Durand",
    )
    reply = items[review_reply_id(REVIEW)]
    assert reply.text.startswith("Bonjour Camille") and reply.author and reply.author.external_id == LOCATION
    silent = items[f"{LOCATION}/reviews/AbFvOqnN1ZkY6bQf0c9AsX3Yg2Mw"]
    assert (silent.rating, silent.text, silent.author and silent.author.avatar_url) == (5, "", "")
    edited = items[f"{LOCATION}/reviews/AbFvOqkP4Rz9mWd2"]
    assert edited.edited_at is not None and edited.edited_at > edited.created_at
    assert result.server_limits == {
        "average_rating": 3.4,
        "total_review_count": 3,
        "counted_at": result.server_limits and result.server_limits["counted_at"],
    }
    # The mark is the newest change; the cursor remembers what sits near it (older ones are days below).
    assert result.cursor["seen"] == {REVIEW: result.cursor["mark"]}


def test_documented_accounts_and_locations_become_one_choice_per_shop(http):
    fixture = load("google_business", "connect")
    with ReplayServer(fixture["exchanges"]) as network:
        app = OAuthApp("client.apps.googleusercontent.com", "secret", network.base_url, network.base_url)
        found = GoogleBusinessProvider.connectable(
            app, http=http, code="4/0Aexample", redirect_uri="https://cmhub.example/cb/", verifier="v" * 43
        )
    assert [(c.external_id, c.name) for c in found] == [
        (LOCATION, "Boulangerie Durand - Croix-Rousse"),
        ("accounts/112233445566778899001/locations/5512093847561029384", "Boulangerie Durand - Part-Dieu"),
    ]
    assert found[0].server_limits["maps_uri"] == "https://maps.google.com/maps?cid=1234567890123456789"
    assert found[0].credentials.refresh_token == "1//0gexample-refresh"


def test_documented_reply_is_put_and_read_back_and_deleted(http):
    put = load("google_business", "update_reply")["exchanges"]
    get = fill(load("google_business", "get_review")["exchanges"], **times())
    delete = load("google_business", "delete_reply")["exchanges"]
    with ReplayServer(put + get + delete) as network:
        provider = client(network.base_url, http)
        target = ReplyTarget(REVIEW, ItemKind.REVIEW, thread_root_external_id=REVIEW)
        sent = provider.reply(target=target, text="Merci Camille, nous revoyons la cuisson.")
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
        found = provider.find_reply(
            target=target, text="Merci Camille, nous revoyons la cuisson.", since=since
        )
        provider.delete_comment(comment_id=sent.external_id)
        method, path, _query, body = network.requests[0]

    assert (method, json.loads(body)) == ("PUT", {"comment": "Merci Camille, nous revoyons la cuisson."})
    assert path == f"/v4/{REVIEW}/reply"
    assert found is not None and sent.external_id == found.external_id == review_reply_id(REVIEW)
    assert [r[0] for r in network.requests] == ["PUT", "GET", "DELETE"]


def test_documented_errors_map_to_their_classes(http):
    fixture = load("google_business", "errors")
    with ReplayServer(fixture["exchanges"]) as network:
        with pytest.raises(RateLimited) as limited:
            client(network.base_url, http, "accounts/1/locations/429").poll(cursor={})
        with pytest.raises(PermissionMissing):
            client(network.base_url, http, "accounts/1/locations/403").poll(cursor={})
        with pytest.raises(NotFound):
            target = "accounts/1/locations/404/reviews/gone"
            client(network.base_url, http, "accounts/1/locations/404").find_reply(
                target=ReplyTarget(target, ItemKind.REVIEW), text="x", since=dt.datetime.now(dt.UTC)
            )
        with pytest.raises(AuthExpired):
            client(network.base_url, http, "accounts/1/locations/401").poll(cursor={})
    wait = limited.value.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=30) < wait <= dt.timedelta(minutes=2)  # a per-minute quota, not a daily one


# --- against the fake ------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[tuple[GoogleBusinessFake, str]]:
    with GoogleBusinessFake() as server:
        server.add_account("104421829034582765310", "Camille Bakery")
        server.add_location(
            "104421829034582765310", "8270192873651823019", "Boulangerie Durand - Croix-Rousse"
        )
        yield server, server.google_issue((SCOPE,))["access_token"]


def ask(http: httpx.Client, server: GoogleBusinessFake, token: str, request: dict) -> httpx.Response:
    return http.request(
        request["method"],
        f"{server.base_url}{request['path']}",
        params=request.get("query"),
        headers={"Authorization": f"Bearer {token}"},
        json={"comment": "Merci !"} if request["method"] == "PUT" else None,
    )


def test_the_fake_lists_reviews_in_the_documented_shape(http, fake):
    server, token = fake
    review = server.add_review(LOCATION, stars=1, comment="Brûlé", reviewer="Camille")
    server.dashboard_reply(review, "Désolés")
    recorded = load("google_business", "list_reviews")["exchanges"][0]
    answer = ask(http, server, token, recorded["request"])
    assert answer.status_code == 200
    assert shape_differences({**recorded["response"]["body"], "nextPageToken": None}, answer.json()) == [
        "$.nextPageToken: missing from the fake's answer"  # one page only here
    ]
    assert answer.json()["reviews"][0]["reviewReply"]["comment"] == "Désolés"


def test_the_fake_answers_accounts_locations_reply_and_errors_as_documented(http, fake):
    server, token = fake
    exchanges = load("google_business", "connect")["exchanges"]
    accounts, locations = exchanges[1], exchanges[2]
    assert (
        shape_differences(
            {"accounts": [accounts["response"]["body"]["accounts"][0]]},
            ask(http, server, token, accounts["request"]).json(),
        )
        == []
    )
    assert (
        shape_differences(
            locations["response"]["body"], ask(http, server, token, locations["request"]).json()
        )
        == []
    )
    review = server.add_review(LOCATION, stars=2, comment="Bof")
    put = load("google_business", "update_reply")["exchanges"][0]
    answer = ask(http, server, token, {**put["request"], "path": f"/v4/{review}/reply"})
    assert shape_differences(put["response"]["body"], answer.json()) == []
    deleted = ask(http, server, token, {"method": "DELETE", "path": f"/v4/{review}/reply"})
    assert (deleted.status_code, deleted.json()) == (200, {})
    errors = load("google_business", "errors")["exchanges"]
    gone = ask(http, server, token, {"method": "GET", "path": f"/v4/{LOCATION}/reviews/nope"})
    assert gone.status_code == 404 and shape_differences(errors[2]["response"]["body"], gone.json()) == []
    server.quota_exhausted()
    limited = ask(http, server, token, {"method": "GET", "path": f"/v4/{LOCATION}/reviews"})
    assert (
        limited.status_code == 429 and shape_differences(errors[0]["response"]["body"], limited.json()) == []
    )
    expired = ask(http, server, "ya29.expired", {"method": "GET", "path": f"/v4/{LOCATION}/reviews"})
    assert (
        expired.status_code == 401 and shape_differences(errors[3]["response"]["body"], expired.json()) == []
    )
