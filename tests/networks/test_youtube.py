"""The YouTube provider against the YouTube fake over real HTTP: connecting, the poll (paging back to the
mark, replies beyond the inline ones, held comments, edits, moderation done on YouTube itself), replies
exactly once, moderation, errors and the quota's refusals."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from networks.fakes import consent
from networks.fakes.base import Fault
from networks.fakes.youtube import SCOPE, YouTubeFake
from networks.providers import base as p
from networks.providers import youtube_wire as wire
from networks.providers.youtube import YouTubeProvider

BRAND = "UCbrandAAAAAAAAAAAAAAAAA"
ALICE = "UCaliceAAAAAAAAAAAAAAAAA"
BOB = "UCbobBBBBBBBBBBBBBBBBBBB"
REDIRECT = "https://cmhub.example/connect/youtube/callback/"


def _ago(minutes: float) -> str:
    return wire.format_time(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes))


@pytest.fixture
def fake():
    with YouTubeFake() as yt:
        yt.add_channel(BRAND, "Demo Bakery", handle="demobakery")
        yt.add_video("vid00000001", BRAND, "Croissants")
        yt.add_video("vid00000002", BRAND, "Baguettes")
        yield yt


@pytest.fixture
def http():
    with httpx.Client(timeout=5) as client:
        yield client


def provider(fake, http, **kwargs) -> YouTubeProvider:
    token = fake.issue_token()
    credentials = p.Credentials(token["access_token"], token.get("refresh_token", ""))
    app = p.OAuthApp(fake.google_client_id, fake.google_client_secret, fake.base_url, fake.base_url)
    account = p.Account(p.Network.YOUTUBE, BRAND, fake.base_url, credentials)
    return YouTubeProvider(account, http=http, app=app, **kwargs)


def test_connect_lists_the_channels_of_the_google_account(fake, http):
    fake.add_channel("UCsecondAAAAAAAAAAAAAAAA", "Demo Bakery Paris")
    fake.add_channel("UCsomeoneElseAAAAAAAAAAA", "Not ours", owner="other@example.com")
    app = p.OAuthApp(fake.google_client_id, fake.google_client_secret, fake.base_url, fake.base_url)
    asked = YouTubeProvider.consent(app, redirect_uri=REDIRECT, state="s", scopes=(SCOPE,))
    back = consent.approve(http, asked.url)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    found = YouTubeProvider.connectable(
        app, http=http, code=code, redirect_uri=REDIRECT, verifier=asked.verifier
    )
    assert sorted(c.name for c in found) == ["Demo Bakery", "Demo Bakery Paris"]
    first = next(c for c in found if c.external_id == BRAND)
    assert first.handle == "demobakery"
    assert first.credentials.refresh_token  # offline access: the channel keeps working past the hour


def test_poll_reads_comments_and_replies_oldest_first_then_only_new_ones(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Recette SVP ?", author_name="@alice", published_at=_ago(30))
    fake.add_comment("vid00000001", BOB, "+1", parent=top, published_at=_ago(20))
    fake.add_comment("vid00000002", BOB, "Love it", published_at=_ago(10))
    yt = provider(fake, http)
    first = yt.poll(cursor={})
    assert [i.text for i in first.items] == ["Recette SVP ?", "+1", "Love it"]
    reply = first.items[1]
    assert reply.kind == p.ItemKind.REPLY and reply.parent_external_id == top
    assert reply.thread_root_external_id == top and reply.post_external_id == "vid00000001"
    assert first.items[0].permalink == f"https://www.youtube.com/watch?v=vid00000001&lc={top}"
    assert not any(i.held for i in first.items)
    fake.add_comment("vid00000002", ALICE, "Encore !")
    second = yt.poll(cursor=first.cursor)
    new = [i for i in second.items if i.external_id not in {x.external_id for x in first.items}]
    assert [i.text for i in new] == ["Encore !"]


def test_the_walk_pages_back_to_the_mark(fake, http):
    for n in range(7):
        fake.add_comment("vid00000001", ALICE, f"comment {n}", published_at=_ago(60 - n))
    yt = provider(fake, http, page_size=2)
    result = yt.poll(cursor={})
    assert [i.text for i in result.items] == [f"comment {n}" for n in range(7)]
    pages = [r for r in fake.requests if r.path.endswith("/commentThreads") and not r.arg("moderationStatus")]
    assert [r.arg("pageToken") != "" for r in pages] == [False, True, True, True]
    assert all(r.arg("order") == "time" and r.arg("allThreadsRelatedToChannelId") == BRAND for r in pages)


def test_replies_beyond_the_inline_ones_are_read_with_parent_id(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Question", published_at=_ago(30))
    for n in range(8):
        fake.add_comment("vid00000001", BOB, f"reply {n}", parent=top)
    result = provider(fake, http).poll(cursor={})
    assert sorted(i.text for i in result.items if i.kind == p.ItemKind.REPLY) == sorted(
        f"reply {n}" for n in range(8)
    )
    assert any(r.arg("parentId") == top for r in fake.requests)


def test_held_and_likely_spam_comments_arrive_held(fake, http):
    fake.add_comment("vid00000001", ALICE, "Avis en attente", status="heldForReview", published_at=_ago(5))
    fake.add_comment("vid00000001", BOB, "Buy followers http://spam.example", status="likelySpam")
    result = provider(fake, http).poll(cursor={})
    held = {i.text: i for i in result.items}
    assert held["Avis en attente"].held and held["Avis en attente"].moderation_known
    assert held["Buy followers http://spam.example"].held


def test_text_display_html_is_made_plain(fake, http):
    fake.add_comment("vid00000001", ALICE, "a <b>bold</b> & line\nnext https://x.example/?a=1&b=2")
    item = provider(fake, http).poll(cursor={}).items[0]
    assert item.text == "a <b>bold</b> & line\nnext https://x.example/?a=1&b=2"


def test_a_comment_approved_on_youtube_itself_comes_back_published(fake, http):
    held = fake.add_comment("vid00000001", ALICE, "En attente", status="heldForReview")
    yt = provider(fake, http)
    first = yt.poll(cursor={})
    assert first.items[0].held
    fake.moderate_on_youtube(held, "published")
    second = yt.poll(cursor=first.cursor)
    back = {i.external_id: i for i in (*second.items, *second.reread)}[held]
    assert back.moderation_known and not back.held


def test_a_comment_rejected_on_youtube_is_gone(fake, http):
    held = fake.add_comment("vid00000001", ALICE, "En attente", status="heldForReview")
    yt = provider(fake, http)
    first = yt.poll(cursor={})
    fake.moderate_on_youtube(held, "rejected")
    assert held in yt.poll(cursor=first.cursor).gone


def test_an_edit_is_read_again_with_its_time(fake, http, time_machine):
    time_machine.move_to(dt.datetime.now(dt.UTC), tick=True)
    cid = fake.add_comment("vid00000001", ALICE, "Typo", published_at=_ago(30))
    fake.add_comment("vid00000001", BOB, "newer", published_at=_ago(20))  # the mark moves past the first
    yt = provider(fake, http)
    first = yt.poll(cursor={})
    fake.edit_comment(cid, "Fixed")
    time_machine.shift(dt.timedelta(minutes=11))  # the watched threads are read again every 10 minutes
    again = yt.poll(cursor=first.cursor)
    assert cid not in {i.external_id for i in again.items}  # not walked again: read again by id
    edited = {i.external_id: i for i in again.reread}[cid]
    assert edited.text == "Fixed" and edited.edited_at is not None


def test_a_reply_to_a_reply_goes_under_the_top_level_comment(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Q")
    sub = fake.add_comment("vid00000001", BOB, "me too", parent=top)
    target = p.ReplyTarget(sub, p.ItemKind.REPLY, parent_external_id=top, thread_root_external_id=top)
    sent = provider(fake, http).reply(target=target, text="Merci !")
    assert fake.inserts == [{"id": sent.external_id, "parentId": top, "textOriginal": "Merci !"}]
    assert sent.permalink.endswith(f"lc={sent.external_id}")


def test_an_unclear_reply_is_found_by_reading_the_thread_back(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Q")
    target = p.ReplyTarget(top, p.ItemKind.COMMENT, thread_root_external_id=top)
    yt = provider(fake, http)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    fake.inject(Fault(r"/youtube/v3/comments$", kind="drop_after", method="POST"))
    with pytest.raises(p.Ambiguous):
        yt.reply(target=target, text="Bonjour  \n")
    found = yt.find_reply(target=target, text="Bonjour", since=since)
    assert found is not None and found.external_id == fake.inserts[0]["id"]
    assert yt.find_reply(target=target, text="Bonjour", since=since, exclude={found.external_id}) is None
    assert len(fake.inserts) == 1


def test_a_server_error_to_an_insert_is_ambiguous(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Q")
    fake.inject(Fault(r"/youtube/v3/comments$", method="POST", response=_error(503, "backendError")))
    with pytest.raises(p.Ambiguous):
        provider(fake, http).reply(target=p.ReplyTarget(top, p.ItemKind.COMMENT), text="Hi")


def test_too_long_and_refused_texts(fake, http):
    top = fake.add_comment("vid00000001", ALICE, "Q")
    yt = provider(fake, http)
    with pytest.raises(p.Invalid):
        yt.reply(target=p.ReplyTarget(top, p.ItemKind.COMMENT), text="x" * 10_001)
    assert fake.inserts == []  # refused before anything was sent


def test_hold_approve_reject_and_ban(fake, http):
    cid = fake.add_comment("vid00000001", ALICE, "Hmm")
    yt = provider(fake, http)
    yt.hide_comment(comment_id=cid, hidden=True)
    assert yt.comment_state(comment_id=cid) == p.CommentState(exists=True, hidden=True)
    yt.hide_comment(comment_id=cid, hidden=False)
    assert yt.comment_state(comment_id=cid) == p.CommentState(exists=True, hidden=False)
    yt.block_author(author_id=ALICE, comment_id=cid)
    assert fake.moderations[-1] == {"id": cid, "moderationStatus": "rejected", "banAuthor": "true"}
    assert yt.comment_state(comment_id=cid).exists is False
    later = fake.add_comment("vid00000002", ALICE, "again")
    assert fake.comments[later]["moderationStatus"] == "rejected"  # banned: rejected as it comes
    with pytest.raises(p.Invalid):  # a rejected comment cannot be published again
        yt.hide_comment(comment_id=cid, hidden=False)


def test_delete_rejects_someone_elses_comment_and_deletes_our_own(fake, http):
    theirs = fake.add_comment("vid00000001", ALICE, "rude")
    yt = provider(fake, http)
    ours = yt.reply(target=p.ReplyTarget(theirs, p.ItemKind.COMMENT), text="Please be kind").external_id
    yt.delete_comment(comment_id=ours)
    assert ours not in fake.comments
    yt.delete_comment(comment_id=theirs)
    assert fake.comments[theirs]["moderationStatus"] == "rejected"
    with pytest.raises(p.NotFound):
        yt.delete_comment(comment_id=ours)


def test_publishing_is_refused_in_plain_words(fake, http):
    assert YouTubeProvider.supports_text_posts is False and YouTubeProvider.supports_image_posts is False
    with pytest.raises(p.Invalid, match="community posts"):
        provider(fake, http).publish(text="Hello")


def test_an_expired_token_is_auth_expired_and_refresh_brings_a_new_one(fake, http):
    yt = provider(fake, http)
    fake.google_expire_access_tokens()
    with pytest.raises(p.AuthExpired):
        yt.poll(cursor={})
    new = yt.refresh_credentials()
    assert new.access_token and new.refresh_token
    yt.poll(cursor={})


def test_quota_exceeded_is_rate_limited_until_midnight_pacific(fake, http):
    fake.set_quota_limit(2)
    with pytest.raises(p.RateLimited) as caught:
        provider(fake, http).poll(cursor={})
    reset = caught.value.reset_at
    assert reset is not None and reset == wire.quota_resets_at(dt.datetime.now(dt.UTC))
    assert reset.astimezone(wire.QUOTA_ZONE).time() == dt.time(0)


def test_quota_resets_at_midnight_pacific_across_dst():
    # 2026-03-08: California springs forward; the day is 23 hours long.
    before = dt.datetime(2026, 3, 8, 7, 59, tzinfo=dt.UTC)  # 23:59 PST on the 7th
    assert wire.quota_resets_at(before) == dt.datetime(2026, 3, 8, 8, 0, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 8, 8, 1, tzinfo=dt.UTC)
    assert wire.quota_resets_at(after) == dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)  # midnight PDT
    # 2026-11-01: back to PST; midnight is 08:00 UTC again.
    assert wire.quota_resets_at(dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)) == dt.datetime(
        2026, 11, 2, 8, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    "snippet",
    [
        {"publishedAt": "9999-12-31T23:59:59Z", "textDisplay": "future"},
        {"publishedAt": None, "textDisplay": "no time"},
        {"publishedAt": "2026-01-01T00:00:00Z", "textDisplay": ["not", "text"]},
        {},
    ],
)
def test_hostile_threads_are_skipped_and_the_rest_kept(fake, http, snippet):
    good = fake.add_comment("vid00000001", ALICE, "fine \x00 \ud800 ok", published_at=_ago(1))
    bad = {
        "kind": "youtube#commentThread",
        "id": "UgxHostile",
        "snippet": {"videoId": "vid00000001", "topLevelComment": {"id": "UgxHostile", "snippet": snippet}},
    }
    yt = provider(fake, http)
    # The hostile thread is served first on the published listing, beside a good one.
    fake.inject(
        Fault(
            r"/youtube/v3/commentThreads$",
            response=_ok({"items": [bad, *fake_threads(fake, http)]}),
        )
    )
    result = yt.poll(cursor={})
    assert [i.external_id for i in result.items if i.external_id == good] == [good]
    assert result.skipped >= 1 or all(i.text == "" for i in result.items if i.external_id == "UgxHostile")


def fake_threads(fake, http):
    token = fake.issue_token()["access_token"]
    answer = http.get(
        f"{fake.base_url}/youtube/v3/commentThreads",
        params={"part": "snippet,replies", "allThreadsRelatedToChannelId": BRAND},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.json()["items"]


def _ok(body):
    from networks.fakes.base import Response

    return Response(200, body)


def _error(code, reason):
    from networks.fakes.google_oauth import google_error

    return google_error(code, "Backend Error", status="UNAVAILABLE", reason=reason)
