"""The permissions asked and granted are said in words, in the reader's language (raw names as titles)."""

from __future__ import annotations

import pytest
from django.utils import translation

from networks import services
from networks.providers import base as p
from networks.registry import SPECS
from networks.scopes import WORDS, words_for


@pytest.mark.parametrize("network", list(SPECS))
def test_every_scope_asked_has_words_in_english_and_french(network):
    for scope in SPECS[network].scopes:
        assert scope in WORDS, scope
        with translation.override("fr"):
            french = str(WORDS[scope])
        with translation.override("en"):
            assert french != str(WORDS[scope]), f"{scope} is not translated"


def test_an_unknown_scope_keeps_its_name():
    with translation.override("en"):
        assert words_for(["tweet.write", "bookmark.read"]) == ["post and reply", "bookmark.read"]


def test_channel_settings_say_what_each_permission_allows(owner_client, owner, workspace, x_app):
    owner.language = "fr"
    owner.save()
    services.channel_connect(
        workspace=workspace,
        network="x",
        external_id="42",
        name="Demo Bakery",
        api_base_url=x_app.api_base_url,
        credentials=p.Credentials(access_token="t", scopes=("tweet.read", "users.read")),
        scopes_requested=SPECS["x"].scopes,
        by=owner,
    )
    page = owner_client.get("/w/acme/settings/channels/").content.decode()
    assert "<summary>8 permissions demandées</summary>" in page
    assert '<li title="tweet.write">publier et répondre</li>' in page
    assert '<td class="small">lire les posts et les mentions; lire les profils des comptes' in page
    missing = page.split("Manquantes", 1)[1].split("</p>", 1)[0]
    assert "publier et répondre" in missing and "lire les posts" not in missing  # not granted / granted
