"""LinkedIn's organization social-action notifications in the LinkedIn fake, shaped as documented
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications):
a COMMENT notification for every comment written on an organization's post, once a webhook URL is
registered (the developer portal's Webhooks tab) and validated with `challengeCode`; signed with
`X-LI-Signature` (networks.fakes.webhook_outbox)."""

from __future__ import annotations

import time
from typing import Any

from networks.fakes.webhook_outbox import Subscription, WebhookOutbox


class LinkedInWebhooks:
    # Provided by LinkedInFake; declared for readers and type checkers.
    client_secret: str
    posts: dict[str, dict[str, Any]]
    acls: list[dict[str, str]]

    webhook_subscription: Subscription | None = None
    _notification_seq = 2_007_460_000

    @property
    def webhooks(self) -> WebhookOutbox:
        outbox = self.__dict__.get("_webhooks")
        if outbox is None:
            outbox = self.__dict__["_webhooks"] = WebhookOutbox()
        return outbox

    def subscribe_webhook(self, callback_url: str) -> Subscription:
        """The app's webhook URL, as registered in the developer portal (validated before first use)."""
        self.webhook_subscription = Subscription("linkedin", callback_url, self.client_secret)
        return self.webhook_subscription

    def stop(self) -> None:
        super().stop()  # type: ignore[misc]
        if "_webhooks" in self.__dict__:
            self.webhooks.close()

    def push_comment(self, post: str, comment_urn: str, actor: str) -> None:
        """Called by `add_comment`: notify the post's organization, if someone registered a webhook."""
        subscription = self.webhook_subscription
        author = self.posts.get(post, {}).get("author", "")
        if subscription is None or not author.startswith("urn:li:organization:") or actor == author:
            return
        self._notification_seq += 1
        admins = [acl.get("roleAssignee", "") for acl in self.acls if acl.get("organization") == author]
        notification = {
            "notificationId": self._notification_seq,
            "organizationalEntity": author,
            "action": "COMMENT",
            "sourcePost": post,
            "generatedActivity": comment_urn,
            "lastModifiedAt": int(time.time() * 1000),
            "subscriber": admins[0] if admins else "",
        }
        payload = {"type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", "notifications": [notification]}
        self.webhooks.send(subscription, payload)
