"""The audit actions no other test covered: a channel connected (and connected again), auto-reply settings,
and the assistant's vocabulary and tone guide, each recorded once with what changed, and nothing when
nothing changed."""

from __future__ import annotations

import pytest

from accounts.audit import AuditAction, AuditEvent
from accounts.models import Membership
from assistant.autoreply import auto_reply_policy_update
from assistant.engine import AUTO_SEND_THRESHOLD
from assistant.services.drafts import tone_guide_update
from assistant.services.faq import vocabulary_update
from networks import services
from networks.providers import base as p

pytestmark = pytest.mark.django_db
A = AuditAction


def _member(user, workspace) -> Membership:
    return Membership.objects.get(user=user, workspace=workspace)


def test_a_channel_connected_then_reconnected_is_recorded_each_time(owner, workspace):
    def connect():
        return services.channel_connect(
            workspace=workspace,
            network="x",
            external_id="X1",
            name="Acme on X",
            handle="acme",
            api_base_url="http://127.0.0.1:9",
            credentials=p.Credentials(access_token="t"),
            by=owner,
        )

    channel = connect()
    connect()
    first, second = AuditEvent.objects.filter(action=A.CHANNEL_CONNECTED).order_by("pk")
    assert first.actor == owner and first.target_id == str(channel.pk)
    assert (first.after["reconnected"], second.after["reconnected"]) == (False, True)


def test_auto_reply_settings_changes_are_recorded_with_what_changed(manager, workspace):
    by = _member(manager, workspace)

    def update(**values):
        defaults = {
            "enabled": False,
            "faq_entries": [],
            "min_confidence": AUTO_SEND_THRESHOLD,
            "channels": [],
            "daily_cap": 50,
        }
        return auto_reply_policy_update(workspace=workspace, by=by, **{**defaults, **values})

    update()
    update(enabled=True)
    update(enabled=True)  # saved as it was: nothing to record
    events = list(AuditEvent.objects.filter(action=A.AUTO_REPLY_SETTINGS_CHANGED).order_by("pk"))
    assert len(events) == 2
    assert events[1].before == {"enabled": False} and events[1].after == {"enabled": True}
    assert events[1].actor == manager


def test_vocabulary_and_tone_guide_changes_are_recorded_once_each(manager, workspace):
    by = _member(manager, workspace)
    vocabulary_update(workspace=workspace, by=by, text="bread: baguette, loaf")
    tone_guide_update(workspace=workspace, by=by, tone_guide="Warm, short, no emoji.")
    tone_guide_update(workspace=workspace, by=by, tone_guide="Warm, short, no emoji.")
    events = list(AuditEvent.objects.filter(action=A.ASSISTANT_SETTINGS_CHANGED).order_by("pk"))
    assert [sorted(e.after) for e in events] == [["synonyms"], ["tone_guide"]]
    assert events[1].after == {"tone_guide": "Warm, short, no emoji."}
