"""The posts app's forms: the list's filters and the composer."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, User
from core.uploads import read_upload
from networks.models import Channel
from posts import selectors
from posts.models import Post


class ListFilters(forms.Form):
    """The list's GET parameters; an invalid one is ignored rather than an error page."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *Post.Status.choices],
    )
    author = forms.TypedChoiceField(
        label=gettext_lazy("Author"), required=False, coerce=int, empty_value=None
    )
    channel = forms.TypedChoiceField(
        label=gettext_lazy("Channel"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data: QueryDict, *, member: Membership):
        super().__init__(data)
        authors = User.objects.filter(memberships__workspace_id=member.workspace_id).order_by(
            "display_name", "email"
        )
        self.fields["author"].choices = [("", _("Anyone")), *((u.pk, u.name) for u in authors)]
        self.fields["channel"].choices = [
            ("", _("Any")),
            *((c.pk, f"{c.get_network_display()} · {c.name}") for c in selectors.channels_for_member(member)),
        ]


class ComposeForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Internal title"), required=False, max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), required=False, widget=forms.Textarea)
    campaign = forms.CharField(label=gettext_lazy("Campaign"), required=False, max_length=100)
    channels = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Channels"), queryset=Channel.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    upload = forms.FileField(label=gettext_lazy("Add an image"), required=False)
    alt_text = forms.CharField(
        label=gettext_lazy("Image description (alt text)"), required=False, max_length=1000
    )

    def __init__(self, *args, member: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["channels"].queryset = selectors.publishing_channels_for_member(member)
        self.fields["channels"].label_from_instance = lambda c: f"{c.get_network_display()} · {c.name}"

    def clean_upload(self) -> ContentFile | None:
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        # Refused by its size before it is read; only a file within the limit comes into memory.
        return ContentFile(read_upload(upload, max_bytes=settings.POST_MEDIA_MAX_BYTES), name=upload.name)
