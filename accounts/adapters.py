from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A back office: people join through an invitation, which creates their account itself.
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", False)
