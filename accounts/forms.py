from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from accounts.audit_models import ACTION_GROUPS, AuditAction, AuditEvent
from accounts.audit_selectors import AuditFilters
from accounts.models import Membership, Workspace
from core.dates import DateField
from core.images import ImageRejected, make_avatar
from core.timezones import timezone_choices
from core.uploads import read_upload


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=80, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Same as my browser")), *settings.LANGUAGES],
        required=False,
    )
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("JPEG, PNG, WEBP or GIF, 5 MB at most. It is cropped to a square."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("timezone") or ""
        self.fields["timezone"].choices = [
            ("", _("Each workspace's time zone")),
            *timezone_choices(current=current),
        ]

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:  # None (nothing sent) or False (the "clear" box was ticked)
            return upload
        data = read_upload(upload, max_bytes=settings.AVATAR_MAX_BYTES)
        try:
            return make_avatar(data, max_bytes=settings.AVATAR_MAX_BYTES, size=settings.AVATAR_SIZE)
        except ImageRejected as exc:
            raise forms.ValidationError(str(exc)) from None


class WorkspaceSettingsForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name", "timezone", "default_language", "require_mfa"]
        widgets = {"timezone": forms.Select}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.choices = timezone_choices(current=self.instance.timezone)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.AGENT)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class InvitationSignupForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=80)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from accounts.models import User

            try:
                validate_password(p1, User(email=self.email, display_name=data.get("display_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class AuditFilterForm(forms.Form):
    """The Audit log page's filters (GET). Choices are built per workspace: its members, then the
    assistant and the system; actions grouped by what they concern."""

    actor = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("What"), required=False)
    date_from = DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    target = forms.CharField(label=_("Target"), required=False, max_length=100)

    def __init__(self, *args, members: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        people = sorted(((str(m.user_id), m.user.name) for m in members), key=lambda c: c[1].lower())
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            (_("People"), people),
            (_("Automatic"), list(AuditEvent.ActorKind.choices[1:])),
        ]
        grouped = [
            (label, [(f"group:{group}", _("All: %(group)s") % {"group": label})])
            for group, label in ACTION_GROUPS.items()
        ]
        by_group = dict(grouped)
        for action in AuditAction:
            by_group[ACTION_GROUPS[action.group]].append((action.value, action.label))
        self.fields["action"].choices = [("", _("Any action")), *grouped]  # type: ignore[attr-defined]

    def filters(self) -> AuditFilters:
        self.is_valid()  # an invalid field (a date out of range) is dropped; the others still filter
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            target=(data.get("target") or "").strip(),
        )
