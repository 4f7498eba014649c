from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils.html import strip_tags

from core.mail import email_send

# Our own namespace in the rate-limit cache: allauth's "login_failed" (settings.ACCOUNT_RATE_LIMITS) still
# guards the second factor, keyed by user, which only someone who has the password can reach.
_LIMITS_APP = "cmhub.accounts"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # A back office: people join through an invitation, which creates their account itself.
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", False)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mails (password reset, address confirmation, security notices) are rendered here, in
        the request's language, and sent by the core.send_email task like every other mail: a mail server
        that is down never makes a sign-in page fail."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), None)
        body = message.body
        if message.content_subtype == "html":  # an HTML-only template: send a text part too
            html, body = body, strip_tags(body)
        email_send(
            subject=message.subject,
            body=body,
            to=list(message.to),
            from_email=message.from_email,
            html=html,
            headers=dict(message.extra_headers),
        )

    # --- Failed sign-ins, keyed so that nobody can lock a colleague out ---------------------------------
    # allauth counts failures per account from every address: five wrong passwords from anywhere locked
    # the person out, the right password included. Here (settings.CMHUB_LOGIN_FAILED_LIMITS):
    # - per (address, account), tight: one address guessing one account is stopped after a few tries;
    # - per address, looser: one address trying many accounts is stopped too;
    # - per account, a ceiling that slows and never locks: past it (guesses from many addresses), each
    #   address gets one try at that account per period. The person, from their own address, still gets
    #   in with the right password; a crowd of addresses gets one guess each per period.
    # Every attempt counts before the password is checked (as in allauth); a success takes its own count
    # back, so successful sign-ins cannot be slipped between guesses to reset anything.

    def _login_limits(self, request: HttpRequest, account: str) -> list[tuple[str, str]]:
        address = ratelimit.get_ip(request)
        limits = [("address_account", f"{address}|{account}"), ("address", address)]
        if self._consume("account", account, request, dry_run=True) is None:
            limits.append(("account_slowed", f"{address}|{account}"))
        else:
            limits.append(("account", account))
        return limits

    def _consume(
        self, limit: str, key: str, request: HttpRequest, *, dry_run: bool = False
    ) -> ratelimit.RateLimitUsage | None:
        config = {limit: f"{settings.CMHUB_LOGIN_FAILED_LIMITS[limit]}/key"}
        return ratelimit.consume(
            request, app=_LIMITS_APP, action=limit, config=config, key=key, dry_run=dry_run
        )

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        account = self._get_login_attempts_cache_key(request, **credentials)
        taken: list[ratelimit.SingleRateLimitUsage] = []
        for limit, key in self._login_limits(request, account):
            usage = self._consume(limit, key, request)
            if usage is None:
                ratelimit.RateLimitUsage(usage=taken).rollback()  # a refused try counts nowhere else
                self._login_failed_rl_usage = None
                raise self.validation_error("too_many_login_attempts")
            taken.extend(usage.usage)
        # allauth's authenticate() rolls this back when the password was right.
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(usage=taken)

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        """After a successful password reset (itself rate-limited, and proof of the mailbox): the account's
        counts start afresh, from this address and overall."""
        account = self._get_login_attempts_cache_key(request, **credentials)
        address = ratelimit.get_ip(request)
        for limit, key in [
            ("address_account", f"{address}|{account}"),
            ("account_slowed", f"{address}|{account}"),
            ("account", account),
        ]:
            config = {limit: f"{settings.CMHUB_LOGIN_FAILED_LIMITS[limit]}/key"}
            ratelimit.clear(request, app=_LIMITS_APP, action=limit, config=config, key=key)
