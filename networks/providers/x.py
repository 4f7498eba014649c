"""X (Twitter API v2): mentions in, replies and posts out (the OAuth connect flow is in `x_auth`).

`Account.external_id` is the X user id, `Account.api_base_url` the API origin (`https://api.x.com`; a
trailing `/2` is tolerated). The app's OAuth client id and secret are constructor arguments, not account
credentials: they belong to CM Hub's settings and are the same for every channel.

Polling cursor (JSON, stored by the caller):
- `{"since_id": S}` between runs: everything up to S was delivered.
- `{"since_id": S, "pagination_token": T, "pending_newest_id": N}` when a run stopped at its budget in
  the middle of the pages newer than S. The next run continues from T, still bounded by since_id S, and
  only once the last page is read does N (the newest id of the whole walk) become the new since_id.
  Mentions arriving meanwhile are newer than N and are picked up by the following walk: nothing is lost,
  and nothing is delivered twice unless X refuses a stale pagination token, in which case the walk
  restarts from S (duplicates are then dropped by the caller's unique constraint).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
from django.utils.translation import gettext_lazy

from core.http import send_idempotent
from networks.providers import limits, x_auth, x_dm, x_watch, x_weight, x_wire
from networks.providers.base import (
    Account,
    Ambiguous,
    Author,
    Capability,
    Connectable,
    Consent,
    Credentials,
    EngagementItem,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    PollResult,
    PostMetrics,
    Provider,
    PublishResult,
    RateLimited,
    ReadBackIncomplete,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    Transient,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, json_or_empty, raise_if, transport_error, utcnow

# The connect flow lives in x_auth; re-exported so the Django layer imports everything X from here.
from networks.providers.x_auth import AUTHORIZE_URL, DEFAULT_SCOPES, authorize_url, exchange_code, pkce_pair
from networks.providers.x_moderation import CAPABILITIES, XModeration
from networks.providers.x_wire import permalink

__all__ = [
    "AUTHORIZE_URL",
    "DEFAULT_SCOPES",
    "OwnPost",
    "XProvider",
    "authorize_url",
    "exchange_code",
    "permalink",
    "pkce_pair",
]

log = logging.getLogger(__name__)

TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,note_tweet"
USER_FIELDS = "username,name"
MIN_PAGE, MAX_PAGE = 5, 100  # what /mentions accepts for max_results
MAX_PAGES_PER_RUN = 50  # an endless run of empty pages with next tokens must still end
# GET /2/users/:id/tweets lists an account's latest 3,200 tweets, no more
# (https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id).
TIMELINE_MAX = 3200
MAX_IMAGES = 4
IMAGE_RULES = limits.ImageRules(formats=frozenset({"JPEG", "PNG", "WEBP", "GIF"}), max_bytes=5 * 1024 * 1024)
_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")


@dataclass(frozen=True, slots=True)
class OwnPost:
    """One of our own tweets, to reconcile an Ambiguous send: did the reply land after all?"""

    external_id: str
    text: str
    created_at: dt.datetime
    in_reply_to: str  # the tweet it answers, or ""
    permalink: str


class XProvider(XModeration, Provider):
    network = Network.X
    image_rules = IMAGE_RULES
    image_max_width = 4096  # X keeps images up to 4096 px wide

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> XProvider:
        return cls(account, http=http, client_id=setup.client_id, client_secret=setup.client_secret)

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        verifier, challenge = pkce_pair()
        url = authorize_url(
            client_id=app.client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            scopes=tuple(scopes),
            authorize_base=f"{app.oauth_base_url.rstrip('/')}/i/oauth2/authorize",
        )
        return Consent(url, verifier=verifier)

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        credentials = exchange_code(
            http,
            client_id=app.client_id,
            client_secret=app.client_secret,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=verifier,
            api_base_url=app.api_base_url,
        )
        account = Account(
            network=Network.X, external_id="", api_base_url=app.api_base_url, credentials=credentials
        )
        me = cls(account, http=http).me()
        return [
            Connectable(
                Network.X,
                me.external_id,
                me.name or me.handle,
                credentials,
                handle=me.handle,
                avatar_url=me.avatar_url,
            )
        ]

    counting_words = gettext_lazy(
        "%(network)s counts every link as 23 characters, and emoji and many scripts as 2."
    )
    text_limits = {
        TextKind.POST: TextLimit(x_weight.X_MAX_WEIGHTED_LENGTH, weighted=True),
        TextKind.DIRECT_MESSAGE: TextLimit(x_dm.MAX_DM_TEXT),
    }
    reply_words = {TextKind.DIRECT_MESSAGE: "an X direct message"}
    capabilities = CAPABILITIES | {Capability.DIRECT_MESSAGES, Capability.POST_METRICS}

    @classmethod
    def text_length(cls, text: str) -> int:
        return x_weight.x_weighted_length(text)

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        client_id: str = "",
        client_secret: str = "",
        page_size: int = MAX_PAGE,
        get_attempts: int = 2,
        clock: Clock = utcnow,
        poll_messages: bool = True,
    ):
        super().__init__(account, http=http)
        self.poll_messages = poll_messages
        self.dms = x_dm.XDirectMessages(self._call, account_id=account.external_id)
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = max(MIN_PAGE, min(page_size, MAX_PAGE))
        self.get_attempts = get_attempts
        self.clock = clock

    @property
    def base_url(self) -> str:
        return x_auth.api_origin(self.account.api_base_url)

    # --- polling -------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        """Direct messages first (a person waits on them), then mentions; each keeps its own cursor part
        (DMs under "dm"), so either can resume from a cut without the other."""
        cursor = cursor if isinstance(cursor, dict) else {}
        dm_cursor = cursor.get("dm") if isinstance(cursor.get("dm"), dict) else {}
        dms: list[EngagementItem] = []
        dm_more, dm_skipped, missing = False, 0, ""
        if self.poll_messages:
            try:
                dms, dm_cursor, dm_more, dm_skipped = self.dms.poll(dm_cursor, max_items)
            except PermissionMissing as exc:
                # Channels connected before CM Hub asked for dm.read: mentions still arrive, and the poll
                # says what is missing.
                missing = exc.network_message or str(exc)
        mentions = self._poll_mentions(cursor=cursor, max_items=max(max_items - len(dms), MIN_PAGE))
        now = self.clock()
        watch = x_watch.remember(x_watch.load(cursor), mentions.items, now=now)
        gone: list[str] = []
        if not mentions.has_more and watch.due(now):
            found = self._deleted_mentions(watch)
            if found is not None:
                gone = found
                watch = x_watch.forget(watch, gone, checked_at=now)
        next_cursor = {
            **mentions.cursor,
            **({"watch": x_watch.dump(watch)} if watch.ids or watch.checked_at else {}),
            **({"dm": dm_cursor} if dm_cursor else {}),
        }
        return PollResult(
            items=dms + mentions.items,
            cursor=next_cursor,
            has_more=mentions.has_more or dm_more,
            skipped=mentions.skipped + dm_skipped,
            permission_missing=missing,
            gone=tuple(gone),
        )

    def _deleted_mentions(self, watch: x_watch.Watch) -> list[str] | None:
        """Which delivered mentions X now answers as deleted (x_watch); None when it could not be asked
        this time (the next poll asks again). The lookup has a rate-limit bucket of its own, so its
        headers must not stand for the mentions' one."""
        saved = self.rate_limit
        gone: list[str] = []
        try:
            for chunk in watch.chunks():
                body = _read(self._call("GET", "/2/tweets", params={"ids": ",".join(chunk)}))
                gone += x_watch.not_found(body, asked=set(chunk))
        except (RateLimited, Transient) as exc:
            log.info("x: deleted mentions not checked this time: %s", exc)
            return None
        except (Invalid, NotFound, PermissionMissing) as exc:
            # A refusal that asking again would not change: counted as checked, so the lookup is not
            # repeated at every poll, and never fails the poll of the mentions already read.
            log.warning("x: the lookup of delivered mentions was refused: %s", exc)
            return gone
        finally:
            self.rate_limit = saved
        return gone

    def _poll_mentions(self, *, cursor: dict[str, Any], max_items: int) -> PollResult:
        since_id, token, newest = _load_cursor(cursor)
        items: list[EngagementItem] = []
        skipped = pages = 0
        while True:
            size = min(self.page_size, max_items - len(items))
            if pages and (size < MIN_PAGE or pages >= MAX_PAGES_PER_RUN):
                # Budget spent mid-walk: keep since_id, remember where we are and the newest id seen.
                resume = {"since_id": since_id, "pagination_token": token, "pending_newest_id": newest}
                return PollResult(_oldest_first(items), {k: v for k, v in resume.items() if v}, True, skipped)
            try:
                body = self._mentions_page(since_id, token, max(size, MIN_PAGE))
            except Invalid:
                if not token or pages:
                    raise
                log.warning(
                    "x: pagination token refused for account %s; restarting the walk",
                    self.account.external_id,
                )
                token = None
                continue
            pages += 1
            page_items, page_skipped, page_newest = self._parse_page(body)
            items += page_items
            skipped += page_skipped
            newest = x_wire.max_id(newest, page_newest)
            token = x_wire.meta(body).get("next_token") or None
            if not token:
                done = {"since_id": newest or since_id} if (newest or since_id) else {}
                return PollResult(_oldest_first(items), done, False, skipped)

    def _mentions_page(self, since_id: str | None, token: str | None, size: int) -> dict[str, Any]:
        params = {
            "max_results": str(size),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        if token:
            params["pagination_token"] = token
        return _read(self._call("GET", f"/2/users/{self.account.external_id}/mentions", params=params))

    def _parse_page(self, body: dict[str, Any]) -> tuple[list[EngagementItem], int, str | None]:
        data = body.get("data") or []
        if not isinstance(data, list):
            log.warning("x: mentions page had a non-list 'data'; page skipped")
            return [], 1, x_wire.numeric_id(x_wire.meta(body).get("newest_id"))
        users = x_wire.users_by_id(body)
        items: list[EngagementItem] = []
        skipped = 0
        newest = x_wire.numeric_id(x_wire.meta(body).get("newest_id"))
        for raw in data:
            raw_id = x_wire.numeric_id(raw.get("id")) if isinstance(raw, dict) else None
            newest = x_wire.max_id(newest, raw_id)  # a broken item must not be fetched again and again
            try:
                items.append(self._to_item(raw, users))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skipped += 1
                log.warning("x: skipped a malformed mention (id=%s): %s", raw_id or "?", exc)
        return items, skipped, newest

    def _to_item(self, raw: dict[str, Any], users: dict[str, dict[str, Any]]) -> EngagementItem:
        tweet_id = x_wire.require_numeric(raw["id"], "id")
        text = x_wire.tweet_text(raw)
        created_at = x_wire.parse_time(raw["created_at"])
        author_id = str(raw.get("author_id") or "")
        replied_to = x_wire.replied_to(raw.get("referenced_tweets"))
        ours = replied_to and str(raw.get("in_reply_to_user_id") or "") == self.account.external_id
        conversation = str(raw.get("conversation_id") or tweet_id)
        user = users.get(author_id, {})
        username = str(user.get("username") or "")
        author = None
        if author_id:
            profile = f"https://x.com/{username}" if username else ""
            author = Author(author_id, handle=username, name=str(user.get("name") or ""), profile_url=profile)
        # Each version of an edited post has an id of its own; the history lists them oldest first, this
        # one included (https://docs.x.com/x-api/fundamentals/edit-posts).
        history = [str(i) for i in raw.get("edit_history_tweet_ids") or [] if x_wire.numeric_id(str(i))]
        # Only the versions before this one: an older version read back lists its successors too.
        earlier = tuple(history[: history.index(tweet_id)]) if tweet_id in history else ()
        return EngagementItem(
            network=Network.X,
            external_id=tweet_id,
            edited_at=created_at if earlier else None,
            replaces_external_ids=earlier,
            kind=ItemKind.REPLY if ours else ItemKind.MENTION,
            text=text,
            created_at=created_at,
            author=author,
            post_external_id=conversation,
            parent_external_id=replied_to or "",
            thread_root_external_id=conversation,
            permalink=permalink(username, tweet_id),
            raw=raw,
        )

    def lookup(self, tweet_id: str) -> EngagementItem:
        """One tweet (to reconcile an ambiguous send, or refresh one item); NotFound when deleted."""
        params = {"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}
        body = _read(self._call("GET", f"/2/tweets/{tweet_id}", params=params))
        if not isinstance(body.get("data"), dict):
            # X answers 200 with errors[] (resource-not-found, not-authorized) for a missing tweet.
            raise NotFound(
                "This post is deleted or not visible.",
                network_message=x_wire.problem_detail(body),
                status=200,
            )
        try:
            return self._to_item(body["data"], x_wire.users_by_id(body))
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"X returned an unreadable post: {exc}") from exc

    def post_metrics(self, *, post_ids: Sequence[str]) -> list[PostMetrics]:
        """public_metrics of our tweets, 100 ids per request (the lookup's maximum). These counts are
        public, so the app's user token is enough; the private ones (non_public_metrics, organic_metrics)
        would need the author's context and stop after 30 days, so they are not asked for."""
        out: list[PostMetrics] = []
        ids = list(dict.fromkeys(post_ids))
        for start in range(0, len(ids), 100):
            params = {"ids": ",".join(ids[start : start + 100]), "tweet.fields": "public_metrics"}
            body = _read(self._call("GET", "/2/tweets", params=params))
            for tweet in body.get("data") or []:
                if isinstance(tweet, dict) and tweet.get("id"):
                    out.append(_metrics(str(tweet["id"]), tweet.get("public_metrics")))
        return out

    def own_posts_since(self, since: dt.datetime) -> tuple[list[OwnPost], bool]:
        """Our tweets (replies included: they never come back in our mentions) posted at or after `since`,
        newest first, every page of them (`start_time` makes X stop there), and whether that is all of
        them. X lists only an account's 3,200 latest tweets and then simply stops: a walk that read that
        many cannot tell whether older ones since `since` exist."""
        params = {
            "max_results": str(MAX_PAGE),
            "tweet.fields": TWEET_FIELDS,
            "start_time": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        posts: list[OwnPost] = []
        listed = 0
        for _page in range(TIMELINE_MAX // MAX_PAGE + 1):
            body = _read(self._call("GET", f"/2/users/{self.account.external_id}/tweets", params=params))
            data = body.get("data") or []
            listed += len(data)
            for raw in data:
                try:
                    tweet_id = x_wire.require_numeric(raw["id"], "id")
                    posts.append(
                        OwnPost(
                            external_id=tweet_id,
                            text=x_wire.tweet_text(raw),
                            created_at=x_wire.parse_time(raw["created_at"]),
                            in_reply_to=x_wire.replied_to(raw.get("referenced_tweets")) or "",
                            permalink=permalink(self.account.handle, tweet_id),
                        )
                    )
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    log.warning("x: skipped a malformed tweet of our own: %s", exc)
            token = x_wire.meta(body).get("next_token")
            if not token:
                break
            params["pagination_token"] = str(token)
        return posts, listed < TIMELINE_MAX

    def _oldest_own(
        self, *, text: str, since: dt.datetime, exclude: Collection[str], in_reply_to: str
    ) -> PublishResult | None:
        """The oldest of our tweets since `since` with these words, answering `in_reply_to` ('' for a
        top-level post): if an earlier attempt landed, that is the one the thread shows first."""
        wanted = _comparable(text)
        posts, complete = self.own_posts_since(since)
        matches = [
            post
            for post in posts
            if post.in_reply_to == in_reply_to
            and post.external_id not in exclude
            and _comparable(post.text) == wanted
        ]
        if not matches:
            if not complete:
                raise ReadBackIncomplete(f"X lists only an account's {TIMELINE_MAX:,} latest posts.")
            return None
        post = min(matches, key=lambda p: int(p.external_id))
        return PublishResult(external_id=post.external_id, permalink=post.permalink, raw={"text": post.text})

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        if target.kind == ItemKind.DIRECT_MESSAGE:
            return self.dms.find_dm(target, text, since, exclude)
        return self._oldest_own(text=text, since=since, exclude=exclude, in_reply_to=target.external_id)

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        return self._oldest_own(text=text, since=since, exclude=exclude, in_reply_to="")

    def me(self) -> Author:
        """Who the token belongs to; works before `external_id` is known (connect flow)."""
        body = _read(
            self._call("GET", "/2/users/me", params={"user.fields": "username,name,profile_image_url"})
        )
        try:
            user = body["data"]
            username = str(user["username"])
            return Author(
                external_id=x_wire.require_numeric(user["id"], "id"),
                handle=username,
                name=str(user.get("name") or ""),
                avatar_url=str(user.get("profile_image_url") or ""),
                profile_url=f"https://x.com/{username}",
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Invalid(f"X returned an unreadable account: {exc}") from exc

    # --- writing -------------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        if target.kind == ItemKind.DIRECT_MESSAGE:
            raise_if(limits.check_not_blank(text))
            return self.dms.send(target, text)
        raise_if(limits.check_not_blank(text) + self.validate_text(text))
        return self._create_tweet({"text": text, "reply": {"in_reply_to_tweet_id": target.external_id}})

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        raise_if(self.validate_text(text) + self.validate_media(media))
        if not media:
            raise_if(limits.check_not_blank(text))
        body: dict[str, Any] = {"text": text}
        if media:
            body["media"] = {"media_ids": [self._upload(item) for item in media]}
        return self._create_tweet(body)

    def _create_tweet(self, body: dict[str, Any]) -> PublishResult:
        # From here on the post exists: an answer we cannot read is Ambiguous, never a retryable error.
        data = json_or_empty(self._call("POST", "/2/tweets", json=body, may_apply=True)).get("data")
        if not isinstance(data, dict) or not x_wire.numeric_id(data.get("id")):
            raise Ambiguous("X accepted the post but its answer had no post id; check the timeline.")
        tweet_id = str(data["id"])
        return PublishResult(
            external_id=tweet_id, permalink=permalink(self.account.handle, tweet_id), raw=data
        )

    def _upload(self, item: MediaFile) -> str:
        info = limits.inspect_image(item.content)
        mime = info.mime if info else item.content_type
        # An upload that may have landed only leaves an unused media id behind: safe to retry.
        response = self._call(
            "POST",
            "/2/media/upload",
            files={"media": ("media", item.content, mime)},
            data={"media_category": "tweet_image"},
        )
        data = _read(response).get("data") or {}
        if (data.get("processing_info") or {}).get("state") == "failed":
            raise Invalid(
                "X could not process this image.",
                network_message=x_wire.problem_detail(data.get("processing_info")),
            )
        media_id = x_wire.numeric_id(data.get("id"))
        if not media_id:
            raise Transient("X accepted the image but returned no media id.")
        return media_id

    def validate_text(self, text: str) -> list[str]:
        return x_weight.check_x_text(text)

    def validate_reply(self, text: str, *, kind: TextKind = TextKind.REPLY) -> list[str]:
        if kind == TextKind.DIRECT_MESSAGE:  # DMs are not posts: no 280 weighted characters
            return limits.check_text_length(text, max_chars=x_dm.MAX_DM_TEXT, network="an X direct message")
        return super().validate_reply(text, kind=kind)

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        problems = limits.check_images(media, IMAGE_RULES, max_count=MAX_IMAGES, network="X")
        animated = [m for m in media if (info := limits.inspect_image(m.content)) and info.frames > 1]
        if animated and len(media) > 1:
            problems.append("An animated GIF must be the only image of an X post.")
        return problems

    # --- credentials ---------------------------------------------------------------------------------

    def refresh_credentials(self) -> Credentials:
        """Trade the refresh token for new tokens. X rotates refresh tokens: store the answer at once."""
        new = x_auth.refresh(
            self.http,
            credentials=self.account.credentials,
            client_id=self.client_id,
            client_secret=self.client_secret,
            api_base_url=self.base_url,
            now=self.clock(),
        )
        self.account = replace(self.account, credentials=new)  # later calls in this run use the new token
        return new

    # --- plumbing ------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, may_apply: bool = False, **kwargs: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self.account.credentials.access_token}"}
        try:
            if method == "GET":
                response = send_idempotent(
                    self.http, method, url, headers=headers, attempts=self.get_attempts, **kwargs
                )
            else:
                response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error("X", exc, may_apply=may_apply) from exc
        self.rate_limit = x_wire.rate_limit_state(response, now=self.clock()) or self.rate_limit
        if response.status_code >= 400:
            raise x_wire.status_error(response, self.clock)
        return response


def _load_cursor(cursor: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    since_id = x_wire.numeric_id(cursor.get("since_id"))
    token = cursor.get("pagination_token")
    pending = x_wire.numeric_id(cursor.get("pending_newest_id"))
    if cursor.get("since_id") and not since_id:
        log.warning("x: ignoring an unreadable since_id in the stored cursor")
    return since_id, token if isinstance(token, str) and token else None, pending


def _comparable(text: str) -> str:
    """A tweet's words as X stores them: it escapes &, < and > in `text`, shortens every link to t.co and
    may lead a reply with the @handles it answers; none of that makes it another reply."""
    text = reply_text_key(html.unescape(text))
    for start, end in reversed(x_weight.find_urls(text)):
        text = f"{text[:start]}\x00link{text[end:]}"
    return _LEADING_MENTIONS.sub("", text)


def _oldest_first(items: list[EngagementItem]) -> list[EngagementItem]:
    return sorted(items, key=lambda item: int(item.external_id))


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _metrics(tweet_id: str, public: Any) -> PostMetrics:
    counts = public if isinstance(public, dict) else {}
    retweets, quotes = _count(counts.get("retweet_count")), _count(counts.get("quote_count"))
    shares = None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0)
    return PostMetrics(
        post_id=tweet_id,
        views=_count(counts.get("impression_count")),
        likes=_count(counts.get("like_count")),
        comments=_count(counts.get("reply_count")),
        shares=shares,
        saves=_count(counts.get("bookmark_count")),
    )


def _read(response: httpx.Response) -> dict[str, Any]:
    return json_object(response, "X")
