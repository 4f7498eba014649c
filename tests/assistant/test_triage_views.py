"""Triage corrections: the "Correct" control next to the badges, what a correction stores and changes
(badges, the inbox intent filter), bad input, tenancy, and the managers' count of corrections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assistant import selectors, services
from assistant.models import MessageTriage, TriageCorrection
from inbox.models import Conversation, Message
from tests.assistant.test_rules import COMPLAINT_FR, HOURS_FR, arrive
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def question(channel, make_item) -> Message:  # noqa: F811
    message = arrive(channel, make_item, HOURS_FR, author="lea")
    assert message.triage.intent == "question" and message.triage.language == "fr"
    return message


def url(message: Message, *, correct: bool = True, slug: str = "acme") -> str:
    return f"/w/{slug}/assistant/triage/{message.pk}/{'correct/' if correct else ''}"


def form_data(message: Message, **changes) -> dict[str, str]:
    """The form as the page sends it: every field at its current value, then the person's changes."""
    current = {field: services.triage_value(message.triage, field) for field in TriageCorrection.Field.values}
    return {f"triage-{message.pk}-{field}": value for field, value in {**current, **changes}.items()}


def test_outsider_gets_404(outsider_client, question):
    data = form_data(question, intent="complaint")
    assert outsider_client.get(url(question, correct=False)).status_code == 404
    assert outsider_client.post(url(question), data).status_code == 404
    # The message's id through the outsider's own workspace: still 404.
    assert outsider_client.get(url(question, correct=False, slug="other")).status_code == 404
    assert outsider_client.post(url(question, slug="other"), data, **HTMX).status_code == 404
    assert not TriageCorrection.objects.exists()
    assert MessageTriage.objects.get(message=question).intent == "question"


def test_only_inbound_triaged_messages_can_be_corrected(agent_client, question):
    reply = Message.objects.create(
        workspace=question.workspace,
        conversation=question.conversation,
        channel=question.channel,
        direction=Message.Direction.OUT,
        external_id="out-1",
        text="Jusqu'à 19 h !",
        send_status=Message.SendStatus.SENT,
        created_at=timezone.now(),
    )
    assert agent_client.get(url(reply, correct=False)).status_code == 404


def test_every_role_that_works_the_inbox_may_correct(agent_client, manager_client, owner_client, question):
    # No role in the workspace lacks Perm.REPLY, so there is no 403 case for the correction itself: the
    # managers-only accuracy page has one (test_agents_get_403_on_the_accuracy_page).
    for client in (agent_client, manager_client, owner_client):
        assert client.get(url(question, correct=False)).status_code == 200


def test_the_conversation_page_offers_a_correct_link(agent_client, question):
    page = agent_client.get(f"/w/acme/inbox/{question.conversation_id}/").content.decode()
    assert f'id="triage-{question.pk}"' in page
    assert f'href="/w/acme/assistant/triage/{question.pk}/"' in page  # a real page without JavaScript
    assert "<form" not in page.split(f'id="triage-{question.pk}"')[1].split("</span>\n")[0]

    fragment = agent_client.get(url(question, correct=False), **HTMX).content.decode()
    assert fragment.lstrip().startswith('<span class="triage-badges" id="triage-')
    assert f'hx-post="/w/acme/assistant/triage/{question.pk}/correct/"' in fragment
    assert '<option value="question" selected>' in fragment  # the form starts at the current labels

    closed = agent_client.get(url(question, correct=False) + "?close=1", **HTMX).content.decode()
    assert "<form" not in closed and "Correct" in closed


def test_a_correction_is_stored_with_who_when_and_what(agent_client, agent, question):
    before = timezone.now()
    response = agent_client.post(url(question), form_data(question, intent="complaint", sentiment="negative"))

    assert response.status_code == 302
    assert response["Location"] == f"/w/acme/inbox/{question.conversation_id}/#message-{question.pk}"
    corrections = {c.field: c for c in TriageCorrection.objects.all()}
    assert set(corrections) == {"intent", "sentiment"}
    intent = corrections["intent"]
    assert (intent.old_value, intent.new_value) == ("question", "complaint")
    assert intent.corrected_by == agent and intent.corrected_at >= before
    assert intent.triage.message == question
    assert (corrections["sentiment"].old_value, corrections["sentiment"].new_value) == ("neutral", "negative")
    triage = MessageTriage.objects.get(message=question)
    assert triage.intent == "complaint" and triage.sentiment < 0
    followed = agent_client.get(response["Location"]).content.decode()
    assert "the correction is saved" in followed


def test_not_spam_brings_a_thread_the_assistant_moved_to_spam_back_to_the_inbox(agent_client, question):
    MessageTriage.objects.filter(message=question).update(intent="spam", spam_score=0.95)
    Conversation.objects.filter(pk=question.conversation_id).update(status=Conversation.Status.SPAM)
    agent_client.post(url(question), form_data(question, spam="no"))
    assert Conversation.objects.get(pk=question.conversation_id).status == Conversation.Status.OPEN
    assert TriageCorrection.objects.get(field="spam").new_value == "no"


def test_htmx_rerenders_the_badges_in_place(agent_client, agent, question):
    agent.display_name = "Ada"
    agent.save()
    response = agent_client.post(url(question), form_data(question, intent="praise", spam="yes"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<span class="triage-badges" id="triage-{question.pk}">')
    assert "badge-intent-praise" in html and "Likely spam" in html
    assert "Corrected by Ada" in html
    assert "<form" not in html  # the form closed itself
    assert "<html" not in html


def test_the_inbox_intent_filter_sees_the_correction(agent_client, question):
    def listed(intent: str) -> bool:
        page = agent_client.get("/w/acme/inbox/", {"intent": intent}).content.decode()
        return f'id="conv-{question.conversation_id}"' in page

    assert listed("question") and not listed("complaint")
    agent_client.post(url(question), form_data(question, intent="complaint"), **HTMX)
    assert listed("complaint") and not listed("question")


def test_a_priority_correction_sets_the_conversation_priority(agent_client, question):
    data = form_data(question, priority=str(Conversation.Priority.URGENT))
    response = agent_client.post(url(question), data, **HTMX)
    assert response["HX-Refresh"] == "true"  # the header shows the priority: the page reloads
    assert Conversation.objects.get(pk=question.conversation_id).priority == Conversation.Priority.URGENT
    assert TriageCorrection.objects.get().field == "priority"


@pytest.mark.parametrize(
    "changes",
    [
        {"intent": "banana"},
        {"language": "klingon"},
        {"sentiment": "0.3"},
        {"spam": "maybe"},
        {"priority": "9"},
    ],
)
def test_an_invalid_value_changes_nothing(agent_client, question, changes):
    response = agent_client.post(url(question), form_data(question, **changes))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()

    chosen = {"sentiment": "positive"} if "sentiment" not in changes else {"intent": "complaint"}
    htmx = agent_client.post(url(question), form_data(question, **chosen, **changes), **HTMX)
    html = htmx.content.decode()
    assert htmx.status_code == 200 and "Select a valid choice" in html and 'aria-invalid="true"' in html
    value = next(iter(chosen.values()))
    assert f'<option value="{value}" selected>' in html  # what the person chose is still there

    assert not TriageCorrection.objects.exists()
    triage = MessageTriage.objects.get(message=question)
    assert (triage.intent, triage.language, triage.spam_score) == (
        "question",
        "fr",
        question.triage.spam_score,
    )


def test_submitting_the_current_labels_is_not_a_correction(agent_client, question):
    response = agent_client.post(url(question), form_data(question))
    assert response.status_code == 400 and "Nothing to correct" in response.content.decode()
    assert not TriageCorrection.objects.exists()


def test_the_service_refuses_bad_values_and_other_workspaces(question, agent, outsider):
    member = agent.memberships.get()
    with pytest.raises(services.AssistantError):
        services.triage_correct(triage=question.triage, field="intent", value="banana", by=member)
    with pytest.raises(services.AssistantError):
        services.triage_correct(triage=question.triage, field="colour", value="red", by=member)
    with pytest.raises(services.AssistantError):
        services.triage_correct(
            triage=question.triage, field="intent", value="complaint", by=outsider.memberships.get()
        )
    assert not TriageCorrection.objects.exists()


# --- Counting -------------------------------------------------------------------------------------------


def _accuracy(workspace) -> dict[str, selectors.FieldAccuracy]:
    return {row.field: row for row in selectors.triage_accuracy(workspace)}


def test_corrections_are_counted_per_field(workspace, agent, channel, make_item):  # noqa: F811
    member = agent.memberships.get()
    messages = [arrive(channel, make_item, HOURS_FR, author=f"fan-{i}") for i in range(4)]
    complaint = arrive(channel, make_item, COMPLAINT_FR, author="angry")
    for message in messages[:2]:
        services.triage_correct(triage=message.triage, field="intent", value="complaint", by=member)
    services.triage_correct(triage=complaint.triage, field="intent", value="question", by=member)
    # Corrected twice: counted once, from the engine's value to the last word.
    services.triage_correct(triage=messages[0].triage, field="intent", value="other", by=member)
    # Corrected, then put back: the engine was right after all.
    services.triage_correct(triage=messages[3].triage, field="language", value="en", by=member)
    services.triage_correct(triage=messages[3].triage, field="language", value="fr", by=member)

    rows = _accuracy(workspace)
    intent = rows["intent"]
    assert (intent.triaged, intent.corrected) == (5, 3)
    assert intent.agreement_rate == pytest.approx(1 - 3 / 5)
    assert intent.top_correction[2] == 1  # three different corrections, once each
    assert rows["language"].corrected == 0 and rows["language"].agreement_rate == 1
    assert rows["spam"].top_correction is None


def test_the_most_common_correction(workspace, agent, channel, make_item):  # noqa: F811
    member = agent.memberships.get()
    messages = [arrive(channel, make_item, HOURS_FR, author=f"fan-{i}") for i in range(3)]
    for message in messages[:2]:
        services.triage_correct(triage=message.triage, field="intent", value="spam", by=member)
    services.triage_correct(triage=messages[2].triage, field="intent", value="praise", by=member)
    assert _accuracy(workspace)["intent"].top_correction == ("question", "spam", 2)


def test_only_the_last_30_days_count(workspace, agent, question):
    services.triage_correct(
        triage=question.triage, field="intent", value="complaint", by=agent.memberships.get()
    )
    MessageTriage.objects.filter(pk=question.triage.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    intent = _accuracy(workspace)["intent"]
    assert (intent.triaged, intent.corrected, intent.agreement_rate) == (0, 0, None)


def test_the_accuracy_page_shows_the_figures(manager_client, agent, question):
    services.triage_correct(triage=question.triage, field="intent", value="spam", by=agent.memberships.get())

    stats = manager_client.get("/w/acme/assistant/faq/stats/").content.decode()
    assert 'hx-get="/w/acme/assistant/triage/accuracy/"' in stats  # the section loads itself
    assert 'href="/w/acme/assistant/triage/accuracy/"' in stats  # and is a link without JavaScript

    section = manager_client.get("/w/acme/assistant/triage/accuracy/", **HTMX).content.decode()
    assert section.lstrip().startswith('<section id="triage-accuracy"') and "<html" not in section
    row = section.split('id="triage-accuracy-intent"')[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "0 %" in row and "Question → Spam (1 time)" in row
    page = manager_client.get("/w/acme/assistant/triage/accuracy/")
    assert page.status_code == 200 and b"Triage accuracy" in page.content


def test_agents_get_403_on_the_accuracy_page(agent_client, outsider_client, question):
    assert agent_client.get("/w/acme/assistant/triage/accuracy/").status_code == 403
    assert outsider_client.get("/w/acme/assistant/triage/accuracy/").status_code == 404


def test_accuracy_page_query_count(
    manager_client,
    agent,
    workspace,
    channel,  # noqa: F811
    make_item,  # noqa: F811
    django_assert_num_queries,
):
    member = agent.memberships.get()

    def correct_some(n: int) -> None:
        for i in range(n):
            message = arrive(channel, make_item, HOURS_FR, author=f"fan-{n}-{i}")
            services.triage_correct(triage=message.triage, field="intent", value="spam", by=member)
            services.triage_correct(triage=message.triage, field="language", value="en", by=member)

    correct_some(1)
    manager_client.get("/w/acme/assistant/triage/accuracy/", **HTMX)  # warm the session
    # Guards against an N+1 over fields (one count per field) or over corrections (one query per
    # correction's triage or author): session + user + membership, one count and one correction list for
    # the fields, then the triages and their first corrections for the labels.
    with django_assert_num_queries(7):
        manager_client.get("/w/acme/assistant/triage/accuracy/", **HTMX)
    correct_some(5)
    with django_assert_num_queries(7):
        response = manager_client.get("/w/acme/assistant/triage/accuracy/", **HTMX)
    assert "Question → Spam (6 times)" in response.content.decode()
