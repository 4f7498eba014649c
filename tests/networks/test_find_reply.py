"""Provider.find_reply against each network's fake over real HTTP: a reply whose answer was lost (the fake
applies the write, then hangs up) is found again by reading the thread back, and nothing else is taken for
it: not a customer's identical words, not our identical answer elsewhere, not an answer already known."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from core.http import make_client
from networks.fakes.graph import GraphFake, drop_after_fault
from networks.fakes.linkedin import LinkedInFake
from networks.fakes.x import XFake
from networks.providers.base import Account, Ambiguous, Credentials, ItemKind, Network, ReplyTarget
from networks.providers.facebook import FacebookProvider
from networks.providers.instagram import InstagramProvider
from networks.providers.linkedin import LinkedInProvider
from networks.providers.x import XProvider

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with make_client(timeout=5) as client:
        yield client


def writes(fake, path_end: str) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path.endswith(path_end)]


# --- Facebook -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_server() -> Iterator[GraphFake]:
    with GraphFake(page_size=3) as fake:
        yield fake


@pytest.fixture
def graph(graph_server: GraphFake) -> GraphFake:
    graph_server.reset(page_size=3)
    return graph_server


def facebook(fake: GraphFake, page, http: httpx.Client) -> FacebookProvider:
    account = Account(Network.FACEBOOK, page.id, fake.base_url, Credentials(access_token=page.token))
    return FacebookProvider(account, http=http, page_size=3)


def test_facebook_finds_the_comment_whose_answer_was_lost(graph, http):
    page = graph.add_page("Acme Bakery")
    post = graph.add_post(page.id, "Menu")
    comment = graph.add_comment(post.id, "Vous livrez ?")
    provider = facebook(graph, page, http)
    target = ReplyTarget(comment.id, ItemKind.COMMENT, post_external_id=post.id)
    started = graph.now() - dt.timedelta(seconds=1)

    graph.inject(drop_after_fault(rf"/{comment.id}/comments$"))
    with pytest.raises(Ambiguous):
        provider.reply(target=target, text="Oui, dans tout Lyon.")
    # The thread moves on: customers answer with the same words, other answers pile up (paging at 3).
    graph.add_comment(post.id, "Oui, dans tout Lyon.", parent_id=comment.id)
    for n in range(4):
        graph.add_comment(post.id, f"Merci {n}", parent_id=comment.id)

    found = provider.find_reply(target=target, text="  Oui, dans tout Lyon.\r\n", since=started)

    [written] = [
        c for c in graph.objects.values() if getattr(c, "author", None) == {"id": page.id, "name": page.name}
    ]
    assert found is not None and found.external_id == written.id
    assert found.permalink.startswith("https://www.facebook.com/")
    assert len(writes(graph, f"/{comment.id}/comments")) == 1
    assert (
        provider.find_reply(target=target, text="Oui, dans tout Lyon.", since=started, exclude={written.id})
        is None
    )
    assert provider.find_reply(target=target, text="Non.", since=started) is None
    later = graph.now() + dt.timedelta(minutes=5)
    assert provider.find_reply(target=target, text="Oui, dans tout Lyon.", since=later) is None


def test_facebook_looks_under_the_top_level_comment_for_an_answer_to_a_reply(graph, http):
    page = graph.add_page("Acme Bakery")
    post = graph.add_post(page.id, "Menu")
    top = graph.add_comment(post.id, "Question")
    reply = graph.add_comment(post.id, "Et le dimanche ?", parent_id=top.id)
    provider = facebook(graph, page, http)
    target = ReplyTarget(
        reply.id,
        ItemKind.REPLY,
        post_external_id=post.id,
        parent_external_id=top.id,
        thread_root_external_id=top.id,
    )
    sent = provider.reply(target=target, text="Fermé le dimanche.")

    found = provider.find_reply(target=target, text="Fermé le dimanche.", since=LONG_AGO)

    assert found is not None and found.external_id == sent.external_id


def test_facebook_finds_a_messenger_answer(graph, http):
    page = graph.add_page("Acme Bakery")
    message = graph.add_conversation_message(page.id, {"id": "psid-1", "name": "Sam"}, "Open today?")
    target = ReplyTarget(
        message.id,
        ItemKind.DIRECT_MESSAGE,
        thread_root_external_id=message.conversation_id,
        author_external_id="psid-1",
    )
    provider = facebook(graph, page, http)
    graph.inject(drop_after_fault(rf"/{page.id}/messages$"))
    with pytest.raises(Ambiguous):
        provider.reply(target=target, text="Until 7pm")
    graph.add_conversation_message(page.id, {"id": "psid-1", "name": "Sam"}, "Until 7pm")  # the customer

    found = provider.find_reply(target=target, text="Until 7pm", since=LONG_AGO)

    conversation = graph.objects[message.conversation_id]
    [ours] = [m for m in conversation.messages if m.sender["id"] == page.id]
    assert found is not None and found.external_id == ours.id


# --- Instagram ------------------------------------------------------------------------------------------


def instagram(fake: GraphFake, ig_user, http: httpx.Client) -> InstagramProvider:
    token = fake.objects[ig_user.page_id].token
    account = Account(
        Network.INSTAGRAM, ig_user.id, fake.base_url, Credentials(access_token=token), handle=ig_user.username
    )
    return InstagramProvider(account, http=http, page_size=3, sleep=lambda seconds: None)


def test_instagram_finds_the_reply_whose_answer_was_lost(graph, http):
    page = graph.add_page("Acme Bakery")
    ig_user = graph.add_ig_user("acme.bakery", page_id=page.id)
    media = graph.add_media(ig_user.id, "Croissants")
    comment = graph.add_ig_comment(media.id, "Gluten free?")
    provider = instagram(graph, ig_user, http)
    target = ReplyTarget(comment.id, ItemKind.COMMENT, post_external_id=media.id)

    graph.inject(drop_after_fault(rf"/{comment.id}/replies$"))
    with pytest.raises(Ambiguous):
        provider.reply(target=target, text="Not yet, soon!")
    for n in range(4):
        graph.add_ig_comment(media.id, "Not yet, soon!" if n == 0 else f"ok {n}", parent_id=comment.id)

    found = provider.find_reply(target=target, text="Not yet, soon!", since=LONG_AGO)

    [ours] = [c for c in graph.objects_of(type(comment)) if c.from_id == ig_user.id]
    assert found is not None and found.external_id == ours.id
    assert len(writes(graph, f"/{comment.id}/replies")) == 1
    assert (
        provider.find_reply(target=target, text="Not yet, soon!", since=LONG_AGO, exclude={ours.id}) is None
    )
    assert provider.find_reply(target=target, text="Not yet", since=LONG_AGO) is None


# --- X --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def x_server() -> Iterator[XFake]:
    with XFake() as fake:
        yield fake


@pytest.fixture
def x(x_server: XFake) -> XFake:
    x_server.reset()
    return x_server


def x_provider(fake: XFake, us: str, http: httpx.Client) -> XProvider:
    token = fake.issue_token(us)
    account = Account(Network.X, us, fake.base_url, Credentials(token["access_token"]), handle="acme")
    return XProvider(account, http=http, client_id=fake.client_id)


def test_x_finds_the_reply_whose_answer_was_lost(x, http):
    us, fan = x.add_user("acme", "Acme"), x.add_user("lea", "Léa")
    mention = x.add_mention(us, fan, "@acme open on Sunday?")
    other = x.add_mention(us, fan, "@acme and Monday?")
    provider = x_provider(x, us, http)
    target = ReplyTarget(mention, ItemKind.MENTION)

    x.drop_after("/2/tweets$")
    with pytest.raises(Ambiguous):
        provider.reply(target=target, text="Yes, 8 to 12.")
    x.add_tweet(us, "Yes, 8 to 12.", in_reply_to=other)  # the same words, to another tweet (seeded: X's
    # duplicate check would refuse it through the API)

    found = provider.find_reply(target=target, text="Yes, 8 to 12.", since=LONG_AGO)

    [ours] = [
        t for t in x.tweets_by(us) if t.get("referenced_tweets") == [{"type": "replied_to", "id": mention}]
    ]
    assert found is not None and found.external_id == ours["id"]
    assert found.permalink == f"https://x.com/acme/status/{ours['id']}"
    assert len(writes(x, "/2/tweets")) == 1
    assert (
        provider.find_reply(target=target, text="Yes, 8 to 12.", since=LONG_AGO, exclude={ours["id"]}) is None
    )
    assert provider.find_reply(target=target, text="No.", since=LONG_AGO) is None
    assert (
        provider.find_reply(target=target, text="Yes, 8 to 12.", since=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        is None
    )


def test_x_matches_the_text_as_x_stores_it(x, http):
    """X escapes &, < and >, shortens links to t.co and may lead with the handles answered."""
    us, fan = x.add_user("acme", "Acme"), x.add_user("lea", "Léa")
    mention = x.add_mention(us, fan, "@acme menu?")
    stored = x.add_tweet(us, "@lea Bread &amp; cakes &lt;3 https://t.co/Ab12Cd", in_reply_to=mention)

    found = x_provider(x, us, http).find_reply(
        target=ReplyTarget(mention, ItemKind.MENTION),
        text="Bread & cakes <3 https://acme.example/menu/today",
        since=LONG_AGO,
    )

    assert found is not None and found.external_id == stored


# --- LinkedIn -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linkedin_server() -> Iterator[LinkedInFake]:
    with LinkedInFake() as fake:
        yield fake


@pytest.fixture
def linkedin(linkedin_server: LinkedInFake) -> LinkedInFake:
    linkedin_server.reset()
    return linkedin_server


def test_linkedin_finds_the_comment_whose_answer_was_lost(linkedin, http):
    admin = linkedin.add_member("Ana Admin", "ana")
    org = linkedin.add_organization("Acme Bakery", admins=[admin])
    member = linkedin.add_member("Bob Public", "bob")
    post = linkedin.add_post(org, "We are hiring")
    comment = linkedin.add_comment(post, member, "Remote possible?")
    elsewhere = linkedin.add_comment(post, member, "Salary?")
    token = linkedin.issue_token(admin)["access_token"]
    provider = LinkedInProvider(
        Account(Network.LINKEDIN, org, linkedin.base_url, Credentials(token)), http=http, page_size=2
    )
    target = ReplyTarget(comment, ItemKind.COMMENT, post_external_id=post, thread_root_external_id=comment)
    since = dt.datetime.fromtimestamp(linkedin.now_ms / 1000, dt.UTC)
    linkedin.add_comment(post, org, "Yes, fully remote.", parent=elsewhere)  # our words, another thread

    linkedin.drop_after("/comments$")
    with pytest.raises(Ambiguous):
        provider.reply(target=target, text="Yes, fully remote.")
    linkedin.add_comment(post, member, "Yes, fully remote.", parent=comment)  # a member quoting us
    for n in range(3):
        linkedin.add_comment(post, member, f"Thanks {n}")

    found = provider.find_reply(target=target, text="Yes, fully remote.", since=since)

    [ours] = [
        c for c in linkedin.comments_on(post) if c["actor"] == org and c.get("parentComment") == comment
    ]
    assert found is not None and found.external_id == ours["commentUrn"]
    assert found.permalink == f"https://www.linkedin.com/feed/update/{post}"
    assert len(writes(linkedin, "/comments")) == 1
    assert (
        provider.find_reply(
            target=target, text="Yes, fully remote.", since=since, exclude={ours["commentUrn"]}
        )
        is None
    )
    later = dt.datetime.fromtimestamp(linkedin.now_ms / 1000 + 60, dt.UTC)
    assert provider.find_reply(target=target, text="Yes, fully remote.", since=later) is None
