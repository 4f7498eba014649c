from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hooks import events


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=2000,
        help_text=_("An https address on the public internet, which answers 2xx when it got a message."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, f"{name}: {label}") for name, label in events.EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
