"""The inbox's forms: list filters, saved replies and the workspace's inbox rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import dates
from inbox import saved_replies, selectors
from inbox.models import Conversation, InboxPolicy, Intent, SavedReply
from inbox.selectors import AssigneeFilter, InboxFilters, Sort
from networks.models import network_choices

#: The event a response fires (HX-Trigger) when counts may have moved: the sidebar badge asks again.


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "body", "shortcut", "language"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        names = ", ".join("{{ %s }}" % name for name in saved_replies.VARIABLES)  # noqa: UP031
        self.fields["body"].help_text = _("Variables: %(names)s.") % {"names": names}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        unknown = saved_replies.unknown_variables(body)
        if unknown:
            raise forms.ValidationError(
                _("Unknown variable(s): %(names)s.") % {"names": ", ".join("{{ %s }}" % n for n in unknown)}  # noqa: UP031
            )
        return body

    def clean_shortcut(self) -> str:
        shortcut = self.cleaned_data["shortcut"].lower()
        taken = SavedReply.objects.filter(workspace=self.workspace, shortcut=shortcut).exclude(
            pk=self.instance.pk
        )
        if shortcut and taken.exists():
            raise forms.ValidationError(_("Another saved reply already uses this shortcut."))
        return shortcut

    def validate_unique(self) -> None:
        """Uniqueness per workspace is checked above (the workspace is not a field of the form)."""


class InboxSettingsForm(forms.Form):
    agent_replies_need_approval = forms.BooleanField(
        label=gettext_lazy("Agents' replies need a manager's approval"), required=False
    )
    first_response_minutes = forms.IntegerField(
        label=gettext_lazy("First-response target (minutes)"),
        min_value=0,
        max_value=60 * 24 * 14,
        help_text=gettext_lazy("0 turns the target off."),
    )

    after_reply = forms.ChoiceField(
        label=gettext_lazy("After the team has replied"),
        choices=InboxPolicy.AfterReply.choices,
        widget=forms.RadioSelect,
        required=False,  # left out: the current choice stays
        help_text=gettext_lazy(
            "Decided when the network has accepted our reply; the customer's next message reopens it."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in range(7):
            for end in ("opens", "closes"):
                self.fields[f"{end}_{day}"] = forms.TimeField(
                    required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
                )

    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(WEEKDAYS[day], self[f"opens_{day}"], self[f"closes_{day}"]) for day in range(7)]

    def clean(self) -> dict:
        data = super().clean()
        hours: dict[str, list[str]] = {}
        for day in range(7):
            opens, closes = data.get(f"opens_{day}"), data.get(f"closes_{day}")
            if opens is None and closes is None:
                continue
            if opens is None or closes is None or opens >= closes:
                self.add_error(f"opens_{day}", _("Give an opening time before the closing time, or neither."))
                continue
            hours[str(day)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        data["business_hours"] = hours
        return data

    @classmethod
    def initial_for(cls, policy: InboxPolicy) -> dict:
        initial = {
            "agent_replies_need_approval": policy.agent_replies_need_approval,
            "first_response_minutes": policy.first_response_minutes,
            "after_reply": policy.after_reply,
        }
        for day, (opens, closes) in (policy.business_hours or {}).items():
            initial[f"opens_{day}"] = dt.time.fromisoformat(opens)
            initial[f"closes_{day}"] = dt.time.fromisoformat(closes)
        return initial


ALL = "all"
#: A review's stars, the values the rating filter offers.
RATINGS = (1, 2, 3, 4, 5)
SORT_CHOICES = [
    (Sort.NEWEST, gettext_lazy("Newest activity")),
    (Sort.OLDEST, gettext_lazy("Oldest activity")),
    (Sort.SLA, gettext_lazy("SLA due soonest")),
]


# The most conversations a drill-down link names (the address stays under proxies' request-line limits).
CONVERSATION_IDS_MAX = 500


class FilterForm(forms.Form):
    """The list's GET parameters. An invalid field is ignored (and said so), never an error page."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=selectors.SEARCH_MAX_CHARS)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel"), required=False, coerce=int, empty_value=None
    )
    network = forms.ChoiceField(
        label=gettext_lazy("Network"), required=False, choices=[("", ""), *network_choices()]
    )
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    label = forms.TypedChoiceField(label=gettext_lazy("Label"), required=False, coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", ""), *Conversation.Priority.choices],
    )
    date_from = dates.DateField(label=gettext_lazy("From"), required=False)
    date_to = dates.DateField(label=gettext_lazy("To"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    intent = forms.ChoiceField(
        label=gettext_lazy("Intent"), required=False, choices=[("", ""), *Intent.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", ""), *Conversation.Kind.choices]
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Rating"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", ""), *((n, str(n)) for n in RATINGS)],
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort"), required=False, choices=[("", ""), *SORT_CHOICES])
    # A report's drill-down: comma-separated conversation ids (scoped to the workspace by the query).
    conversations = forms.RegexField(
        label=gettext_lazy("Conversations"),
        required=False,
        max_length=CONVERSATION_IDS_MAX * 20,
        regex=r"^\d{1,18}(?:,\d{1,18})*$",
    )

    def __init__(self, *args, channels=None, labels=None, members=None, **kwargs):
        """With the workspace's channels, labels and members, ids are checked against them (the list page
        draws those menus anyway). Without them (the live-update poll, which must stay cheap) ids are only
        checked to be numbers: the query is scoped to the workspace, so a foreign id matches nothing."""
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", ""), (ALL, ""), *Conversation.Status.choices]
        if channels is None:
            self.fields["channel"] = forms.IntegerField(required=False, min_value=1)
            self.fields["label"] = forms.IntegerField(required=False, min_value=1)
            self.fields["assignee"] = forms.RegexField(
                required=False, regex=r"^(?:anyone|me|unassigned|\d{1,18})$"
            )
            return
        self.fields["channel"].choices = [("", ""), *[(c.pk, c.name) for c in channels]]
        self.fields["label"].choices = [("", ""), *[(label.pk, label.name) for label in labels or ()]]
        self.fields["assignee"].choices = [
            ("", ""),
            *[(a.value, a.value) for a in AssigneeFilter],
            *[(str(u.pk), u.name) for u in members or ()],
        ]

    def filters(self) -> InboxFilters:
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or Conversation.Status.OPEN
        return InboxFilters(
            status="" if status == ALL else status,
            channel_id=data.get("channel"),
            network=data.get("network") or "",
            assignee=data.get("assignee") or AssigneeFilter.ANYONE,
            label_id=data.get("label"),
            priority=data.get("priority"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            overdue=bool(data.get("overdue")),
            intent=data.get("intent") or "",
            kind=data.get("kind") or "",
            rating=data.get("rating"),
            sort=Sort(data.get("sort") or Sort.NEWEST),
            q=(data.get("q") or "").strip(),
            conversation_ids=tuple(
                int(i) for i in (data.get("conversations") or "").split(",")[:CONVERSATION_IDS_MAX] if i
            ),
        )
