"""The composer offers only channels CM Hub publishes on, and names the others with the reason (a Google
Business Profile place answers reviews; it publishes nothing)."""

from __future__ import annotations

from django.utils import translation

from networks.models import Channel
from posts.models import Post


def place(workspace) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="google_business",
        external_id="accounts/1/locations/2",
        name="Acme Croix-Rousse",
        api_base_url="http://127.0.0.1:9",
    )


def test_a_google_business_place_is_named_apart_with_the_reason(agent_client, channels, workspace):
    shop = place(workspace)
    page = agent_client.get("/w/acme/posts/new/").content.decode()
    assert f'name="channels" value="{channels[0].pk}"' in page
    assert f'name="channels" value="{shop.pk}"' not in page
    assert f'data-unpublishable="{shop.pk}"' in page
    assert "it does not publish Google Business Profile posts" in page


def test_a_google_business_place_cannot_be_chosen_by_a_hand_made_post(agent_client, channels, workspace):
    shop = place(workspace)
    answer = agent_client.post(
        "/w/acme/posts/new/", {"text": "Hello", "channels": [shop.pk], "action": "save"}
    )
    assert answer.status_code == 200  # the form again, with the error
    assert not Post.objects.exists()


def test_the_reason_is_said_in_french(agent_client, agent, channels, workspace):
    place(workspace)
    agent.language = "fr"
    agent.save()
    with translation.override("fr"):
        page = agent_client.get("/w/acme/posts/new/").content.decode()
    assert "il ne publie pas de posts Google Business Profile" in page
