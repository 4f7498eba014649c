"""Every model is registered in Django admin, and every changelist and change page opens."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

PROJECT_APPS = {"accounts", "networks", "inbox", "posts", "assistant", "notifications", "reports", "hooks"}


@pytest.fixture
def admin_client_(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_project_model_is_registered():
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]
    assert models
    missing = [m.__name__ for m in models if not admin.site.is_registered(m)]
    assert not missing, f"not in admin: {missing}"


def test_changelists_and_searches_open(admin_client_, owner, agent, outsider, django_assert_max_num_queries):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # list_select_related keeps a changelist to a handful of queries whatever the row count.
        with django_assert_max_num_queries(15):
            response = admin_client_.get(url)
        assert response.status_code == 200, url
        if model_admin.search_fields:
            assert admin_client_.get(url, {"q": "acme"}).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            assert admin_client_.get(change).status_code == 200, change


def test_admin_revokes_invitations_in_bulk(admin_client_, owner, workspace):
    from accounts import services
    from accounts.models import Invitation

    invitation, _token = services.invitation_create(
        workspace=workspace, email="x@example.test", role="agent", invited_by=owner
    )
    url = reverse("admin:accounts_invitation_changelist")
    admin_client_.post(url, {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
