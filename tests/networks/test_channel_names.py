"""A channel's name (from the network at connect time, or typed in admin) is stored on one line: it names
the channel in mail subjects, where a line break used to make every reconnect mail fail."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db import models
from django.forms.models import model_to_dict
from django.test import RequestFactory

from networks import services
from networks.models import Channel
from networks.providers import base as p


def _connect(workspace, owner, name: str) -> Channel:
    return services.channel_connect(
        workspace=workspace,
        network="x",
        external_id="brand-1",
        name=name,
        api_base_url="http://127.0.0.1:9",
        credentials=p.Credentials(access_token="token"),
        by=owner,
    )


def test_connect_stores_the_name_on_one_line(workspace, owner):
    assert _connect(workspace, owner, "Demo\r\nBakery\x07").name == "Demo Bakery"
    assert Channel.objects.get().name == "Demo Bakery"
    assert _connect(workspace, owner, "Demo\nBakery\tParis").name == "Demo Bakery Paris"  # reconnect too


def test_admin_stores_the_name_on_one_line(workspace, owner, admin_user):
    channel = _connect(workspace, owner, "Demo Bakery")
    model_admin = admin.site._registry[Channel]
    request = RequestFactory().post("/")
    request.user = admin_user
    form_class = model_admin.get_form(request, channel, change=True)
    data = {}
    for name, value in model_to_dict(channel, fields=list(form_class.base_fields)).items():
        field = Channel._meta.get_field(name)
        if isinstance(field, models.DateTimeField):  # admin's split widget: a date and a time
            data[f"{name}_0"], data[f"{name}_1"] = (value.date(), value.time()) if value else ("", "")
            continue
        if isinstance(field, models.JSONField):
            value = json.dumps(value)
        elif isinstance(field, models.ForeignKey):
            value = value or ""
        data[name] = "" if value is None else value
    data["name"] = "Demo\r\nBakery"
    form = form_class(data=data, instance=channel)
    assert form.is_valid(), form.errors
    form.save()
    channel.refresh_from_db()
    assert channel.name == "Demo Bakery"
