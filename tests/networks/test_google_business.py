"""Google Business Profile: GoogleBusinessProvider against GoogleBusinessFake over HTTP (connect with the
Google sign-in, locations chosen after it, reviews paged back to the mark, edits, replies, errors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.http import make_client
from networks.fakes import consent
from networks.fakes.google_business import SCOPE, GoogleBusinessFake
from networks.providers import google_business as gb
from networks.providers.base import (
    Account,
    AuthExpired,
    Capability,
    Credentials,
    Invalid,
    ItemKind,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    RateLimited,
    ReplyTarget,
    TextKind,
)
from networks.providers.google_business import GoogleBusinessProvider, review_reply_id

REDIRECT = "https://cmhub.example/connect/callback/"
LOCATION = "accounts/111/locations/2001"


@pytest.fixture(scope="module")
def server() -> Iterator[GoogleBusinessFake]:
    with GoogleBusinessFake() as fake:
        yield fake


@pytest.fixture
def fake(server: GoogleBusinessFake) -> GoogleBusinessFake:
    server.reset()
    server.add_account("111", "Boulangerie Demo")
    server.add_location("111", "2001", "Boulangerie Demo, Lyon")
    return server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def app_of(fake: GoogleBusinessFake) -> OAuthApp:
    return OAuthApp(
        client_id=fake.google_client_id,
        client_secret=fake.google_client_secret,
        api_base_url=fake.base_url,
        oauth_base_url=fake.base_url,
    )


def provider(fake: GoogleBusinessFake, http: httpx.Client, **kwargs) -> GoogleBusinessProvider:
    token = fake.google_issue((SCOPE,))
    credentials = Credentials(token["access_token"], refresh_token=token["refresh_token"])
    account = Account(Network.GOOGLE_BUSINESS, LOCATION, fake.base_url, credentials, handle="Boulangerie")
    kwargs.setdefault("lookback", dt.timedelta(days=365))
    return GoogleBusinessProvider(account, http=http, app=app_of(fake), **kwargs)


def ago(**kwargs) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**kwargs)).isoformat()


# --- connect ---------------------------------------------------------------------------------------------


def test_a_chain_connects_each_location_once_after_the_google_sign_in(fake, http):
    fake.add_location("111", "2002", "Boulangerie Demo, Villeurbanne")
    fake.add_account("222", "Groupe Demo", type="LOCATION_GROUP")
    fake.add_location("222", "2002", "Boulangerie Demo, Villeurbanne")  # the same shop, in a group too
    fake.add_location("222", "3003", "Salon de thé Demo")
    fake.add_location(
        "222", "3004", "Salon de thé Demo", address={"locality": "Nantes", "addressLines": ["2 quai"]}
    )
    app = app_of(fake)
    asked = GoogleBusinessProvider.consent(app, redirect_uri=REDIRECT, state="st", scopes=gb.DEFAULT_SCOPES)
    assert parse_qs(urlsplit(asked.url).query)["scope"] == [SCOPE]
    back = consent.approve(http, asked.url)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]

    found = GoogleBusinessProvider.connectable(
        app, http=http, code=code, redirect_uri=REDIRECT, verifier=asked.verifier
    )

    assert [(c.external_id, c.name) for c in found] == [
        ("accounts/111/locations/2001", "Boulangerie Demo, Lyon"),
        ("accounts/111/locations/2002", "Boulangerie Demo, Villeurbanne"),
        ("accounts/222/locations/3003", "Salon de thé Demo · 1 rue de la Paix, Lyon"),
        ("accounts/222/locations/3004", "Salon de thé Demo · 2 quai, Nantes"),  # same title: the address
    ]
    assert found[0].handle == ""  # a place has no handle
    assert found[0].credentials.refresh_token  # Google sign-in with offline access
    assert found[0].server_limits["maps_uri"].startswith("https://maps.google.com/")
    masks = [r.query.get("readMask") for r in fake.requests if r.path.endswith("/locations")]
    assert masks and all(m == [gb.READ_MASK] for m in masks)  # the Business Information API requires one


def test_an_account_shared_without_rights_does_not_stop_the_others(fake, http, monkeypatch):
    fake.add_account("222", "Groupe Demo", type="LOCATION_GROUP")
    fake.add_location("222", "3003", "Salon de thé Demo")
    from networks.fakes.base import Fault
    from networks.fakes.google_oauth import google_error

    refused = google_error(403, "The caller does not have permission", status="PERMISSION_DENIED", reason="x")
    fake.inject(Fault(path_pattern=r"^/v1/accounts/222/locations$", response=refused))
    probe = provider(fake, http)
    assert probe.accounts() == [("accounts/111", "Boulangerie Demo"), ("accounts/222", "Groupe Demo")]
    with pytest.raises(PermissionMissing):
        probe.locations("accounts/222")


# --- reading ---------------------------------------------------------------------------------------------


def test_reviews_arrive_as_rated_threads_of_their_own(fake, http):
    one = fake.add_review(
        LOCATION, stars=1, comment="Pain rassis, accueil glacial.", reviewer="Léa", at=ago(days=3)
    )
    silent = fake.add_review(LOCATION, stars=5, at=ago(days=2))  # stars without words
    hidden = fake.add_review(LOCATION, stars=4, comment="Très bon", anonymous=True, at=ago(days=1))
    odd = fake.add_review(LOCATION, stars=0, comment="No stars given", at=ago(hours=5))
    fake.dashboard_reply(one, "Nous sommes désolés, Léa : appelez-nous.")

    result = provider(fake, http).poll(cursor={})

    by_id = {item.external_id: item for item in result.items}
    review = by_id[one]
    assert review.kind == ItemKind.REVIEW and review.rating == 1
    assert review.thread_root_external_id == one and review.text == "Pain rassis, accueil glacial."
    assert review.author is not None and review.author.name == "Léa"
    assert review.author.avatar_url.startswith("https://lh3.googleusercontent.com/")
    assert by_id[silent].text == "" and by_id[silent].rating == 5
    assert by_id[hidden].author is not None and by_id[hidden].author.name == "A Google user"
    assert by_id[hidden].author.avatar_url == ""
    assert by_id[odd].rating is None  # STAR_RATING_UNSPECIFIED
    reply = by_id[review_reply_id(one)]
    assert reply.kind == ItemKind.REPLY and reply.parent_external_id == one
    assert reply.thread_root_external_id == one
    assert reply.author is not None and reply.author.external_id == LOCATION  # ours: stored outbound
    assert result.server_limits is not None and result.server_limits["total_review_count"] == 4
    assert result.server_limits["average_rating"] == pytest.approx(3.3)
    asked = [r for r in fake.requests if r.path.endswith("/reviews")]
    assert asked[0].query["orderBy"] == ["updateTime desc"] and asked[0].query["pageSize"] == ["50"]


def test_the_next_poll_reads_only_what_changed_and_an_edit_keeps_its_id(fake, http):
    client = provider(fake, http)
    name = fake.add_review(LOCATION, stars=2, comment="Bof.", at=ago(hours=3))
    first = client.poll(cursor={})
    assert [i.external_id for i in first.items] == [name]

    again = client.poll(cursor=first.cursor)
    assert again.items == [] and not again.has_more

    fake.edit_review(name, comment="Finalement très bien, merci !", stars=4)
    edited = client.poll(cursor=again.cursor)
    (item,) = edited.items
    assert item.external_id == name and item.rating == 4 and item.text == "Finalement très bien, merci !"
    assert item.edited_at is not None and item.edited_at > item.created_at
    assert client.poll(cursor=edited.cursor).items == []


def test_a_long_history_is_paged_and_a_run_cut_by_its_budget_resumes_without_a_gap(fake, http, monkeypatch):
    names = [
        fake.add_review(LOCATION, stars=1 + n % 5, comment=f"avis {n}", at=ago(hours=200 - n))
        for n in range(120)
    ]
    monkeypatch.setattr(gb, "MAX_PAGES_PER_RUN", 1)
    client = provider(fake, http)

    seen: list[str] = []
    cursor: dict = {}
    for _run in range(5):
        result = client.poll(cursor=cursor)
        seen += [i.external_id for i in result.items]
        cursor = result.cursor
        if not result.has_more:
            break
        # Reviews arriving between two runs of a cut walk are read after it, not lost.
        if _run == 0:
            late = fake.add_review(LOCATION, stars=3, comment="arrivé pendant la lecture")
    assert not result.has_more
    # A review added mid-walk moves the page boundaries: one may come twice (the unique constraint stores
    # it once), none is missed.
    assert set(seen) == set(names) and len(seen) <= len(names) + 1
    after = client.poll(cursor=cursor)
    assert [i.external_id for i in after.items] == [late]
    assert client.poll(cursor=after.cursor).items == []


def test_a_first_poll_reads_back_only_the_lookback(fake, http):
    fake.add_review(LOCATION, stars=5, comment="Il y a longtemps", at=ago(days=400))
    recent = fake.add_review(LOCATION, stars=5, comment="Hier", at=ago(days=1))
    result = provider(fake, http, lookback=dt.timedelta(days=14)).poll(cursor={})
    assert [i.external_id for i in result.items] == [recent]


def test_hostile_reviews_are_skipped_and_the_rest_of_the_page_is_kept(fake, http):
    good = fake.add_review(LOCATION, stars=4, comment="Correct\x00 \ud800 et bon", at=ago(hours=1))
    for name, change in (
        (
            fake.add_review(LOCATION, stars=3, at=ago(hours=2)),
            {"createTime": "9999-12-31T23:59:59Z", "updateTime": "9999-12-31T23:59:59Z"},
        ),
        (fake.add_review(LOCATION, stars=3, at=ago(hours=3)), {"createTime": 17}),
        (fake.add_review(LOCATION, stars=3, at=ago(hours=4)), {"name": LOCATION + "/reviews/" + "x" * 400}),
        (fake.add_review(LOCATION, stars=3, at=ago(hours=5)), {"name": LOCATION + "/reviews/../../x"}),
        (
            fake.add_review(LOCATION, stars=3, at=ago(hours=6)),
            {"reviewer": "nobody", "starRating": ["FIVE"], "comment": 12},
        ),
    ):
        fake.reviews[name].update(change)

    result = provider(fake, http).poll(cursor={})

    assert result.skipped == 4
    texts = {i.external_id: i for i in result.items}
    assert good in texts and "\x00" not in texts[good].text
    odd = [i for i in result.items if i.external_id not in (good,)]
    assert len(odd) == 1 and odd[0].rating is None and odd[0].text == ""  # wrong types read as absent
    assert dt.datetime.fromisoformat(result.cursor["mark"]) < dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


def test_timestamps_with_0_3_6_or_9_fractional_digits_and_offsets_are_read():
    from networks.providers import google_business_wire as wire

    now = dt.datetime.now(dt.UTC)
    for value, micro in (
        ("2026-11-30T09:15:00Z", 0),
        ("2026-11-30T09:15:00.123Z", 123000),
        ("2026-11-30T09:15:00.123456Z", 123456),
        ("2026-11-30T09:15:00.123456789Z", 123456),
    ):
        assert wire.parse_time(value, now=now) == dt.datetime(2026, 11, 30, 9, 15, 0, micro, tzinfo=dt.UTC)
    assert wire.parse_time("2026-11-30T10:45:00+01:30", now=now) == dt.datetime(
        2026, 11, 30, 9, 15, tzinfo=dt.UTC
    )
    for bad in ("2026-11-30", "2026-11-30T09:15:00", "yesterday", "2026-11-30T09:15:00.1234567890Z"):
        with pytest.raises(ValueError):
            wire.parse_time(bad, now=now)


# --- errors ----------------------------------------------------------------------------------------------


def test_a_spent_per_minute_quota_sleeps_about_a_minute(fake, http):
    fake.quota_exhausted()
    with pytest.raises(RateLimited) as limited:
        provider(fake, http).poll(cursor={})
    wait = limited.value.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=30) < wait <= dt.timedelta(minutes=2)


def test_a_location_no_longer_granted_is_a_missing_permission_and_an_unknown_one_not_found(fake, http):
    fake.denied.add("locations/2001")
    with pytest.raises(PermissionMissing):
        provider(fake, http).poll(cursor={})
    fake.denied.clear()
    fake.locations.pop("locations/2001")
    with pytest.raises(NotFound):
        provider(fake, http).poll(cursor={})


def test_an_expired_access_token_is_renewed_once_and_kept(fake, http):
    fake.add_review(LOCATION, stars=5, comment="Top", at=ago(hours=1))
    stored: list[Credentials] = []
    client = provider(fake, http, on_credentials=stored.append)
    fake.google_expire_access_tokens()
    result = client.poll(cursor={})
    assert len(result.items) == 1 and len(stored) == 1
    assert stored[0].refresh_token == client.account.credentials.refresh_token  # Google keeps the same one

    fake.google_revoke()
    with pytest.raises(AuthExpired):
        client.poll(cursor={})


# --- answering -------------------------------------------------------------------------------------------


def target(name: str) -> ReplyTarget:
    return ReplyTarget(name, ItemKind.REVIEW, thread_root_external_id=name)


def test_a_reply_is_put_once_under_the_review_and_a_second_one_replaces_it(fake, http):
    name = fake.add_review(LOCATION, stars=1, comment="Déçu", at=ago(hours=1))
    client = provider(fake, http)
    sent = client.reply(target=target(name), text="Merci pour votre retour, appelez-nous.")
    assert sent.external_id == review_reply_id(name) == f"{name}/reply"
    again = client.reply(target=target(name), text="Nous avons changé de fournisseur, revenez !")
    assert again.external_id == sent.external_id  # one reply per review: the same id, replaced on Google
    assert [p["comment"] for p in fake.replies_to(name)] == [
        "Merci pour votre retour, appelez-nous.",
        "Nous avons changé de fournisseur, revenez !",
    ]
    assert fake.reviews[name]["reviewReply"]["comment"] == "Nous avons changé de fournisseur, revenez !"


def test_find_reply_reads_the_review_back(fake, http):
    name = fake.add_review(LOCATION, stars=2, comment="Moyen", at=ago(hours=1))
    client = provider(fake, http)
    since = dt.datetime.now(dt.UTC)
    assert client.find_reply(target=target(name), text="Merci", since=since) is None
    fake.dashboard_reply(name, "Merci ")
    found = client.find_reply(target=target(name), text="Merci", since=since)
    assert found is not None and found.external_id == review_reply_id(name)
    assert client.find_reply(target=target(name), text="Autre chose", since=since) is None
    assert (
        client.find_reply(target=target(name), text="Merci", since=since, exclude={found.external_id}) is None
    )
    later = since + dt.timedelta(hours=1)
    assert client.find_reply(target=target(name), text="Merci", since=later) is None  # an older reply


def test_the_reply_limit_is_4096_utf8_bytes(fake, http):
    name = fake.add_review(LOCATION, stars=3, at=ago(hours=1))
    client = provider(fake, http)
    limit = GoogleBusinessProvider.text_limit(TextKind.REPLY)
    assert (limit.max_length, limit.weighted) == (4096, True)
    assert GoogleBusinessProvider.text_length("é" * 2048) == 4096
    assert client.validate_reply("é" * 2048) == []
    assert "4,096" in client.validate_reply("é" * 2049)[0]
    with pytest.raises(Invalid):
        client.reply(target=target(name), text="🙂" * 1025)
    assert fake.replies_to(name) == []  # refused before anything was sent
    client.reply(target=target(name), text="é" * 2048)
    # The fake counts bytes itself: a client that let more through would be refused by "Google".
    import json as _json

    response = http.put(
        f"{fake.base_url}/v4/{name}/reply",
        content=_json.dumps({"comment": "é" * 2049}),
        headers={"Authorization": f"Bearer {client.account.credentials.access_token}"},
    )
    assert response.status_code == 400 and response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_only_reviews_of_this_location_are_answered(fake, http):
    client = provider(fake, http)
    with pytest.raises(Invalid):
        client.reply(target=target("accounts/9/locations/9/reviews/abc"), text="Merci")
    with pytest.raises(Invalid):
        client.reply(target=ReplyTarget("../../etc", ItemKind.REVIEW), text="Merci")
    assert not any(r.method == "PUT" for r in fake.requests)


def test_our_reply_is_deleted(fake, http):
    name = fake.add_review(LOCATION, stars=1, comment="Nul", at=ago(hours=1))
    client = provider(fake, http)
    sent = client.reply(target=target(name), text="Désolés.")
    assert GoogleBusinessProvider.supports(Capability.DELETE_OWN)
    client.delete_comment(comment_id=sent.external_id)
    assert fake.reply_deletes == [name] and "reviewReply" not in fake.reviews[name]
    with pytest.raises(NotFound):
        client.delete_comment(comment_id=sent.external_id)
    with pytest.raises(Invalid):
        client.delete_comment(comment_id=name)  # the review itself is the reviewer's


def test_no_posts_are_published():
    assert GoogleBusinessProvider.supports_text_posts is False
    assert GoogleBusinessProvider.supports_image_posts is False


def test_a_review_stamped_a_little_in_our_future_does_not_carry_the_mark_past_what_follows(fake, http):
    ahead = fake.add_review(LOCATION, stars=5, comment="Horloge en avance", at=ago(minutes=-10))
    client = provider(fake, http)
    first = client.poll(cursor={})
    assert [i.external_id for i in first.items] == [ahead]
    assert dt.datetime.fromisoformat(first.cursor["mark"]) <= dt.datetime.now(dt.UTC)
    late = fake.add_review(LOCATION, stars=2, comment="Écrit juste après", at=ago(minutes=1))
    second = client.poll(cursor=first.cursor)
    assert late in [i.external_id for i in second.items]
