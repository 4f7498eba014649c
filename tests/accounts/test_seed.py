from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Membership, User, Workspace


def test_demo_seed_refuses_outside_demo_mode(db, settings):
    settings.CMHUB_DEMO = False
    with pytest.raises(CommandError, match="CMHUB_DEMO"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_demo_seed_is_idempotent_and_logins_work(db, settings):
    settings.CMHUB_DEMO = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert set(Workspace.objects.values_list("slug", flat=True)) == {"demo", "other"}
    assert Membership.objects.filter(workspace__slug="demo").count() == 3
    admin = User.objects.get(email="admin@demo.test")
    assert admin.is_superuser and admin.memberships.get(workspace__slug="demo").role == "admin"
    # The other workspace has its own member, who sees nothing of the demo.
    owner = User.objects.get(email="owner@other.test")
    client = Client()
    assert (
        client.post("/accounts/login/", {"login": owner.email, "password": "demo-password"}).status_code
        == 302
    )
    assert client.get("/w/demo/").status_code == 404
    for email in ("admin@demo.test", "manager@demo.test", "agent@demo.test"):
        client = Client()
        response = client.post("/accounts/login/", {"login": email, "password": "demo-password"})
        assert response.status_code == 302, email
        assert client.get("/w/demo/").status_code == 200, email
