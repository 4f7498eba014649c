"""Meta's webhooks in the Graph fake: the app's subscriptions (object, fields, callback URL, verify token, as
set in the App Dashboard), Pages installing the app (`POST /{page-id}/subscribed_apps`), and a signed
delivery for every comment and message a person writes, shaped as Meta's reference shows them:

- Page `feed`: https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed
- Messenger `messages`: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
- Messenger `message_edits`: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-edits
  (Messenger only, says Meta's list of messaging fields: Instagram sends no edit notification)
- Instagram `comments`: https://developers.facebook.com/docs/instagram-platform/webhooks/examples
- Instagram `messages`: https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks
  (the account's own messages come back in the same field, marked `is_echo`)

A mixin placed before the Facebook and Instagram routes of `GraphFake`: it wraps their seeding methods, so
everything that adds engagement (tests, the demo feeds) also pushes it when a subscription asks for it.
"""

from __future__ import annotations

import time
from typing import Any

from networks.fakes import graph_state as gs
from networks.fakes.base import Request
from networks.fakes.graph_instagram_inbox import IgDm
from networks.fakes.graph_state import (
    Comment,
    Conversation,
    FieldSpec,
    IgComment,
    IgUser,
    Media,
    Message,
    Page,
    select,
)
from networks.fakes.webhook_outbox import Subscription, WebhookOutbox


class GraphWebhooks(gs.GraphHost):
    objects: dict[str, Any]
    apps: dict[str, str]

    def _init_webhooks(self) -> None:
        """Called by GraphFake._init_state: no subscription, no installed app; the sender thread stays."""
        self.webhook_subscriptions: dict[
            tuple[str, str], Subscription
        ] = {}  # (app id, object) -> subscription
        self.installed_apps: dict[str, dict[str, frozenset[str]]] = {}  # page id -> {app id: fields}
        if not hasattr(self, "webhooks"):
            self.webhooks = WebhookOutbox()

    def stop(self) -> None:
        super().stop()  # type: ignore[misc]
        self.webhooks.close()

    # --- Configuration (the App Dashboard's Webhooks product) -------------------------------------------

    def subscribe_app(
        self,
        app_id: str,
        object_type: str,
        callback_url: str,
        fields: list[str] | tuple[str, ...],
        verify_token: str,
    ) -> Subscription:
        """The app's subscription for `object_type` ("page" or "instagram"); Meta verifies the callback URL
        (GET handshake) before its first delivery."""
        subscription = Subscription(
            "meta", callback_url, self.apps[app_id], verify_token=verify_token, fields=frozenset(fields)
        )
        self.webhook_subscriptions[(app_id, object_type)] = subscription
        return subscription

    def install_app(self, page_id: str, app_id: str, fields: list[str] | tuple[str, ...]) -> None:
        """The Page installs the app for these fields, as `POST /{page-id}/subscribed_apps` does."""
        self.installed_apps.setdefault(page_id, {})[app_id] = frozenset(fields)

    # --- Seeding wrapped: a person's comment or message is pushed too -----------------------------------

    def add_comment(self, post_id: str, *args: Any, **kwargs: Any) -> Comment:
        comment = super().add_comment(post_id, *args, **kwargs)  # type: ignore[misc]
        self._push_comment(comment)
        return comment

    def add_conversation_message(self, page_id: str, *args: Any, **kwargs: Any) -> Message:
        message = super().add_conversation_message(page_id, *args, **kwargs)  # type: ignore[misc]
        self._push_message(page_id, message)
        return message

    def edit_conversation_message(self, message_id: str, text: str) -> Message:
        message = super().edit_conversation_message(message_id, text)  # type: ignore[misc]
        self._push_message_edit(message)
        return message

    def add_ig_message(self, ig_user_id: str, *args: Any, **kwargs: Any) -> IgDm:
        message = super().add_ig_message(ig_user_id, *args, **kwargs)  # type: ignore[misc]
        self._push_ig_message(ig_user_id, message)
        return message

    def add_ig_comment(self, media_id: str, *args: Any, **kwargs: Any) -> IgComment:
        comment = super().add_ig_comment(media_id, *args, **kwargs)  # type: ignore[misc]
        self._push_ig_comment(comment)
        return comment

    def add_ig_mention_comment(self, ig_user_id: str, *args: Any, **kwargs: Any) -> IgComment:
        comment = super().add_ig_mention_comment(ig_user_id, *args, **kwargs)  # type: ignore[misc]
        self._push_ig_mention(ig_user_id, comment)
        return comment

    def _push_ig_mention(self, ig_user_id: str, comment: IgComment) -> None:
        """The mentioned account's `mentions` field: ids only, the words are read from the API
        (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/mentioned_comment)."""
        owner = self.objects.get(ig_user_id)
        subscribers = self._subscribers("instagram", getattr(owner, "page_id", ""), "mentions", ig_user_id)
        value = {"comment_id": comment.id, "media_id": comment.media_id}
        entry = {
            "id": ig_user_id,
            "time": int(time.time()),
            "changes": [{"field": "mentions", "value": value}],
        }
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "instagram", "entry": [entry]})

    def _subscribers(
        self, object_type: str, page_id: str, field: str, ig_user_id: str = ""
    ) -> list[Subscription]:
        # An Instagram account is reached through its Page's installation, or its own (Instagram Login).
        installed = {**self.installed_apps.get(page_id, {}), **self.installed_apps.get(ig_user_id, {})}
        found = []
        for (app_id, kind), subscription in self.webhook_subscriptions.items():
            if kind != object_type or field not in subscription.fields or app_id not in installed:
                continue
            # A Page subscribes to its own fields; Instagram follows the app's once its Page installed it.
            if object_type == "page" and field not in installed[app_id]:
                continue
            found.append(subscription)
        return found

    def _push_comment(self, comment: Comment) -> None:
        post = self.objects.get(comment.post_id)
        if post is None or comment.raw is not None or comment.author is None:
            return
        subscribers = self._subscribers("page", post.page_id, "feed")
        if not subscribers:
            return
        value = {
            "from": dict(comment.author),
            "post": {
                "status_type": "mobile_status_update",
                "is_published": True,
                "updated_time": gs.graph_time(comment.created),
                "permalink_url": f"https://www.facebook.com/{post.id.replace('_', '/posts/', 1)}",
                "promotion_status": "inactive",
                "id": post.id,
            },
            "message": comment.message,
            "post_id": post.id,
            "comment_id": comment.id,
            "created_time": int(comment.created.timestamp()),
            "item": "comment",
            "parent_id": comment.parent_id or post.id,
            "verb": "add",
        }
        entry = {"id": post.page_id, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "page", "entry": [entry]})

    def _push_message(self, page_id: str, message: Message) -> None:
        subscribers = self._subscribers("page", page_id, "messages")
        if not subscribers or message.raw is not None:
            return
        millis = int(message.created.timestamp() * 1000)
        body: dict[str, Any] = {"mid": message.id, "text": message.text}
        if message.sender.get("id") == page_id:
            body["is_echo"] = True
        event = {
            "sender": {"id": message.sender["id"]},
            "recipient": {"id": message.recipient["id"]},
            "timestamp": millis,
            "message": body,
        }
        entry = {"id": page_id, "time": int(time.time() * 1000), "messaging": [event]}
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "page", "entry": [entry]})

    def _push_message_edit(self, message: Message) -> None:
        conversation = self.objects[message.conversation_id]
        subscribers = self._subscribers("page", conversation.page_id, "message_edits")
        if not subscribers or message.sender.get("id") == conversation.page_id:
            return  # only what a person wrote can be edited by them
        event = {
            "sender": {"id": message.sender["id"]},
            "recipient": {"id": message.recipient["id"]},
            "timestamp": int(time.time() * 1000),
            "message_edit": {"mid": message.id, "text": message.text, "num_edit": message.edits},
        }
        entry = {"id": conversation.page_id, "time": int(time.time() * 1000), "messaging": [event]}
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "page", "entry": [entry]})

    def _push_ig_message(self, ig_user_id: str, message: IgDm) -> None:
        owner = self.objects.get(ig_user_id)
        subscribers = self._subscribers("instagram", getattr(owner, "page_id", ""), "messages", ig_user_id)
        if not subscribers:
            return
        body: dict[str, Any] = {"mid": message.id, "text": message.text}
        if message.sender.get("id") == ig_user_id:
            body["is_echo"] = True
        event = {
            "sender": {"id": message.sender["id"]},
            "recipient": {"id": message.recipient["id"]},
            "timestamp": int(message.created.timestamp() * 1000),
            "message": body,
        }
        entry = {"id": ig_user_id, "time": int(time.time() * 1000), "messaging": [event]}
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "instagram", "entry": [entry]})

    def _push_ig_comment(self, comment: IgComment) -> None:
        media = self.objects.get(comment.media_id)
        if not isinstance(media, Media) or comment.raw is not None:
            return
        owner = self.objects.get(media.ig_user_id)
        page_id = getattr(owner, "page_id", "")
        subscribers = self._subscribers("instagram", page_id, "comments", media.ig_user_id)
        if not subscribers:
            return
        value: dict[str, Any] = {
            "from": {"id": comment.from_id, "username": comment.username},
            "media": {"id": media.id, "media_product_type": "FEED"},
            "id": comment.id,
            "text": comment.text,
        }
        if comment.parent_id:
            value["parent_id"] = comment.parent_id
        entry = {
            "id": media.ig_user_id,
            "time": int(time.time()),
            "changes": [{"field": "comments", "value": value}],
        }
        for subscription in subscribers:
            self.webhooks.send(subscription, {"object": "instagram", "entry": [entry]})

    # --- Graph routes: subscribed_apps, and a conversation looked up by person ---------------------------

    def fb_edge(
        self, request: Request, obj: Any, edge: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any] | None:
        if isinstance(obj, Page) and edge == "subscribed_apps":
            installed = self.installed_apps.get(obj.id, {})
            return {
                "data": [
                    {
                        "category": "Business",
                        "link": "https://cmhub.example/",
                        "name": "CM Hub",
                        "id": app_id,
                        "subscribed_fields": sorted(fields_),
                    }
                    for app_id, fields_ in installed.items()
                ]
            }
        if isinstance(obj, Page) and edge == "conversations" and request.arg("user_id"):
            return self._conversation_of(request, obj, request.arg("user_id"), fields)
        return super().fb_edge(request, obj, edge, fields)  # type: ignore[misc]

    def fb_write(self, obj: Any, edge: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(obj, Page | IgUser) and edge == "subscribed_apps":
            wanted = [f for f in str(params.get("subscribed_fields", "")).split(",") if f]
            if not wanted:
                raise gs.Reject(gs.error_response(100, "(#100) The parameter subscribed_fields is required."))
            # The object's own token asks (what the fake's routes hand a writer is the object, not the token).
            token = self.tokens.get(obj.token)
            if token is not None and "pages_manage_metadata" not in token.permissions:
                raise gs.Reject(
                    gs.error_response(
                        200, "(#200) Requires pages_manage_metadata permission to manage the object"
                    )
                )
            # The token's app installs itself; the fake's tokens do not name an app, so every app does.
            for app_id in self.apps:
                self.install_app(obj.id, app_id, wanted)
            return {"success": True}
        return super().fb_write(obj, edge, params)  # type: ignore[misc]

    def _conversation_of(
        self, request: Request, page: Page, user_id: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        refusal = gs.missing_permission(self._authenticate(request), gs.CONVERSATIONS_NEED)  # type: ignore[attr-defined]
        if refusal is not None:
            raise gs.Reject(refusal)
        if request.arg("platform", "messenger") != "messenger":
            return {"data": []}
        found = [
            c
            for c in self.objects.values()
            if isinstance(c, Conversation) and c.page_id == page.id and c.user.get("id") == user_id
        ]
        data = [
            select(
                {
                    "id": c.id,
                    "updated_time": gs.graph_time(c.updated),
                    "link": f"/{page.id}/inbox/{c.id}",
                    "participants": {"data": [c.user, {"id": page.id, "name": page.name}]},
                },
                fields,
                ("id",),
            )
            for c in found
        ]
        return {"data": data}
