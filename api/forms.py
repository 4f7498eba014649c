from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from api.models import ApiToken, Area

ACCESS_CHOICES = [("", _("No access")), ("read", _("Read")), ("write", _("Read and write"))]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use it: “CRM sync”."))
    kind = forms.ChoiceField(
        label=_("Acts as"), choices=ApiToken.Kind.choices, initial=ApiToken.Kind.PERSONAL
    )
    role = forms.ChoiceField(
        label=_("Role (workspace tokens)"), choices=[("", "—"), *Membership.Role.choices], required=False
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: until revoked."),
    )

    def __init__(self, *args, admin: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for area in Area:
            self.fields[f"scope_{area.value}"] = forms.ChoiceField(
                label=area.label, choices=ACCESS_CHOICES, required=False
            )
        if not admin:
            self.fields["kind"] = forms.ChoiceField(
                label=_("Acts as"), choices=[(ApiToken.Kind.PERSONAL, ApiToken.Kind.PERSONAL.label)]
            )
            del self.fields["role"]

    def scope_fields(self):
        return [self[f"scope_{area.value}"] for area in Area]

    def scopes(self) -> list[str]:
        found = []
        for area in Area:
            access = self.cleaned_data.get(f"scope_{area.value}")
            if access:
                found.append(f"{area.value}:{access}")
        return found

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if not day:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
