"""Channels paused, resumed and disconnected from Settings are each recorded once in the audit log."""

from __future__ import annotations

from accounts.audit import AuditAction, AuditEvent
from networks.models import Channel

A = AuditAction


def test_pause_resume_and_disconnect_are_recorded_once(owner_client, owner, workspace):
    channel = Channel.objects.create(
        workspace=workspace,
        network="x",
        external_id="X1",
        name="Acme on X",
        api_base_url="http://127.0.0.1:9",
    )
    base = f"/w/acme/settings/channels/{channel.pk}"
    owner_client.post(f"{base}/pause/")
    owner_client.post(f"{base}/pause/")  # already paused: nothing changes, nothing recorded
    owner_client.post(f"{base}/resume/")
    owner_client.post(f"{base}/disconnect/")
    [paused] = AuditEvent.objects.filter(action=A.CHANNEL_PAUSED)
    assert paused.actor == owner and (paused.before, paused.after) == (
        {"status": "active"},
        {"status": "paused"},
    )
    [resumed] = AuditEvent.objects.filter(action=A.CHANNEL_RESUMED)
    assert resumed.after == {"status": "active"}
    [gone] = AuditEvent.objects.filter(action=A.CHANNEL_DISCONNECTED)
    assert gone.actor == owner and gone.target_id == str(channel.pk) and gone.before["network"] == "x"
