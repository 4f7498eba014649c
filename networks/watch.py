"""The workspace's watch windows: which posts polls read, how far back and how often the sweep goes.

One write path (`watch_settings_update`) for the settings page, admin and anything else; the providers
get the values through `registry.watch_windows`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Workspace
from accounts.policy import Perm, can
from core.errors import UserError
from networks.models import WatchSettings
from networks.registry import provider_class

FIELDS = tuple(WatchSettings.LIMITS)


class WatchSettingsError(UserError):
    pass


def _check(values: dict[str, int]) -> None:
    for name, (low, high) in WatchSettings.LIMITS.items():
        value = values.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            label = getattr(WatchSettings._meta.get_field(name), "verbose_name", name)
            raise WatchSettingsError(
                _("%(field)s must be a whole number from %(low)s to %(high)s.")
                % {"field": str(label).capitalize(), "low": low, "high": high}
            )


@transaction.atomic
def watch_settings_update(*, workspace: Workspace, by: Membership, **values: int) -> WatchSettings:
    """Save the workspace's windows; they apply from the next poll of each channel."""
    if by.workspace_id != workspace.pk or not can(by, Perm.MANAGE_CHANNELS):
        raise WatchSettingsError(_("Your role in this workspace does not allow this."))
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise WatchSettingsError(_("Unknown setting: %(name)s") % {"name": ", ".join(sorted(unknown))})
    current = WatchSettings.for_workspace(workspace.pk)
    merged = {name: values.get(name, getattr(current, name)) for name in FIELDS}
    _check(merged)
    row, _created = WatchSettings.objects.update_or_create(workspace=workspace, defaults=merged)
    return row


class WatchSettingsForm(forms.ModelForm):
    """The settings page's form; its bounds are the model's, checked again by the service."""

    class Meta:
        model = WatchSettings
        fields = list(FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high) in WatchSettings.LIMITS.items():
            field = self.fields[name]
            assert isinstance(field, forms.IntegerField)
            field.widget.attrs.update(min=low, max=high)

    def clean(self) -> dict:
        data = super().clean() or {}
        for name, (low, high) in WatchSettings.LIMITS.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(
                    name, _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}
                )
        return data


@dataclass(frozen=True)
class SweepState:
    """What the health page says of one channel's sweep, read from its poll cursor."""

    supported: bool
    swept_at: dt.datetime | None = None
    in_progress: bool = False
    next_at: dt.datetime | None = None


def _time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def sweeping_networks() -> tuple[list[str], list[str]]:
    """The names of the networks whose poll sweeps older posts, and of the others."""
    from networks.providers.base import Network

    sweeping = [n for n in Network if provider_class(n).sweeps_older_posts]
    return [n.label for n in sweeping], [n.label for n in Network if n not in sweeping]


def sweep_state(channel: Any) -> SweepState:
    if not provider_class(channel.network).sweeps_older_posts:
        return SweepState(supported=False)
    sweep = (channel.cursor or {}).get("sweep")
    sweep = sweep if isinstance(sweep, dict) else {}
    return SweepState(
        supported=True,
        swept_at=_time(sweep.get("swept_at")),
        in_progress=isinstance(sweep.get("until"), int),
        next_at=_time(sweep.get("next_at")),
    )
