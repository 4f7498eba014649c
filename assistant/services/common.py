"""What the assistant's writes share: the refusal error and the permission check."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.policy import Perm, can
from core.errors import UserError


class AssistantError(UserError):
    """A refused change, in plain words."""


def _require(by: Membership, perm: Perm = Perm.MANAGE_FAQ) -> None:
    if not can(by, perm):
        raise AssistantError(_("Your role in this workspace does not allow this."))
