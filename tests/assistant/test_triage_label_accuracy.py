"""Agents' triage corrections per label (the accuracy page) and exported as labelled evaluation messages
(``manage.py export_triage_eval``, ``python -m assistant.eval.run --workspace-set``)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from assistant import selectors, services
from assistant.eval import run
from assistant.eval_export import eval_messages
from assistant.models import FaqEntry, Suggestion
from tests.assistant.test_rules import COMPLAINT_FR, HOURS_FR, arrive
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _labels(workspace) -> dict[tuple[str, str], selectors.LabelAccuracy]:
    return {(row.field, row.value): row for row in selectors.triage_label_accuracy(workspace)}


@pytest.fixture
def corrected(workspace, agent, channel, make_item):  # noqa: F811
    """Four questions and a complaint; two questions relabelled complaints, one relabelled and put back,
    and the complaint called spam."""
    member = agent.memberships.get()
    questions = [arrive(channel, make_item, HOURS_FR, author=f"fan-{i}") for i in range(4)]
    complaint = arrive(channel, make_item, COMPLAINT_FR, author="angry")
    assert [m.triage.intent for m in questions] == ["question"] * 4 and complaint.triage.intent == "complaint"
    for message in questions[:2]:
        services.triage_correct(triage=message.triage, field="intent", value="complaint", by=member)
    services.triage_correct(triage=questions[2].triage, field="intent", value="other", by=member)
    services.triage_correct(triage=questions[2].triage, field="intent", value="question", by=member)
    services.triage_correct(triage=complaint.triage, field="spam", value="yes", by=member)
    return questions, complaint


def test_corrections_are_counted_per_label_the_engine_gave(workspace, corrected):
    labels = _labels(workspace)
    question = labels[("intent", "question")]
    # The engine's label, not the row's current one: the two relabelled messages still count here.
    assert (question.triaged, question.corrected, question.corrected_to) == (4, 2, (("complaint", 2),))
    assert question.corrected_rate == pytest.approx(0.5)
    complaint = labels[("intent", "complaint")]
    assert (complaint.triaged, complaint.corrected) == (1, 0)
    assert labels[("spam", "no")].corrected_to == (("yes", 1),)
    assert labels[("language", "fr")].triaged == 5 and labels[("language", "fr")].corrected == 0
    assert ("intent", "other") not in labels  # no message got it from the engine


def test_the_accuracy_page_shows_the_share_corrected_per_label(manager_client, corrected):
    section = manager_client.get("/w/acme/assistant/triage/accuracy/", **HTMX).content.decode()
    row = section.split('id="triage-label-intent-question"')[1].split("</tr>")[0]
    assert "<td>4</td>" in row and "50 % (2)" in row and "Complaint (2)" in row
    spam = section.split('id="triage-label-spam-no"')[1].split("</tr>")[0]
    assert "20 % (1)" in spam


def test_corrected_messages_export_with_their_final_labels(workspace, corrected):
    questions, complaint = corrected
    entry = FaqEntry.objects.create(
        workspace=workspace, group="hours", language="fr", questions=["Vos horaires ?"], answer="9h-19h"
    )
    Suggestion.objects.create(
        message=questions[0],
        kind=Suggestion.Kind.FAQ,
        faq_entry=entry,
        text=entry.answer,
        rank=1,
        confidence=0.7,
        fate=Suggestion.Fate.SENT_AS_IS,
    )
    rows = eval_messages(workspace)
    # Oldest first; the put-back one was corrected too: a person confirmed its label.
    assert [row["intent"] for row in rows] == ["complaint", "complaint", "question", "spam"]
    assert [row["expected_faq"] for row in rows] == [str(entry.pk), None, None, None]
    spam = rows[3]
    assert spam["text"] == complaint.text
    assert (spam["is_spam"], spam["language"], spam["sentiment"]) == (True, "fr", "negative")
    assert not any(row["is_spam"] for row in rows[:3])


def test_the_export_command_feeds_the_benchmark(workspace, corrected, tmp_path):
    FaqEntry.objects.create(
        workspace=workspace, group="hours", language="fr", questions=["Vos horaires ?"], answer="9h-19h"
    )
    out = io.StringIO()
    call_command("export_triage_eval", workspace.slug, str(tmp_path / "acme"), stdout=out)
    assert "4 corrected messages and 1 FAQ entries" in out.getvalue()
    faq = json.loads((tmp_path / "acme" / "faq.json").read_text(encoding="utf-8"))
    assert faq["entries"][0]["questions"] == ["Vos horaires ?"]

    report = io.StringIO()
    domain = run.workspace_domain(tmp_path / "acme")
    outcomes = run.evaluate(run.build_index(domain), run.load_messages(domain.messages))
    run.report([(domain, outcomes)], out=report)
    intent_line = next(line for line in report.getvalue().splitlines() if line.startswith("intent accuracy"))
    # The engine still calls two of them questions and the spam a complaint: 1 of 4 right.
    assert "(1/4)" in intent_line


def test_the_export_command_refuses_an_unknown_workspace(tmp_path):
    with pytest.raises(CommandError, match="nope"):
        call_command("export_triage_eval", "nope", str(tmp_path))
    assert not any(tmp_path.iterdir())
