"""YouTube contract fixtures (developers.google.com/youtube/v3/docs resource representations and the errors
page), replayed against YouTubeProvider and compared with what YouTubeFake answers for the same requests."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from networks.fakes.youtube import YouTubeFake
from networks.providers import base as p
from networks.providers.youtube import YouTubeProvider
from networks.providers.youtube_wire import quota_resets_at
from tests.contracts.replay import ReplayServer, fill, load, shape_differences

CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"  # the documentation's example channel (Google for Developers)
TOP = "UgzDE2tasfmrYLyNkGt4AaABAg"
HELD = "UgwHeldForReviewExample4AaABAg"


def _times() -> dict[str, str]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def iso(delta: dt.timedelta) -> str:
        return (now - delta).isoformat().replace("+00:00", "Z")

    return {
        "recent": iso(dt.timedelta(hours=3)),
        "recent_reply": iso(dt.timedelta(hours=2)),
        "edited": iso(dt.timedelta(hours=1)),
    }


def client(base_url: str, http: httpx.Client) -> YouTubeProvider:
    return YouTubeProvider(
        p.Account(p.Network.YOUTUBE, CHANNEL, base_url, p.Credentials("ya29.token")), http=http
    )


def replay(case: str) -> ReplayServer:
    return ReplayServer(fill(load("youtube", case)["exchanges"], **_times()))


# --- against the client ----------------------------------------------------------------------------------


def test_a_thread_listing_becomes_a_comment_and_its_reply_and_the_held_one_comes_held():
    with replay("comment_threads_list") as server, httpx.Client() as http:
        result = client(server.base_url, http).poll(cursor={})
    items = {item.external_id: item for item in result.items}
    top, held = items[TOP], items[HELD]
    reply = items[f"{TOP}.9iPXEClD9lW9iPXLqKy_Pt"]
    assert top.kind == p.ItemKind.COMMENT and top.text == "Vous ouvrez le dimanche ?\nMerci & bravo"
    assert top.author is not None and top.author.external_id == "UCfan0000000000000000001"
    assert top.permalink == f"https://www.youtube.com/watch?v=wtLJPvx7-ys&lc={TOP}"
    assert reply.kind == p.ItemKind.REPLY and reply.thread_root_external_id == TOP
    assert reply.text == "Same question 1:23"  # the timestamp link's words, not its address
    assert reply.edited_at is not None  # updatedAt after publishedAt
    assert held.held and held.moderation_known and held.text == "Premier commentaire, c'est ouvert ?"
    assert not top.held and top.moderation_known
    assert result.skipped == 0 and not result.has_more


def test_replies_beyond_the_inline_ones_are_paged_with_parent_id():
    with replay("comments_list_replies") as server, httpx.Client() as http:
        result = client(server.base_url, http).poll(cursor={})
        asked = [(path, q) for _m, path, q, _b in server.requests if path.endswith("/comments")]
    texts = sorted(i.text for i in result.items if i.kind == p.ItemKind.REPLY)
    assert texts == ["Oui, de 8 h à 13 h.", "Same question 1:23"]
    assert [q.get("pageToken", [""])[0] for _path, q in asked] == ["", "QURTSl9pM0hBVw"]


def test_the_channels_of_the_account_are_the_connectables():
    with replay("channels_mine") as server, httpx.Client() as http:
        found = client(server.base_url, http).my_channels(p.Credentials("ya29.token", "1//refresh"))
    assert [(c.external_id, c.name, c.handle) for c in found] == [
        (CHANNEL, "Google for Developers", "googledevelopers")
    ]
    assert found[0].avatar_url.startswith("https://yt3.ggpht.com/")


def test_insert_moderate_and_delete_as_documented():
    with replay("comments_insert_and_moderate") as server, httpx.Client() as http:
        yt = client(server.base_url, http)
        sent = yt.reply(
            target=p.ReplyTarget(TOP, p.ItemKind.COMMENT, thread_root_external_id=TOP),
            text="Yes, from 8 to 1.",
        )
        yt.hide_comment(comment_id=HELD, hidden=False)
        yt.block_author(author_id="UCfan0000000000000000003", comment_id=HELD)
        yt.delete_comment(comment_id=sent.external_id)  # ours: comments.delete, not a rejection
        bodies = [b for m, path, _q, b in server.requests if m == "POST" and path == "/youtube/v3/comments"]
    assert sent.external_id == f"{TOP}.9iPXEClD9lW9iPYxYzAbCd"
    assert bodies and b'"parentId":"UgzDE2tasfmrYLyNkGt4AaABAg"' in bodies[0].replace(b" ", b"")
    assert all(server.used), "every documented exchange was called"


@pytest.mark.parametrize(
    ("index", "error"),
    [
        (0, p.RateLimited),
        (1, p.Invalid),
        (2, p.PermissionMissing),
        (3, p.NotFound),
        (4, p.Invalid),
        (5, p.AuthExpired),
    ],
)
def test_the_documented_errors_map_to_the_providers_errors(index, error):
    exchanges = load("youtube", "errors")["exchanges"]
    with ReplayServer([exchanges[index]], reuse=True) as server, httpx.Client() as http:
        yt = client(server.base_url, http)
        calls = [
            lambda: yt.poll(cursor={}),
            lambda: yt.reply(target=p.ReplyTarget(TOP, p.ItemKind.COMMENT), text="hi"),
            lambda: yt.hide_comment(comment_id="UgyForbidden", hidden=True),
            lambda: yt.hide_comment(comment_id="UgyGone", hidden=True),
            lambda: yt.hide_comment(comment_id="UgyBan", hidden=True),
            lambda: yt.my_channels(p.Credentials("x")),
        ]
        with pytest.raises(error) as raised:
            calls[index]()
    if index == 0:  # the daily quota: until midnight in California
        assert raised.value.reset_at == quota_resets_at(dt.datetime.now(dt.UTC))


# --- against the fake --------------------------------------------------------------------------------------


@pytest.fixture
def fake():
    with YouTubeFake() as yt:
        yt.add_channel(CHANNEL, "Google for Developers", handle="googledevelopers")
        yt.add_video("wtLJPvx7-ys", CHANNEL, "Keynote")
        top = yt.add_comment(
            "wtLJPvx7-ys", "UCfan0000000000000000001", "Vous ouvrez ?", author_name="@margaux"
        )
        yt.add_comment("wtLJPvx7-ys", "UCfan0000000000000000002", "Same", parent=top)
        yt.add_comment("wtLJPvx7-ys", "UCfan0000000000000000004", "Oui", parent=top)
        yt.add_comment("wtLJPvx7-ys", "UCfan0000000000000000003", "held", status="heldForReview")
        yt.top = top  # type: ignore[attr-defined]
        yield yt


def _ask(fake, http, method, path, query, json=None):
    token = fake.issue_token()["access_token"]
    return http.request(
        method,
        f"{fake.base_url}{path}",
        params=query,
        json=json,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize("case", ["comment_threads_list", "comments_list_replies", "channels_mine"])
def test_the_fake_answers_listings_in_the_documented_shapes(fake, case):
    exchanges = fill(load("youtube", case)["exchanges"], **_times())
    with httpx.Client() as http:
        for exchange in exchanges:
            request, recorded = exchange["request"], exchange["response"]
            query = {
                "part": "snippet,replies" if "Threads" in request["path"] else "snippet",
                **(request.get("query") or {}),
            }
            if "parentId" in query:
                query["parentId"] = fake.top
                query.pop("pageToken", None)
                query["maxResults"] = "1"
            if "moderationStatus" in query or "allThreadsRelatedToChannelId" in query:
                query["allThreadsRelatedToChannelId"] = CHANNEL
            answer = _ask(fake, http, request["method"], request["path"], query)
            assert answer.status_code == recorded["status"], answer.text
            body = recorded["body"]
            if not body.get("items"):
                continue
            problems = shape_differences(body, answer.json())
            assert problems == [], f"{request}: {problems}"


def test_the_fake_answers_an_insert_and_the_errors_as_documented(fake):
    recorded = load("youtube", "comments_insert_and_moderate")["exchanges"][0]["response"]["body"]
    errors = load("youtube", "errors")["exchanges"]
    with httpx.Client() as http:
        made = _ask(
            fake,
            http,
            "POST",
            "/youtube/v3/comments",
            {"part": "snippet"},
            {"snippet": {"parentId": fake.top, "textOriginal": "Yes"}},
        )
        assert made.status_code == 200 and shape_differences(fill(recorded, **_times()), made.json()) == []
        too_long = _ask(
            fake,
            http,
            "POST",
            "/youtube/v3/comments",
            {"part": "snippet"},
            {"snippet": {"parentId": fake.top, "textOriginal": "x" * 10_001}},
        )
        assert (
            too_long.status_code == 400
            and shape_differences(errors[1]["response"]["body"], too_long.json()) == []
        )
        assert too_long.json()["error"]["errors"][0]["reason"] == "commentTextTooLong"
        ban = _ask(
            fake,
            http,
            "POST",
            "/youtube/v3/comments/setModerationStatus",
            {"id": fake.top, "moderationStatus": "published", "banAuthor": "true"},
        )
        assert ban.json()["error"]["errors"][0]["reason"] == "banWithoutReject"
        gone = _ask(
            fake,
            http,
            "POST",
            "/youtube/v3/comments/setModerationStatus",
            {"id": "UgyGone", "moderationStatus": "published"},
        )
        assert gone.status_code == 404 and gone.json()["error"]["errors"][0]["reason"] == "commentNotFound"
        done = _ask(
            fake,
            http,
            "POST",
            "/youtube/v3/comments/setModerationStatus",
            {"id": fake.top, "moderationStatus": "heldForReview"},
        )
        assert done.status_code == 204 and done.content == b""
        fake.set_quota_limit(fake.quota_spent())
        spent = _ask(
            fake,
            http,
            "GET",
            "/youtube/v3/commentThreads",
            {"part": "snippet", "allThreadsRelatedToChannelId": CHANNEL},
        )
        assert (
            spent.status_code == 403 and shape_differences(errors[0]["response"]["body"], spent.json()) == []
        )
        assert spent.json()["error"]["errors"][0] == {**errors[0]["response"]["body"]["error"]["errors"][0]}
        fake.set_quota_limit(10_000)
        fake.google_expire_access_tokens()
        expired = http.get(
            f"{fake.base_url}/youtube/v3/channels",
            params={"part": "snippet", "mine": "true"},
            headers={"Authorization": "Bearer nope"},
        )
        assert expired.status_code == 401 and expired.json()["error"]["status"] == "UNAUTHENTICATED"
        assert expired.json()["error"]["errors"][0]["reason"] == "authError"
