"""Reviews in the inbox (issue 18): a review thread's stars in the list and on the conversation (in words
for screen readers), the list filtered by stars and by kind (in the URL, without JavaScript), a review
edited on the network (new stars kept in step, the earlier words and stars kept), the REST API's rating.

Reviews are ingested as a provider hands them over (an EngagementItem of kind REVIEW with its stars), on a
plain test channel: the network's own client and fake are tested with that network."""

from __future__ import annotations

import dataclasses
import re

import pytest

from inbox.ingest import message_ingest_batch
from inbox.models import Conversation, Message
from networks.models import Channel
from networks.providers import base as p
from tests.api.conftest import api_for

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def review(channel, make_item):
    """Ingest one review: `review("Slow service.", 1)`; returns its conversation."""

    def make(text: str, stars: int | None, *, author: str = "", external_id: str = "") -> Conversation:
        item = make_item(
            text, kind=p.ItemKind.REVIEW, author=author or f"rev-{text[:8]}", external_id=external_id
        )
        item = dataclasses.replace(item, rating=stars, post_external_id="")
        message_ingest_batch(channel=channel, items=[item])
        return Conversation.objects.get(channel=channel, root_external_id=item.external_id)

    return make


def list_html(client, query: str = "") -> str:
    response = client.get(f"/w/acme/inbox/{query}")
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<li id="conv-(\d+)"', html)]


# --- Stars, seen and heard ------------------------------------------------------------------------------


def test_the_list_row_shows_the_stars_in_glyphs_and_in_words(agent_client, review):
    conversation = review("Service très lent, commande oubliée.", 2)
    html = list_html(agent_client)
    row = html[html.index(f'id="conv-{conversation.pk}"') :]
    row = row[: row.index("</li>")]
    assert "★★☆☆☆" in row
    # Screen readers hear a sentence, not five glyphs: the glyphs are hidden from them.
    assert '<span aria-hidden="true">★★☆☆☆</span>' in row
    assert '<span class="visually-hidden">2 out of 5 stars</span>' in row
    assert "style=" not in row  # the CSP allows no inline style


def test_the_conversation_shows_the_reviews_stars_on_the_thread_and_the_message(agent_client, review):
    conversation = review("Parfait, merci !", 5)
    html = agent_client.get(f"/w/acme/inbox/{conversation.pk}/").content.decode()
    header = html[html.index('id="conversation-header"') :]
    header = header[: header.index("</header>")]
    assert "5 out of 5 stars" in header and "Review" in header
    thread = html[html.index('id="thread"') : html.index('id="reply-area"')]
    assert '<p class="message-rating">' in thread and "★★★★★" in thread


def test_the_stars_are_said_in_french_too(agent_client, agent, review):
    agent.language = "fr"
    agent.save(update_fields=["language"])
    review("Bof.", 1)
    html = list_html(agent_client)
    assert "1 étoile sur 5" in html
    review("Très bien.", 4)
    assert "4 étoiles sur 5" in list_html(agent_client)


def test_a_thread_without_stars_draws_none(agent_client, channel, make_item, review):
    message_ingest_batch(channel=channel, items=[make_item("Une question sur vos horaires")])
    review("Nothing to say", None)  # a network that gave no sane rating: a review all the same
    html = list_html(agent_client)
    assert "out of 5 stars" not in html and "☆" not in html


# --- Filters ------------------------------------------------------------------------------------------------


def test_the_list_filters_by_stars_in_a_shareable_address(agent_client, review, channel, make_item):
    one = review("Horrible.", 1)
    review("Bien.", 4)
    other_one = review("Nul, jamais plus.", 1, author="rev-b")
    message_ingest_batch(channel=channel, items=[make_item("A comment, no stars")])
    assert sorted(rows(list_html(agent_client, "?rating=1"))) == sorted([one.pk, other_one.pk])
    html = list_html(agent_client, "?rating=1")
    # The filter control says what is chosen, with a real form (no JavaScript needed).
    assert '<select id="filter-rating" name="rating">' in html
    assert '<option value="1" selected>1 star</option>' in html
    # The rows' links keep the filter, so the conversation page's list and the way back keep it too.
    assert f'href="/w/acme/inbox/{one.pk}/?rating=1"' in html
    # The HTMX answer of the filter bar is the same list.
    fragment = agent_client.get("/w/acme/inbox/?rating=1", **HTMX).content.decode()
    assert sorted(rows(fragment)) == sorted([one.pk, other_one.pk])


def test_the_list_filters_reviews_by_kind(agent_client, review, channel, make_item):
    a, b = review("Top.", 5), review("Moyen.", 3)
    message_ingest_batch(channel=channel, items=[make_item("A comment")])
    assert sorted(rows(list_html(agent_client, "?kind=review"))) == sorted([a.pk, b.pk])
    assert len(rows(list_html(agent_client, "?kind=comment"))) == 1
    assert rows(list_html(agent_client, "?kind=review&rating=3")) == [b.pk]


@pytest.mark.parametrize("bad", ["0", "6", "9999", "-1", "abc", "1.5", "\x00"])
def test_a_rating_no_review_has_is_ignored_and_said_so(agent_client, review, bad):
    review("Top.", 5)
    response = agent_client.get("/w/acme/inbox/", {"rating": bad})
    assert response.status_code == 200
    html = response.content.decode()
    assert len(rows(html)) == 1  # the filter is ignored, not an error page
    assert "Rating" in html[html.index("ignored") - 400 : html.index("ignored") + 400]


def test_the_rating_filter_never_shows_another_workspaces_reviews(
    outsider_client, other_workspace, review, make_item
):
    review("Horrible.", 1)
    theirs = Channel.objects.create(
        workspace=other_workspace,
        network="facebook",
        external_id="P2",
        name="Theirs",
        api_base_url="http://127.0.0.1:9",
    )
    item = dataclasses.replace(make_item("Nul.", kind=p.ItemKind.REVIEW), rating=1)
    message_ingest_batch(channel=theirs, items=[item])
    html = outsider_client.get("/w/other/inbox/?rating=1").content.decode()
    assert rows(html) == [Conversation.objects.get(channel=theirs).pk]
    assert outsider_client.get("/w/acme/inbox/?rating=1").status_code == 404


def test_the_filtered_list_costs_what_the_unfiltered_list_costs(agent_client, review):
    """Guards against a per-row query for the stars (they are on the conversation row itself) and a
    filter that costs queries of its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent_client.get("/w/acme/")

    def cost(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(f"/w/acme/inbox/{query}").status_code == 200
        return len(queries)

    for n in range(3):
        review(f"Review {n}", 1 + n % 5, author=f"r{n}")
    unfiltered = cost("")
    assert cost("?rating=1&kind=review") == unfiltered
    for n in range(3, 12):
        review(f"Review {n}", 1, author=f"r{n}")
    assert cost("?rating=1&kind=review") == unfiltered == cost("")
    assert len(rows(list_html(agent_client, "?rating=1&kind=review"))) == 1 + 9


# --- A review edited on the network ---------------------------------------------------------------------


def test_a_review_edited_from_2_to_4_stars_keeps_its_earlier_words_and_stars(
    agent_client, channel, make_item, review
):
    conversation = review("Trop d'attente au garage.", 2, external_id="rev-edit")
    first = Message.objects.get(conversation=conversation)
    edited = dataclasses.replace(
        make_item("Finalement réparé vite, merci.", kind=p.ItemKind.REVIEW, external_id="rev-edit"),
        rating=4,
        post_external_id="",
    )
    result = message_ingest_batch(channel=channel, items=[edited])
    assert result.new_message_ids == []  # an edit, not a new message
    message = Message.objects.get(pk=first.pk)
    assert message.rating == 4 and message.text == "Finalement réparé vite, merci."
    assert message.edited_at is not None
    [before] = message.previous_texts
    assert before["text"] == "Trop d'attente au garage." and before["rating"] == 2
    conversation.refresh_from_db()
    assert conversation.rating == 4 and conversation.message_count == 1
    # The list follows: the review is found under 4 stars, no longer under 2.
    assert rows(list_html(agent_client, "?rating=4")) == [conversation.pk]
    assert rows(list_html(agent_client, "?rating=2")) == []
    html = agent_client.get(f"/w/acme/inbox/{conversation.pk}/").content.decode()
    previous = html[html.index('class="message-previous"') :]
    previous = previous[: previous.index("</details>")]
    assert "was 2 stars" in previous and "Trop d&#x27;attente au garage." in previous


def test_only_the_stars_changed_is_an_edit_too(channel, make_item, review):
    conversation = review("Correct.", 3, external_id="rev-stars")
    again = dataclasses.replace(
        make_item("Correct.", kind=p.ItemKind.REVIEW, external_id="rev-stars"), rating=1, post_external_id=""
    )
    message_ingest_batch(channel=channel, items=[again])
    message = Message.objects.get(conversation=conversation)
    assert message.rating == 1 and message.previous_texts[0]["rating"] == 3
    assert Conversation.objects.get(pk=conversation.pk).rating == 1


@pytest.mark.parametrize("nonsense", [None, 0, 6, -3, 10**9])
def test_a_reread_without_sane_stars_keeps_the_stars_we_hold(channel, make_item, review, nonsense):
    conversation = review("Bien.", 4, external_id="rev-keep")
    again = dataclasses.replace(
        make_item("Bien.", kind=p.ItemKind.REVIEW, external_id="rev-keep"),
        rating=nonsense,
        post_external_id="",
    )
    message_ingest_batch(channel=channel, items=[again])
    message = Message.objects.get(conversation=conversation)
    assert message.rating == 4 and message.previous_texts == [] and message.edited_at is None
    assert Conversation.objects.get(pk=conversation.pk).rating == 4


# --- The REST API --------------------------------------------------------------------------------------


def test_the_api_gives_the_stars_and_filters_by_them(owner, workspace, review, channel, make_item):
    api = api_for(owner, workspace)
    one, five = review("Horrible.", 1), review("Super.", 5)
    message_ingest_batch(channel=channel, items=[make_item("A comment")])
    items = api.get("/conversations", {"rating": 1}).json()["items"]
    assert [i["id"] for i in items] == [one.pk] and items[0]["rating"] == 1 and items[0]["kind"] == "review"
    assert [i["id"] for i in api.get("/conversations", {"kind": "review"}).json()["items"]] == [
        five.pk,
        one.pk,
    ]
    messages = api.get(f"/conversations/{five.pk}/messages").json()["items"]
    assert messages[0]["rating"] == 5 and messages[0]["replaced_at"] is None
    comment = api.get("/conversations", {"kind": "comment"}).json()["items"][0]
    assert comment["rating"] is None


@pytest.mark.parametrize("bad", [0, 6, "x"])
def test_the_api_refuses_a_rating_no_review_has(owner, workspace, review, bad):
    review("Top.", 5)
    response = api_for(owner, workspace).get("/conversations", {"rating": bad})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "rating"


def test_a_review_edited_out_of_the_filtered_stars_leaves_the_live_list(
    agent_client, channel, make_item, review
):
    conversation = review("Nul.", 1, external_id="rev-live")
    html = list_html(agent_client, "?rating=1")
    since = re.search(r'id="inbox-since" name="since" value="([^"]+)"', html).group(1)
    shown = re.search(rf'name="shown" value="({conversation.pk}:\d+)"', html).group(1)
    again = dataclasses.replace(
        make_item("Finalement très bien.", kind=p.ItemKind.REVIEW, external_id="rev-live"),
        rating=5,
        post_external_id="",
    )
    message_ingest_batch(channel=channel, items=[again])
    response = agent_client.get(
        "/w/acme/inbox/updates/", {"rating": "1", "since": since, "shown": shown}, **HTMX
    )
    assert f'<li id="conv-{conversation.pk}" hx-swap-oob="delete">' in response.content.decode()


def test_the_api_refuses_a_kind_no_thread_has(owner, workspace, review):
    response = api_for(owner, workspace).get("/conversations", {"kind": "tweet"})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["query", "kind"]
