"""FAQ pages (managers), CSV import/export, stats and the suggestion fragment."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import Workspace
from assistant import selectors, services, tasks
from assistant.models import AssistantPolicy, FaqEntry, Suggestion
from demo.faq import faq_load_demo
from inbox.ingest import message_ingest_batch
from tests.inbox.conftest import channel, make_item  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db

PAGES = ["settings/faq/", "settings/faq/import/", "settings/faq/export/", "assistant/faq/stats/"]


@pytest.fixture
def entry(workspace):
    return FaqEntry.objects.create(
        workspace=workspace, group="hours", language="fr", questions=["Vos horaires ?"], answer="7h-19h"
    )


def test_outsider_gets_404(outsider_client, entry):
    for page in [*PAGES, f"settings/faq/{entry.pk}/", "assistant/suggestions/1/"]:
        assert outsider_client.get(f"/w/acme/{page}").status_code == 404, page
    assert outsider_client.post(f"/w/acme/settings/faq/{entry.pk}/deactivate/").status_code == 404
    entry.refresh_from_db()
    assert entry.active


def test_outsider_cannot_reach_an_entry_through_their_own_workspace(outsider_client, entry):
    assert outsider_client.get(f"/w/other/settings/faq/{entry.pk}/").status_code == 404
    assert outsider_client.post(f"/w/other/settings/faq/{entry.pk}/deactivate/").status_code == 404


def test_agents_get_403_on_faq_management(agent_client, entry):
    for page in [*PAGES, f"settings/faq/{entry.pk}/"]:
        assert agent_client.get(f"/w/acme/{page}").status_code == 403, page
    assert agent_client.post(f"/w/acme/settings/faq/{entry.pk}/deactivate/").status_code == 403
    assert agent_client.post("/w/acme/settings/faq/", {"group": "x"}).status_code == 403


def test_manager_creates_edits_and_deactivates(manager_client, workspace):
    data = {
        "group": "delivery",
        "language": "fr",
        "questions": "Vous livrez ?\nLivraison à domicile ?\n",
        "answer": "Oui, dans Lyon.",
        "url": "https://example.test/livraison",
        "tags": "livraison, domicile",
        "active": "on",
    }
    response = manager_client.post("/w/acme/settings/faq/", data)
    assert response.status_code == 302
    entry = FaqEntry.objects.get(workspace=workspace, group="delivery")
    assert entry.questions == ["Vous livrez ?", "Livraison à domicile ?"]
    assert entry.tags == ["livraison", "domicile"]

    response = manager_client.post(f"/w/acme/settings/faq/{entry.pk}/", {**data, "answer": "Oui, partout."})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.answer == "Oui, partout."

    duplicate = manager_client.post("/w/acme/settings/faq/", data)
    assert duplicate.status_code == 400  # same group and language: refused, explained
    assert "already has an answer" in duplicate.content.decode()

    assert manager_client.post(f"/w/acme/settings/faq/{entry.pk}/deactivate/").status_code == 302
    entry.refresh_from_db()
    assert not entry.active


def test_faq_list_query_count(manager_client, workspace, django_assert_max_num_queries):
    for n in range(30):
        FaqEntry.objects.create(
            workspace=workspace, group=f"g{n}", language="fr", questions=[f"q{n}", "bis"], answer="a"
        )
    # Guards an N+1 over entries: the list reads the entries once, whatever their number.
    # The page frame (bell, waiting counts, connection banner), entries, learned counts, pending phrasings.
    with django_assert_max_num_queries(11):
        response = manager_client.get("/w/acme/settings/faq/")
    assert response.status_code == 200
    assert response.content.decode().count('id="faq-') == 30


def test_stats_query_count(manager_client, workspace, channel, make_item, django_assert_max_num_queries):  # noqa: F811
    faq_load_demo(workspace=workspace)
    for text in ["Quels sont vos horaires ?", "Vous livrez à Villeurbanne ?", "What are your opening hours?"]:
        ids = message_ingest_batch(channel=channel, items=[make_item(text)]).new_message_ids
        tasks.triage_messages(ids)
        from inbox.models import Message

        first = services.suggestions_for(Message.objects.get(pk=ids[0]))[0]
        services.suggestion_record_fate(first, first.text, None)
    # Guards an N+1 over entries: counts per fate come from one annotated query.
    with django_assert_max_num_queries(9):  # the page frame: bell, waiting counts, connection banner
        response = manager_client.get("/w/acme/assistant/faq/stats/")
    assert response.status_code == 200
    assert "100 %" in response.content.decode()


CSV = """group,language,questions,answer,url,tags,active
hours,fr,Vos horaires ? | Vous ouvrez à quelle heure ?,Du mardi au samedi,https://example.test/h,horaires|ouverture,yes
hours,de,Öffnungszeiten?,Dienstag bis Samstag,,,yes
,en,When?,Tuesday,,,yes
delivery,en,Do you deliver?,,,,yes
delivery,fr,Vous livrez ?,Oui,not a url,,yes
parking,en,Where can I park?,Behind the shop,,,maybe
parking,fr,Où se garer ?,"Derrière la boutique, rue Sala",,,no
"""


def test_csv_import_reports_bad_rows_and_keeps_good_ones(manager_client, workspace, entry):
    upload = SimpleUploadedFile("faq.csv", CSV.encode(), content_type="text/csv")
    response = manager_client.post("/w/acme/settings/faq/import/", {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    for line in (3, 4, 5, 6, 7):
        assert f"Line {line}:" in body, line
    assert "Line 2:" not in body and "Line 8:" not in body
    assert "1 added, 1 updated, 5 row(s) skipped" in body
    entry.refresh_from_db()
    assert entry.questions == ["Vos horaires ?", "Vous ouvrez à quelle heure ?"]
    assert entry.tags == ["horaires", "ouverture"] and entry.url == "https://example.test/h"
    parking = FaqEntry.objects.get(workspace=workspace, group="parking", language="fr")
    assert parking.answer == "Derrière la boutique, rue Sala" and not parking.active
    assert FaqEntry.objects.filter(workspace=workspace).count() == 2


def test_csv_import_without_required_columns(manager, manager_client):
    upload = SimpleUploadedFile("faq.csv", b"foo,bar\n1,2\n", content_type="text/csv")
    response = manager_client.post("/w/acme/settings/faq/import/", {"file": upload})
    assert "Missing column(s)" in response.content.decode()


def test_csv_export_round_trips(manager_client, manager, workspace, other_workspace):
    faq_load_demo(workspace=workspace)
    FaqEntry.objects.create(
        workspace=other_workspace, group="secret", language="en", questions=["?"], answer="x"
    )
    FaqEntry.objects.filter(workspace=workspace, group="hours", language="en").update(answer="=HYPERLINK(1)")
    response = manager_client.get("/w/acme/settings/faq/export/")
    assert response["Content-Type"].startswith("text/csv")
    content = response.content.decode()
    assert "secret" not in content
    assert "'=HYPERLINK(1)" in content  # a formula stays text in a spreadsheet
    before = FaqEntry.objects.filter(workspace=workspace).count()
    report = services.faq_import_csv(by=manager.memberships.get(), content=content)
    assert (report.created, report.updated, report.errors) == (0, before, [])


def test_suggestion_fragment_for_the_composer(agent_client, workspace, channel, make_item):  # noqa: F811
    faq_load_demo(workspace=workspace)
    ids = message_ingest_batch(
        channel=channel, items=[make_item("Bonjour, quels sont vos horaires d'ouverture ?")]
    ).new_message_ids
    from inbox.models import Message

    conversation_id = Message.objects.get(pk=ids[0]).conversation_id
    response = agent_client.get(f"/w/acme/assistant/suggestions/{conversation_id}/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # the partial only
    assert 'data-insert-text="Nous sommes ouverts' in body
    assert "<script" not in body
    assert Suggestion.objects.filter(message_id=ids[0]).exists()
    full = agent_client.get(f"/w/acme/assistant/suggestions/{conversation_id}/")
    assert full.status_code == 200 and "<html" in full.content.decode()


def test_load_demo_faq_is_idempotent_and_demo_only(settings):
    settings.CMHUB_DEMO = False
    with pytest.raises(CommandError):
        call_command("load_demo_faq")
    settings.CMHUB_DEMO = True
    workspace = Workspace.objects.create(name="Demo Bakery", slug="demo")
    call_command("load_demo_faq")
    count = FaqEntry.objects.filter(workspace=workspace).count()
    call_command("load_demo_faq")
    assert count > 10 and FaqEntry.objects.filter(workspace=workspace).count() == count


def test_managers_give_their_trade_words_and_suggestions_use_them_at_once(manager_client, workspace):
    for group, question in [("outage", "Y a-t-il une panne ?"), ("hours", "Quels sont vos horaires ?")]:
        FaqEntry.objects.create(
            workspace=workspace, group=group, language="fr", questions=[question], answer="…"
        )

    def first(text):
        index, rows = selectors.faq_index_for(workspace.pk)
        found = index.suggest(text, language="fr")
        return rows[int(found[0].entry_id)].group if found else None

    assert first("plus de réseau depuis ce matin") is None
    response = manager_client.post(
        "/w/acme/settings/faq/vocabulary/",
        {"synonyms": "# our words\noutage: panne, plus de réseau, coupure"},
    )
    assert response.status_code == 302
    assert first("plus de réseau depuis ce matin") == "outage"
    page = manager_client.get("/w/acme/settings/faq/vocabulary/").content.decode()
    assert (
        "outage: panne, plus de réseau, coupure" in page and "hours" in page
    )  # theirs, and the general ones


def test_a_vocabulary_line_that_cannot_be_read_is_refused_and_nothing_is_lost(manager_client, workspace):
    AssistantPolicy.objects.create(workspace=workspace, synonyms="box: box, routeur")
    response = manager_client.post("/w/acme/settings/faq/vocabulary/", {"synonyms": "box: box\njust words"})
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()
    assert AssistantPolicy.objects.get(workspace=workspace).synonyms == "box: box, routeur"


def test_agents_do_not_edit_the_vocabulary(agent_client, workspace):
    response = agent_client.post("/w/acme/settings/faq/vocabulary/", {"synonyms": "box: box"})
    assert response.status_code in (403, 404)
    assert not AssistantPolicy.objects.filter(workspace=workspace, synonyms="box: box").exists()


def test_an_oversized_or_overfull_vocabulary_is_refused_by_the_service(workspace, manager):
    member = manager.memberships.get(workspace=workspace)
    with pytest.raises(services.AssistantError):
        services.vocabulary_update(workspace=workspace, by=member, text="a: b\n" * 5000)
    many = "\n".join(f"c{n}: w{n}" for n in range(services.MAX_VOCABULARY_CONCEPTS + 1))
    with pytest.raises(services.AssistantError):
        services.vocabulary_update(workspace=workspace, by=member, text=many)
    assert not AssistantPolicy.objects.filter(workspace=workspace).exclude(synonyms="").exists()
