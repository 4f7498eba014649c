from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils.html import strip_tags

from core.mail import email_send


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
