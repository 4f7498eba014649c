"""The Facebook half of the Graph fake: Pages, posts, comments, photos, Messenger, Facebook Login.

A mixin of `GraphFake`, which provides the shared plumbing (`objects`, `envelope`, `nested`, `visible`...).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from networks.fakes import consent
from networks.fakes import graph_state as gs
from networks.fakes.base import Request, Response
from networks.fakes.graph_state import (
    Comment,
    Conversation,
    FieldSpec,
    Message,
    Page,
    Photo,
    Post,
    Reject,
    Token,
    User,
    error_response,
    graph_time,
    newest_first,
    oldest_first,
    parse_fields,
    parse_time,
    select,
)

GRAPH_WORDS = consent.ConsentWords(
    "Facebook",
    allow="Continue",
    denied={
        "error": "access_denied",
        "error_code": "200",
        "error_description": "Permissions error",
        "error_reason": "user_denied",
    },
)
AUTO: Any = object()  # "make one up" for seed arguments where None means "absent"


class FacebookRoutes(gs.GraphHost):
    # Provided by GraphFake; declared for readers and type checkers.
    objects: dict[str, Any]
    deleted: set[str]
    apps: dict[str, str]
    codes: dict[str, dict[str, Any]]
    _authenticate: Callable[[Request], Token]
    moderation_fields: Callable[[Any], dict[str, Any]]

    # --- Seeding ----------------------------------------------------------------------------------------

    def add_post(
        self,
        page_id: str,
        message: str = "",
        created_time: Any = None,
        post_id: str = "",
        published: bool = True,
    ) -> Post:
        post_id = post_id or f"{page_id}_{self.ids.next()}"
        post = Post(post_id, page_id, message, parse_time(created_time) or self.now(), published=published)
        self.objects[post_id] = post
        return post

    def add_visitor_post(
        self, page_id: str, message: str = "Hello Page!", created_time: Any = None, author: Any = AUTO
    ) -> Post:
        """A post someone wrote on the Page: on its `feed` (and `visitor_posts`), never `published_posts`."""
        if author is AUTO:
            person = self.ids.next()
            author = {"id": person, "name": f"Visitor {person[-4:]}"}
        post = self.add_post(page_id, message, created_time)
        post.author = author
        return post

    def edit_comment(self, comment_id: str, message: str, at: Any = None) -> Comment:
        """The commenter changed their words: same id, new `message` (Graph gives no edit time)."""
        comment = self.objects[comment_id]
        comment.message = message
        comment.edited = parse_time(at) or self.now()
        return comment

    def edit_post(self, post_id: str, message: str, at: Any = None) -> Post:
        post = self.objects[post_id]
        post.message = message
        post.edited = parse_time(at) or self.now()
        return post

    def add_comment(
        self,
        post_id: str,
        message: str = "Hello!",
        created_time: Any = None,
        author: Any = AUTO,
        parent_id: str = "",
        comment_id: str = "",
        attachment: dict[str, Any] | None = None,
    ) -> Comment:
        """A comment by a person (`author=None` for one whose `from` Graph hides)."""
        if author is AUTO:
            person = self.ids.next()
            author = {"id": person, "name": f"Person {person[-4:]}"}
        comment_id = comment_id or f"{post_id.split('_')[-1]}_{self.ids.next()}"
        created = parse_time(created_time) or self.now()
        comment = Comment(comment_id, post_id, message, created, author, parent_id, attachment)
        self._remember_comment(comment)
        return comment

    def _remember_comment(self, comment: Comment) -> None:
        # Indexed by post: listing a post's comments must not scan every object of a large seeded graph.
        self.objects[comment.id] = comment
        self.comments_by_post.setdefault(comment.post_id, []).append(comment)

    def _comments_of_post(self, post_id: str) -> list[Comment]:
        return [c for c in self.comments_by_post.get(post_id, []) if c.id not in self.deleted]

    def add_raw_comment(self, post_id: str, body: dict[str, Any], created_time: Any = None) -> Comment:
        """Serve `body` verbatim as one comment of `post_id`, sorted by `created_time` (malformed data)."""
        comment = Comment(f"raw{self.ids.next()}", post_id, "", parse_time(created_time) or self.now(), None)
        comment.raw = body
        self._remember_comment(comment)
        return comment

    def add_conversation_message(
        self,
        page_id: str,
        user: dict[str, str] | None = None,
        text: str = "Hi!",
        created_time: Any = None,
        from_page: bool = False,
        raw: dict[str, Any] | None = None,
    ) -> Message:
        """A Messenger message between the Page and `user` ({"id": PSID, "name"}), in their one thread."""
        user = user or {"id": self.ids.next(), "name": "Dominique Customer"}
        conversation = self._conversation(page_id, user)
        page = self.objects[page_id]
        page_side = {"id": page.id, "name": page.name}
        sender, recipient = (page_side, user) if from_page else (user, page_side)
        created = parse_time(created_time) or self.now()
        message = Message(
            f"m_{secrets.token_urlsafe(12)}", conversation.id, text, created, sender, recipient, raw
        )
        conversation.messages.append(message)
        self.objects[message.id] = message
        return message

    def edit_conversation_message(self, message_id: str, text: str) -> Message:
        """The person edits a Messenger message they sent: the conversation shows the new words."""
        message = self.objects[message_id]
        message.text = text
        message.edits += 1
        return message

    def _conversation(self, page_id: str, user: dict[str, str]) -> Conversation:
        for obj in self.objects.values():
            if isinstance(obj, Conversation) and obj.page_id == page_id and obj.user["id"] == user["id"]:
                return obj
        conversation = Conversation(f"t_{self.ids.next()}", page_id, dict(user))
        self.objects[conversation.id] = conversation
        return conversation

    # --- Dispatch (None: not a Facebook route, let Instagram try) ---------------------------------------

    def fb_node_json(self, obj: Any, fields: dict[str, FieldSpec]) -> dict[str, Any] | None:
        renderers: dict[type, Callable[[Any, dict[str, FieldSpec]], dict[str, Any]]] = {
            Post: self._post_json,
            Comment: self._comment_json,
            Page: self._page_json,
        }
        for kind, render in renderers.items():
            if isinstance(obj, kind):
                return render(obj, fields)
        return None

    def fb_edge(
        self, request: Request, obj: Any, edge: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any] | None:
        if isinstance(obj, Page) and edge in {"published_posts", "feed", "posts", "visitor_posts"}:
            return self._page_posts(request, obj, edge, fields)
        if isinstance(obj, Page) and edge == "conversations":
            return self._conversations(request, obj, fields)
        if isinstance(obj, Post | Comment) and edge == "comments":
            return self._comments(request, obj, fields)
        if isinstance(obj, Conversation) and edge == "messages":
            messages = sorted(self._live(obj.messages), key=newest_first)
            return self.envelope(request, messages, lambda m: _message_json(m, fields))
        return None

    def fb_write(self, obj: Any, edge: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(obj, Post | Comment) and edge == "comments":
            return self._write_comment(obj, params)
        if isinstance(obj, Page) and edge == "feed":
            return self._write_post(obj, params)
        if isinstance(obj, Page) and edge == "photos":
            return self._write_photo(obj, params)
        if isinstance(obj, Page) and edge == "messages":
            return self._send_message(obj, params)
        return None

    # --- Facebook reads ---------------------------------------------------------------------------------

    def _live(self, items: list[Any]) -> list[Any]:
        return [item for item in items if item.id not in self.deleted]

    def _comments(
        self, request: Request, obj: Post | Comment, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        if isinstance(obj, Comment):  # replies of one comment
            comments = [c for c in self._comments_of_post(obj.post_id) if c.parent_id == obj.id]
        else:  # `filter=stream`: every comment and reply, flat; default: top-level only
            stream = request.arg("filter") == "stream"
            comments = [c for c in self._comments_of_post(obj.id) if stream or not c.parent_id]
        comments.sort(key=oldest_first, reverse=request.arg("order") == "reverse_chronological")
        return self.envelope(request, comments, lambda c: self._comment_json(c, fields))

    def _page_posts(
        self, request: Request, page: Page, edge: str, fields: dict[str, FieldSpec]
    ) -> dict[str, Any]:
        """`feed` holds the Page's posts and visitors' posts; `published_posts` and `posts` only the Page's,
        `visitor_posts` only visitors'. `since` / `until` (Unix seconds, inclusive) bound `created_time`,
        Graph's time-based paging (https://developers.facebook.com/docs/graph-api/results)."""
        posts = [p for p in self.objects_of(Post) if p.page_id == page.id and p.published]
        if edge in {"published_posts", "posts"}:
            posts = [p for p in posts if p.author is None]
        elif edge == "visitor_posts":
            posts = [p for p in posts if p.author is not None]
        for name, keep in (
            ("until", lambda p, t: p.created.timestamp() <= t),
            ("since", lambda p, t: p.created.timestamp() >= t),
        ):
            bound = request.arg(name)
            if bound:
                try:
                    limit = float(bound)
                except ValueError:
                    raise Reject(error_response(100, f"(#100) Param {name} must be a Unix time")) from None
                posts = [p for p in posts if keep(p, limit)]
        posts.sort(key=newest_first)
        return self.envelope(request, posts, lambda p: self._post_json(p, fields))

    def _conversations(self, request: Request, page: Page, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        refusal = gs.missing_permission(self._authenticate(request), gs.CONVERSATIONS_NEED)
        if refusal is not None:
            raise Reject(refusal)
        platform = request.arg("platform", "messenger")
        conversations = [] if platform != "messenger" else self.objects_of(Conversation)
        conversations = sorted((c for c in conversations if c.page_id == page.id), key=lambda c: c.updated)
        conversations.reverse()

        def render(conversation: Conversation) -> dict[str, Any]:
            body: dict[str, Any] = {
                "id": conversation.id,
                "updated_time": graph_time(conversation.updated),
                "link": f"/{page.id}/inbox/{conversation.id}",
                "participants": {"data": [conversation.user, {"id": page.id, "name": page.name}]},
            }
            if "messages" in fields:
                spec = fields["messages"]
                messages = sorted(self._live(conversation.messages), key=newest_first)
                sub = parse_fields(spec.sub)
                body["messages"] = self.nested(
                    request, conversation.id, "messages", messages, lambda m: _message_json(m, sub), spec
                )
            return select(body, fields, ("id", "updated_time"))

        return self.envelope(request, conversations, render)

    def _post_json(self, post: Post, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        page = self.objects[post.page_id]
        # The Post reference: `updated_time` is the time the post was created, last edited, or last
        # commented on (https://developers.facebook.com/docs/graph-api/reference/post/).
        times = [post.created, *(t for t in [post.edited] if t)]
        times += [c.created for c in self._comments_of_post(post.id)]
        body = {
            "id": post.id,
            "message": post.message,
            "created_time": graph_time(post.created),
            "updated_time": graph_time(max(times)),
            "permalink_url": _post_link(post.id),
            "from": post.author or {"id": page.id, "name": page.name},
        }
        return select(body, fields, ("id", "message", "created_time"))

    def _comment_json(self, comment: Comment, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        if comment.raw is not None:
            return comment.raw
        body: dict[str, Any] = {
            "id": comment.id,
            "message": comment.message,
            "created_time": graph_time(comment.created),
            "permalink_url": f"{_post_link(comment.post_id)}?comment_id={comment.id.split('_')[-1]}",
            "comment_count": sum(
                1 for c in self._comments_of_post(comment.post_id) if c.parent_id == comment.id
            ),
            **self.moderation_fields(comment),
        }
        if comment.author is not None:
            body["from"] = comment.author
        if comment.parent_id:
            body["parent"] = {"id": comment.parent_id}
        if comment.attachment is not None:
            body["attachment"] = comment.attachment
        return select(body, fields, ("id", "message", "created_time", "from"))

    def _page_json(self, page: Page, fields: dict[str, FieldSpec]) -> dict[str, Any]:
        body: dict[str, Any] = {"id": page.id, "name": page.name, "access_token": page.token}
        if page.ig_user_id:
            ig_user = self.objects[page.ig_user_id]
            body["instagram_business_account"] = {"id": ig_user.id, "username": ig_user.username}
        return select(body, fields, ("id", "name"))

    # --- Facebook writes --------------------------------------------------------------------------------

    def _write_comment(self, target: Post | Comment, params: dict[str, Any]) -> dict[str, Any]:
        message = str(params.get("message") or "")
        if not message and not params.get("attachment_url"):
            raise Reject(error_response(100, "(#100) Missing message or attachment"))
        post_id = target.id if isinstance(target, Post) else target.post_id
        # Two levels: answering a reply files the answer under the thread's top-level comment.
        parent = "" if isinstance(target, Post) else (target.parent_id or target.id)
        page = self.objects[self.owner_of(target)]
        comment = self.add_comment(
            post_id, message, author={"id": page.id, "name": page.name}, parent_id=parent
        )
        return {"id": comment.id}

    def _write_post(self, page: Page, params: dict[str, Any]) -> dict[str, Any]:
        message = str(params.get("message") or "")
        media_ids = [
            json.loads(v)["media_fbid"] for k, v in sorted(params.items()) if k.startswith("attached_media[")
        ]
        if not message and not media_ids and not params.get("link"):
            raise Reject(
                error_response(100, "(#100) The parameter message, link or attached_media is required")
            )
        for index, photo_id in enumerate(media_ids):
            photo = self.objects.get(photo_id)
            if not isinstance(photo, Photo) or photo.published or photo.page_id != page.id:
                raise Reject(
                    error_response(100, f"(#100) param attached_media[{index}] must be an unpublished photo")
                )
        latest = max(
            (p for p in self.objects_of(Post) if p.page_id == page.id), key=oldest_first, default=None
        )
        if message and latest is not None and latest.message == message:
            raise Reject(error_response(506, "Duplicate status message"))
        post = self.add_post(page.id, message)
        post.attached_media, post.link = media_ids, str(params.get("link") or "")
        for photo_id in media_ids:
            self.objects[photo_id].published = True
        return {"id": post.id}

    def _write_photo(self, page: Page, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("url") or "")
        if not re.match(r"https?://", url):
            raise Reject(error_response(100, "(#100) url should represent a valid URL"))
        published = str(params.get("published", "true")).lower() != "false"
        photo = Photo(self.ids.next(), page.id, url, published=False)
        self.objects[photo.id] = photo
        if not published:
            return {"id": photo.id}
        post = self.add_post(page.id, str(params.get("caption") or params.get("message") or ""))
        post.attached_media, photo.published = [photo.id], True
        return {"id": photo.id, "post_id": post.id}

    def _send_message(self, page: Page, params: dict[str, Any]) -> dict[str, Any]:
        recipient, message = params.get("recipient"), params.get("message")
        recipient = json.loads(recipient) if isinstance(recipient, str) else recipient or {}
        message = json.loads(message) if isinstance(message, str) else message or {}
        conversation = next(
            (
                c
                for c in self.objects_of(Conversation)
                if c.page_id == page.id and c.user["id"] == recipient.get("id")
            ),
            None,
        )
        if conversation is None:
            raise Reject(error_response(100, "(#100) No matching user found", subcode=2018001))
        from_user = [m.created for m in conversation.messages if m.sender["id"] != page.id]
        if not from_user or self.now() - max(from_user) > dt.timedelta(hours=24):
            raise Reject(
                error_response(10, "(#10) This message is sent outside of allowed window.", subcode=2018278)
            )
        sent = self.add_conversation_message(
            page.id, conversation.user, str(message.get("text", "")), from_page=True
        )
        return {"recipient_id": conversation.user["id"], "message_id": sent.id}

    # --- OAuth ------------------------------------------------------------------------------------------

    def _consent(self, request: Request) -> Response:
        """The login dialog (GET) and its Continue / Cancel form (POST), for the first seeded user."""
        params = consent.params_of(request)
        redirect_uri, app_id = params.get("redirect_uri"), params.get("client_id", "")
        users = [u for u in self.objects.values() if isinstance(u, User)]
        if app_id not in self.apps or not redirect_uri or not users:
            return Response(400, {"error": "unknown app, missing redirect_uri or no user seeded"})
        if request.method == "GET":
            scopes = params.get("scope", "").split(",")
            return consent.page(request, GRAPH_WORDS, account=users[0].name, scopes=[s for s in scopes if s])
        return consent.answer(
            request, GRAPH_WORDS, lambda params: self.issue_code(app_id, params["redirect_uri"], users[0].id)
        )

    def issue_code(self, app_id: str, redirect_uri: str, user_id: str) -> str:
        """What the consent endpoint does, for tests that skip the browser."""
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"app_id": app_id, "redirect_uri": redirect_uri, "user_id": user_id, "used": False}
        return code

    def _access_token(self, request: Request, _token: None) -> Response:
        app_id, secret = request.arg("client_id"), request.arg("client_secret")
        if app_id not in self.apps:
            raise Reject(error_response(101, "Error validating application. Invalid application ID."))
        if self.apps[app_id] != secret:
            raise Reject(error_response(1, "Error validating client secret."))
        if request.arg("grant_type") == "fb_exchange_token":
            short = self.tokens.get(request.arg("fb_exchange_token"))
            if short is None or short.kind != "user" or short.expired_subcode:
                raise Reject(gs.token_error(short.expired_subcode if short else None))
            value = self.issue_token("user", short.subject)
            return Response(200, {"access_token": value, "token_type": "bearer", "expires_in": 5_183_944})
        grant = self.codes.get(request.arg("code"))
        if grant is None or grant["app_id"] != app_id:
            raise Reject(error_response(100, "Invalid verification code format.", subcode=36007))
        if grant["used"]:
            raise Reject(error_response(100, "This authorization code has been used.", subcode=36009))
        if grant["redirect_uri"] != request.arg("redirect_uri"):
            raise Reject(
                error_response(
                    100,
                    "Error validating verification code. Please make sure your redirect_uri is identical to "
                    "the one you used in the OAuth dialog request",
                    subcode=36008,
                )
            )
        grant["used"] = True
        value = self.issue_token("user", grant["user_id"])
        return Response(200, {"access_token": value, "token_type": "bearer", "expires_in": 5_100})

    def _me(self, request: Request, token: Token) -> Response:
        obj = self.objects[token.subject]
        name = getattr(obj, "name", "") or getattr(obj, "username", "")
        return Response(200, {"id": obj.id, "name": name})

    def _me_accounts(self, request: Request, token: Token) -> Response:
        if token.kind != "user":
            raise Reject(error_response(100, "(#100) Tried accessing nonexisting field (accounts)"))
        pages = [self.objects[pid] for pid in self.objects[token.subject].page_ids if pid not in self.deleted]
        fields = parse_fields(request.arg("fields"))
        return Response(200, self.envelope(request, pages, lambda p: self._page_json(p, fields)))


def _post_link(post_id: str) -> str:
    page_id, _, suffix = post_id.partition("_")
    return f"https://www.facebook.com/{page_id}/posts/{suffix}"


def _message_json(message: Message, fields: dict[str, FieldSpec]) -> dict[str, Any]:
    if message.raw is not None:
        return message.raw
    body = {
        "id": message.id,
        "message": message.text,
        "created_time": graph_time(message.created),
        "from": message.sender,
        "to": {"data": [message.recipient]},
    }
    return select(body, fields, ("id", "created_time"))
