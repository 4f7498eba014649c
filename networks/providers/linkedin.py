"""LinkedIn (versioned REST API): comments on an organization's posts in, replies and posts out.

`Account.external_id` is the organization URN (`urn:li:organization:123`), `Account.api_base_url` the API
origin (`https://api.linkedin.com`). Every call carries the pinned `LinkedIn-Version` and Rest.li 2.0
headers; URNs in paths are percent-encoded, as LinkedIn requires.

There is no "since" on comments, and no documented order: every poll reads the whole thread of each of the
organization's most recent posts and delivers what its marks (linkedin_marks) say is new. Older posts are
walked by the slower sweep (post_sweep, over the posts sorted by creation), from the recent window's floor.
Polling cursor (JSON, stored by the caller): `{"posts": {postUrn: marks}, "sweep": ..., "mentions": ...}`.
Offsets are never stored, because inserts and deletions shift them.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx

from core.http import send_idempotent
from networks.providers import limits, linkedin_auth, linkedin_mentions, post_sweep
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Author,
    Connectable,
    Consent,
    Credentials,
    Duplicate,
    EngagementItem,
    Invalid,
    ItemKind,
    ListedPost,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    PollResult,
    Provider,
    ProviderError,
    PublishResult,
    RateLimited,
    RateLimitState,
    ReadBackIncomplete,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    ThreadListing,
    Transient,
    WatchWindows,
    oldest_match,
    reply_text_key,
)

# The connect flow lives in linkedin_auth; re-exported so the Django layer imports everything from here.
from networks.providers.linkedin_auth import (
    AUTHORIZE_URL,
    DEFAULT_SCOPES,
    authorize_url,
    exchange_code,
    expiry_warning_due,
)
from networks.providers.linkedin_marks import OVERLAP_MS, PostMarks
from networks.providers.linkedin_webhooks import LINKEDIN_WEBHOOKS
from networks.providers.rest import Clock, json_object, json_or_empty, raise_if, transport_error, utcnow

__all__ = [
    "AUTHORIZE_URL",
    "DEFAULT_SCOPES",
    "LINKEDIN_VERSION",
    "LinkedInProvider",
    "Organization",
    "authorize_url",
    "exchange_code",
    "expiry_warning_due",
    "next_midnight_utc",
    "permalink",
]

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.linkedin.com"
#: Versions retire about a year after release; LinkedIn then answers 426. Bump with each upgrade.
LINKEDIN_VERSION = "202610"
MAX_TEXT = 3000
MAX_COMMENT = 1250  # comments are shorter than posts [unverified figure; the fake enforces the same]
MAX_IMAGES = 20  # 1 image -> content.media, 2..20 -> content.multiImage
IMAGE_RULES = limits.ImageRules(
    formats=frozenset({"JPEG", "PNG", "GIF"}), max_bytes=10 * 1024 * 1024, max_pixels=36_152_320
)
MAX_PAGES_PER_POST = 100
#: Reading back walks to the time the step began; past these bounds it says it cannot tell
#: (ReadBackIncomplete) rather than answer "not there" and have the step done twice. A burst can publish
#: hundreds of posts on one page between a crash and its read-back.
MAX_FIND_PAGES = 50
MAX_FIND_POSTS = 2000
FIND_POSTS_PAGE = 50
MAX_EPOCH_MS = 10**14  # year 5138: anything larger is garbage, and would overflow datetime
# Reserved characters of LinkedIn's "little text" commentary format: unescaped, they cut the post short.
_LITTLE_TEXT_RESERVED = "\\|{}@[]()<>#*_~"
_LITTLE_TEXT_ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


@dataclass(slots=True)
class _CommentRun:
    """What one poll's comment walks gathered, and its item budget."""

    max_items: int
    items: list[EngagementItem] = field(default_factory=list)
    reread: list[EngagementItem] = field(default_factory=list)
    listings: list[ThreadListing] = field(default_factory=list)
    skipped: int = 0
    has_more: bool = False

    def room(self) -> int:
        return self.max_items - len(self.items)


@dataclass(frozen=True, slots=True)
class Organization:
    urn: str
    name: str


def urn_path(urn: str) -> str:
    return quote(urn, safe="")


class LinkedInProvider(Provider):
    network = Network.LINKEDIN
    image_rules = IMAGE_RULES
    image_max_width = 4096  # LinkedIn's real ceiling is its pixel count (in the rules): 4096 px is plenty
    people_have_handles = False  # its member ids (ACoAA...) are not for people
    webhooks = LINKEDIN_WEBHOOKS
    sweeps_older_posts = True

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> LinkedInProvider:
        return cls(
            account,
            http=http,
            client_id=setup.client_id,
            client_secret=setup.client_secret,
            oauth_base_url=setup.oauth_base_url or linkedin_auth.DEFAULT_OAUTH_BASE,
            # Never fewer than the ten it always read; older posts are swept (post_sweep).
            posts_to_scan=max(10, setup.windows.recent_posts) if setup.windows else 10,
            windows=setup.windows,
        )

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        url = linkedin_auth.authorize_url(
            client_id=app.client_id,
            redirect_uri=redirect_uri,
            state=state,
            scopes=tuple(scopes),
            authorize_base=f"{app.oauth_base_url.rstrip('/')}/oauth/v2/authorization",
        )
        return Consent(url)

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        """The organizations the person administers."""
        credentials = linkedin_auth.exchange_code(
            http,
            client_id=app.client_id,
            client_secret=app.client_secret,
            code=code,
            redirect_uri=redirect_uri,
            oauth_base=app.oauth_base_url,
        )
        account = Account(
            network=Network.LINKEDIN, external_id="", api_base_url=app.api_base_url, credentials=credentials
        )
        organizations = cls(account, http=http).administered_organizations()
        return [Connectable(Network.LINKEDIN, org.urn, org.name, credentials) for org in organizations]

    text_limits = {TextKind.POST: TextLimit(MAX_TEXT), TextKind.REPLY: TextLimit(MAX_COMMENT)}
    reply_words = {TextKind.REPLY: "A LinkedIn comment"}

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        version: str = LINKEDIN_VERSION,
        posts_to_scan: int = 10,
        page_size: int = 20,
        get_attempts: int = 2,
        clock: Clock = utcnow,
        client_id: str = "",
        client_secret: str = "",
        oauth_base_url: str = linkedin_auth.DEFAULT_OAUTH_BASE,
        poll_mentions: bool = True,
        windows: WatchWindows | None = None,
    ):
        super().__init__(account, http=http)
        self.poll_mentions = poll_mentions
        # Without workspace settings: no sweep (the historical behaviour, for one-off providers).
        self.windows = windows or WatchWindows(sweep_days=0)
        self.client_id = client_id
        self.client_secret = client_secret
        self.oauth_base_url = oauth_base_url
        self._post_texts: dict[str, str] = {}  # post URN -> its commentary, from the posts the poll lists
        self._actor_names: dict[str, str] = {}  # organization URN -> its name, looked up once per poll
        self.version = version
        self.posts_to_scan = posts_to_scan
        self.page_size = page_size
        self.get_attempts = get_attempts
        self.clock = clock
        self.mentions = linkedin_mentions.LinkedInMentions(
            self._call,
            _read,
            org_urn=account.external_id,
            clock=clock,
            text_of=lambda value: unescape_little_text(value) if isinstance(value, str) else "",
            permalink=permalink,
        )
        self._thread_cut = False  # the thread being read was not read to its end (see poll)

    @property
    def base_url(self) -> str:
        return (self.account.api_base_url or DEFAULT_API_BASE).rstrip("/")

    # --- polling -------------------------------------------------------------------------------------

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        """Comments on the organization's posts, then posts mentioning it; each keeps its cursor part."""
        comments = self._poll_comments(cursor=cursor, max_items=max_items)
        if not self.poll_mentions:
            return comments
        stored = cursor.get("mentions")
        try:
            found, part, more, bad = self.mentions.poll(stored, max(max_items - len(comments.items), 1))
        except PermissionMissing as exc:
            # Mentions need rw_organization_admin: the comments are stored, and the poll says so.
            missing = exc.network_message or str(exc)
            kept = {**comments.cursor, **({"mentions": stored} if isinstance(stored, dict) else {})}
            return replace(comments, cursor=kept, permission_missing=missing)
        return replace(
            comments,
            items=comments.items + found,
            cursor={**comments.cursor, **({"mentions": part} if part else {})},
            has_more=comments.has_more or more,
            skipped=comments.skipped + bad,
        )

    def _poll_comments(self, *, cursor: dict[str, Any], max_items: int) -> PollResult:
        stored = found if isinstance(found := cursor.get("posts"), dict) else {}
        out = _CommentRun(max_items)
        next_posts: dict[str, Any] = {}
        recent = self._recent_posts()
        for post in recent:
            if out.has_more or out.room() <= 0:
                out.has_more = True
                next_posts[post] = stored.get(post, {})  # untouched: the next run starts it afresh
                continue
            try:
                next_posts[post] = self._walk_post(out, post, PostMarks.load(stored.get(post)))
            except NotFound:
                log.info("linkedin: post %s is gone; dropped from the cursor", post)
        # Older posts (and recent ones past the recent count): the slower sweep (post_sweep).
        now = self.clock()
        floor_ms = int((now - self.windows.recent).timestamp() * 1000)
        swept = post_sweep.sweep(
            self._sweeper(out, floor_ms),
            cursor.get("sweep"),
            now=now,
            windows=self.windows,
            watched=set(recent),
            handed_over={post: state for post, state in stored.items() if post not in next_posts},
        )
        out.items.sort(key=lambda item: (item.created_at, item.external_id))
        return PollResult(
            items=out.items,
            cursor={"posts": next_posts, "sweep": swept},
            has_more=out.has_more,
            skipped=out.skipped,
            reread=tuple(out.reread),
            listings=tuple(out.listings),
        )

    def _walk_post(self, out: _CommentRun, post: str, marks: PostMarks) -> dict[str, Any]:
        """Read the post's whole thread: deliver what is new (within the run's budget), send back the edited
        comments among what was delivered, and list the thread when it was read to its end (deletions)."""
        read_at = self.clock()
        self._thread_cut = False
        walked, bad = self._read_thread(post)
        out.reread += [
            item
            for time_ms, item in walked
            if item.edited_at is not None and not marks.is_new(time_ms, item.external_id)
        ]
        if not bad and not self._thread_cut:
            ids = frozenset(item.external_id for _time, item in walked)
            out.listings.append(ThreadListing(post, ids, read_at))
        fresh = sorted(
            (pair for pair in walked if marks.is_new(pair[0], pair[1].external_id)),
            key=lambda pair: (pair[0], pair[1].external_id),
        )
        taken = fresh[: out.room()]
        out.items += [item for _time, item in taken]
        out.skipped += bad
        out.has_more = out.has_more or len(taken) < len(fresh)
        return marks.advanced(
            delivered=[(time_ms, item.external_id) for time_ms, item in taken],
            walked=[(time_ms, item.external_id) for time_ms, item in walked],
            complete=len(taken) == len(fresh),
        ).dump()

    def _sweeper(self, out: _CommentRun, floor_ms: int) -> post_sweep.Sweeper:
        def pages() -> Iterator[list[post_sweep.Candidate]]:
            try:
                for page in self._own_post_pages():
                    for post in page:
                        self._post_texts[post.external_id] = post.text
                    yield [post_sweep.Candidate(post.external_id, post.created_at) for post in page]
            except ReadBackIncomplete:
                log.warning(
                    "linkedin: more than %s posts in the sweep window; the pass ends there", MAX_FIND_POSTS
                )

        def walk(candidate: post_sweep.Candidate, state: Any) -> dict[str, Any]:
            # An old post without a state delivers only what is newer than the recent window's floor.
            marks = PostMarks.load(state) if state else PostMarks(mark=floor_ms)
            return self._walk_post(out, candidate.id, marks)

        def fresh(state: Any) -> bool:
            mark = PostMarks.load(state).mark
            return bool(state) and mark is not None and mark + OVERLAP_MS >= floor_ms

        return post_sweep.Sweeper(
            pages=pages,
            newest_first=True,  # sortBy=CREATED: documented, newest first
            walk=walk,
            fresh=fresh,
            room=lambda: out.room() > 0,
            interrupted=lambda: out.has_more,
        )

    def read_pushed(self, what: str, refs: Mapping[str, str]) -> EngagementItem | None:
        """A comment a social-action notification named, on any post however old: the poll reads only
        recent posts, and the sweep comes by every few hours. Read from the post's thread (a nested
        comment is listed under its parent, and the thread read finds it there); None when it is not
        there (yet): the poll the delivery makes due catches it."""
        post, comment = refs.get("post", ""), refs.get("comment", "")
        if what != "comment" or not post.startswith("urn:li:") or not comment.startswith("urn:li:comment:"):
            return None
        self._post_texts.setdefault(post, self.post_context(post)[0])
        walked, _bad = self._read_thread(post)
        return next((item for _time, item in walked if item.external_id == comment), None)

    def post_context(self, post_id: str) -> tuple[str, str]:
        body = _read(self._call("GET", f"/rest/posts/{urn_path(post_id)}"))
        commentary = body.get("commentary")
        return (unescape_little_text(commentary) if isinstance(commentary, str) else "", permalink(post_id))

    def _read_thread(self, post: str) -> tuple[list[tuple[int, EngagementItem]], int]:
        """Every comment of `post`: its first-level comments, and the replies of each that has some.

        The post's list holds first-level comments only; a comment's replies are listed under the
        comment's own URN. No order is documented for either list, so both are read to the end.
        """
        walked: list[tuple[int, EngagementItem]] = []
        skipped = 0
        for raw in self._walk(post):
            parsed = self._parse(raw, post)
            if parsed is None:
                skipped += 1
                continue
            walked.append(parsed)
            if parsed[1].kind == ItemKind.COMMENT and _has_replies(raw):
                try:
                    replies = list(self._walk(parsed[1].external_id))
                except NotFound:
                    self._thread_cut = True  # not a listing to read deletions from
                    continue  # deleted between the two reads
                for reply in replies:
                    nested = self._parse(reply, post, parent=parsed[1].external_id)
                    if nested is None:
                        skipped += 1
                    else:
                        walked.append(nested)
        return walked, skipped

    def _walk(self, urn: str) -> Iterator[Any]:
        """Every element of the comment list under `urn` (a post, or a comment for its replies)."""
        start = 0
        for _page in range(MAX_PAGES_PER_POST):
            body = self._comments_page(urn, start)
            elements = _elements(body)
            yield from elements
            start += self.page_size
            if not _more_pages(body, start, len(elements), self.page_size):
                return
        self._thread_cut = True
        log.warning("linkedin: %s has more comments than CM Hub reads in one pass", urn)

    def _parse(self, raw: Any, post: str, *, parent: str = "") -> tuple[int, EngagementItem] | None:
        try:
            return self._to_item(raw, post, parent=parent)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("linkedin: skipped a malformed comment on %s: %s", post, exc)
            return None

    def _recent_posts(self) -> list[str]:
        params = {
            "q": "author",
            "author": self.account.external_id,
            "count": str(self.posts_to_scan),
            "start": "0",
        }
        body = _read(self._call("GET", "/rest/posts", params=params))
        posts = []
        for element in _elements(body):
            post_id = element.get("id") if isinstance(element, dict) else None
            if isinstance(post_id, str) and post_id.startswith("urn:li:"):
                posts.append(post_id)
                commentary = element.get("commentary")
                self._post_texts[post_id] = (
                    unescape_little_text(commentary) if isinstance(commentary, str) else ""
                )
            else:
                log.warning("linkedin: skipped a post without a usable id")
        return posts

    def _comments_page(self, urn: str, start: int) -> dict[str, Any]:
        params = {"start": str(start), "count": str(self.page_size)}
        return _read(self._call("GET", f"/rest/socialActions/{urn_path(urn)}/comments", params=params))

    def _to_item(self, raw: dict[str, Any], post: str, *, parent: str = "") -> tuple[int, EngagementItem]:
        urn = raw["commentUrn"]
        if not isinstance(urn, str) or not urn.startswith("urn:li:comment:"):
            raise ValueError("commentUrn is not a comment URN")
        text = raw["message"]["text"]
        time_ms = raw["created"]["time"]
        actor = raw.get("actor")  # may be missing (a member who left, a hidden author): stored unknown
        if not isinstance(text, str) or not (actor is None or isinstance(actor, str)):
            raise TypeError("message.text and actor must be strings")
        if not isinstance(time_ms, int) or isinstance(time_ms, bool) or not 0 <= time_ms < MAX_EPOCH_MS:
            raise ValueError("created.time is not epoch milliseconds")
        # `lastModified` moves when the author edits the comment; LinkedIn sets it to `created` otherwise.
        modified = raw.get("lastModified")
        modified_ms = modified.get("time") if isinstance(modified, dict) else None
        edited_at = None
        if (
            isinstance(modified_ms, int)
            and not isinstance(modified_ms, bool)
            and time_ms + 1000 < modified_ms < MAX_EPOCH_MS
        ):
            edited_at = dt.datetime.fromtimestamp(modified_ms / 1000, dt.UTC)
        parent = raw.get("parentComment", parent)  # a 0 or [] there is no URN either: refused below
        if not isinstance(parent, str):
            raise TypeError("parentComment is not a URN")
        item = EngagementItem(
            network=Network.LINKEDIN,
            external_id=urn,
            kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
            text=text,
            created_at=dt.datetime.fromtimestamp(time_ms / 1000, dt.UTC),
            # Members' names need a scope organizations rarely get (the inbox says "LinkedIn member"); an
            # organization's name is public (GET /rest/organizations/{id}). A URN is never a handle.
            author=Author(external_id=actor, name=self._actor_name(actor)) if actor else None,
            post_external_id=post,
            post_text=self._post_texts.get(post, ""),
            post_permalink=permalink(post),
            parent_external_id=parent or "",
            thread_root_external_id=parent or urn,  # LinkedIn nests one level: the parent is the root
            permalink=permalink(post),
            raw=raw,
            edited_at=edited_at,
        )
        return time_ms, item

    # --- writing -------------------------------------------------------------------------------------

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        raise_if(
            limits.check_not_blank(text)
            + limits.check_text_length(text, max_chars=MAX_COMMENT, network="A LinkedIn comment")
        )
        post = target.post_external_id
        if not post:
            raise Invalid("A LinkedIn reply needs the post it belongs to.")
        if target.kind == ItemKind.MENTION:
            return self._comment_on_mention(post, text)
        body: dict[str, Any] = {
            "actor": self.account.external_id,
            "object": post,
            "message": {"text": text},
            # One nesting level: a reply to a reply hangs under the top-level comment, and is created
            # under that comment's own URN, as LinkedIn documents nested comments.
            "parentComment": target.thread_root_external_id or target.external_id,
        }
        path = f"/rest/socialActions/{urn_path(body['parentComment'])}/comments"
        response = self._call("POST", path, json=body, may_apply=True)
        created = json_or_empty(response)
        urn = created.get("commentUrn") or response.headers.get("x-restli-id", "")
        if not (isinstance(urn, str) and urn.startswith("urn:li:comment:")):
            raise Ambiguous("LinkedIn accepted the comment but did not say its id; check the post.")
        return PublishResult(external_id=urn, permalink=permalink(post), raw=created)

    def _comment_on_mention(self, post: str, text: str) -> PublishResult:
        """A top-level comment of the organization on a member's post that mentions it."""
        body = {"actor": self.account.external_id, "object": post, "message": {"text": text}}
        response = self._call(
            "POST", f"/rest/socialActions/{urn_path(post)}/comments", json=body, may_apply=True
        )
        created = json_or_empty(response)
        urn = created.get("commentUrn") or response.headers.get("x-restli-id", "")
        if not (isinstance(urn, str) and urn.startswith("urn:li:comment:")):
            raise Ambiguous("LinkedIn accepted the comment but did not say its id; check the post.")
        return PublishResult(external_id=urn, permalink=permalink(post), raw=created)

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The organization's comment under the thread `reply` answered, dated `since` or later: looked
        for among the parent comment's replies (where `reply` creates it) and the post's own list. No
        order is documented, so both lists are read to the end; the oldest match wins (a later one is
        another reply with the same words)."""
        post = target.post_external_id
        if not post:
            return None  # `reply` refuses these, so nothing was sent
        # A mention is answered with a top-level comment on the mentioning post: no parent to look under.
        mention = target.kind == ItemKind.MENTION
        parent = "" if mention else (target.thread_root_external_id or target.external_id)
        wanted = reply_text_key(text)
        floor_ms = int(since.timestamp() * 1000)
        matches: list[tuple[int, str, dict[str, Any]]] = []
        for listed_under in (post,) if mention else (parent, post):
            try:
                elements = self._read_back(listed_under)
            except NotFound:
                continue
            for raw in elements:
                try:
                    time_ms, item = self._to_item(raw, post, parent=parent if listed_under == parent else "")
                except (KeyError, TypeError, ValueError, AttributeError):
                    continue
                ours = item.author is not None and item.author.external_id == self.account.external_id
                if (
                    ours
                    and time_ms >= floor_ms
                    and item.parent_external_id == parent
                    and item.external_id not in exclude
                    and reply_text_key(item.text) == wanted
                ):
                    matches.append((time_ms, item.external_id, raw))
        if not matches:
            return None
        _time, urn, raw = min(matches, key=lambda match: (match[0], match[1]))
        return PublishResult(external_id=urn, permalink=permalink(post), raw=raw)

    def _read_back(self, urn: str) -> list[Any]:
        elements: list[Any] = []
        for page in range(MAX_FIND_PAGES):
            body = self._comments_page(urn, page * self.page_size)
            got = _elements(body)
            elements += got
            if not _more_pages(body, (page + 1) * self.page_size, len(got), self.page_size):
                return elements
        raise ReadBackIncomplete("The thread has more comments since the reply than CM Hub reads back.")

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """The organization's post with these words, read back from its posts sorted by creation, newest
        first, down to `since`. Reshares and drafts are not posts `publish` makes. The oldest match wins:
        a later one is another post with the same words, not the one being settled."""
        floor = since.replace(microsecond=since.microsecond // 1000 * 1000)  # LinkedIn times are in ms
        return oldest_match(self._own_posts_newest_first(), text=text, since=floor, exclude=exclude)

    def _own_posts_newest_first(self) -> Iterator[ListedPost]:
        for page in self._own_post_pages():
            yield from page

    def _own_post_pages(self) -> Iterator[list[ListedPost]]:
        """The organization's published posts sorted by creation, newest first, a page at a time. Past
        MAX_FIND_POSTS it says it cannot tell (ReadBackIncomplete) rather than stop as if at the end."""
        count = FIND_POSTS_PAGE
        for start in range(0, MAX_FIND_POSTS, count):
            params = {
                "q": "author",
                "author": self.account.external_id,
                "sortBy": "CREATED",
                "start": str(start),
                "count": str(count),
            }
            body = _read(self._call("GET", "/rest/posts", params=params))
            elements = _elements(body)
            page = []
            for raw in elements:
                post = _own_post(raw, self.account.external_id)
                if post is not None:
                    urn, created_ms, words = post
                    created = dt.datetime.fromtimestamp(created_ms / 1000, dt.UTC)
                    page.append(ListedPost(urn, created, words, permalink(urn), raw))
            yield page
            if not _more_pages(body, start + count, len(elements), count):
                return
        raise ReadBackIncomplete(f"The page has published more than {MAX_FIND_POSTS:,} posts since.")

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        media = media or []
        raise_if(limits.check_not_blank(text) + self.validate_text(text) + self.validate_media(media))
        body: dict[str, Any] = {
            "author": self.account.external_id,
            "commentary": escape_little_text(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [_image_ref(self._upload_image(item), item.alt_text) for item in media]
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        response = self._call("POST", "/rest/posts", json=body, may_apply=True)
        post = response.headers.get("x-restli-id", "")
        if not post.startswith("urn:li:"):
            raise Ambiguous("LinkedIn accepted the post but did not say its id; check the page.")
        return PublishResult(external_id=post, permalink=permalink(post))

    def _upload_image(self, item: MediaFile) -> str:
        # Both steps only prepare an image nobody sees yet: safe to retry, hence no may_apply.
        init = {"initializeUploadRequest": {"owner": self.account.external_id}}
        value = _read(self._call("POST", "/rest/images", params={"action": "initializeUpload"}, json=init))
        value = found if isinstance(found := value.get("value"), dict) else {}
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not (isinstance(upload_url, str) and isinstance(image, str)):
            raise Transient("LinkedIn did not return an upload address for the image.")
        if not self._trusted_upload_host(upload_url):
            raise Invalid("LinkedIn gave an upload address outside LinkedIn; the image was not sent there.")
        self._call("PUT", upload_url, content=item.content, absolute=True)
        return image

    def _trusted_upload_host(self, upload_url: str) -> bool:
        # The upload carries our bearer token: only over https to LinkedIn, or to the very host we call
        # (a fake or a staging proxy).
        url = httpx.URL(upload_url)
        if url.host == httpx.URL(self.base_url).host:
            return True
        return url.scheme == "https" and (url.host == "linkedin.com" or url.host.endswith(".linkedin.com"))

    def validate_text(self, text: str) -> list[str]:
        return limits.check_text_length(text, max_chars=MAX_TEXT, network="LinkedIn")

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return limits.check_images(media, IMAGE_RULES, max_count=MAX_IMAGES, network="LinkedIn")

    def refresh_credentials(self) -> Credentials:
        """A new 60-day token from the channel's refresh token (approved apps get one, valid 365 days)."""
        current = self.account.credentials
        if not current.refresh_token:
            raise AuthExpired(
                "LinkedIn gave this channel no refresh token: its token lasts 60 days; reconnect the channel."
            )
        new = linkedin_auth.refresh(
            self.http,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=current.refresh_token,
            oauth_base=self.oauth_base_url,
            now=self.clock(),
        )
        self.account = replace(self.account, credentials=new)
        return new

    # --- connect flow --------------------------------------------------------------------------------

    def administered_organizations(self) -> list[Organization]:
        """Pages the token's member administers; works before `external_id` is chosen."""
        params = {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED", "count": "100"}
        body = _read(self._call("GET", "/rest/organizationAcls", params=params))
        urns = []
        for acl in _elements(body):
            urn = (
                acl.get("organization") or acl.get("organizationalTarget") if isinstance(acl, dict) else None
            )
            if isinstance(urn, str) and urn.startswith("urn:li:organization:"):
                urns.append(urn)
        return [Organization(urn=urn, name=self._organization_name(urn)) for urn in dict.fromkeys(urns)]

    def _actor_name(self, actor: str) -> str:
        """The name of an organization commenting (looked up once per poll); "" for a member, whose
        name LinkedIn does not give this app, and for an organization it would not show."""
        if not actor.startswith("urn:li:organization:"):
            return ""
        if actor not in self._actor_names:
            try:
                name = self._organization_name(actor)
            except ProviderError:  # a name is not worth failing the poll for
                name = ""
            self._actor_names[actor] = "" if name == actor.rsplit(":", 1)[-1] else name
        return self._actor_names[actor]

    def _organization_name(self, urn: str) -> str:
        org_id = urn.rsplit(":", 1)[-1]
        try:
            body = _read(self._call("GET", f"/rest/organizations/{quote(org_id, safe='')}"))
        except (NotFound, PermissionMissing):
            return org_id
        name = body.get("localizedName")
        return name if isinstance(name, str) and name else org_id

    # --- plumbing ------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, may_apply: bool = False, absolute: bool = False, **kwargs: Any
    ) -> httpx.Response:
        url = path if absolute else f"{self.base_url}{path}"
        headers = {
            "Authorization": f"Bearer {self.account.credentials.access_token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        try:
            if method in ("GET", "PUT"):
                response = send_idempotent(
                    self.http, method, url, headers=headers, attempts=self.get_attempts, **kwargs
                )
            else:
                response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error("LinkedIn", exc, may_apply=may_apply) from exc
        if response.status_code >= 400:
            raise self._status_error(response)
        return response

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        body = json_or_empty(response)
        detail = str(body.get("message") or body.get("error_description") or response.reason_phrase)
        if status == 429:
            reset_at = next_midnight_utc(self.clock())
            self.rate_limit = RateLimitState(remaining=0, reset_at=reset_at)
            return RateLimited(
                "LinkedIn daily limit reached.", network_message=detail, status=status, reset_at=reset_at
            )
        if status == 401:
            return AuthExpired(
                "The LinkedIn token is expired or revoked.", network_message=detail, status=status
            )
        if status == 403:
            return PermissionMissing(
                "LinkedIn refused: permission missing.", network_message=detail, status=status
            )
        if status in (404, 410):
            return NotFound("Not found on LinkedIn.", network_message=detail, status=status)
        if status == 426:
            message = (
                f"LinkedIn no longer accepts API version {self.version}; CM Hub must move to a newer one."
            )
            return Invalid(message, network_message=detail, status=status)
        if status == 422 and "duplicate" in f"{body.get('code', '')} {detail}".lower():
            return Duplicate("LinkedIn refuses duplicate posts.", network_message=detail, status=status)
        if 400 <= status < 500:
            return Invalid(f"LinkedIn refused the request: {detail}", network_message=detail, status=status)
        return Transient(
            f"LinkedIn answered {status}; try again later.", network_message=detail, status=status
        )


# --- helpers ----------------------------------------------------------------------------------------------


def permalink(post_urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{post_urn}"


def escape_little_text(text: str) -> str:
    return "".join(f"\\{char}" if char in _LITTLE_TEXT_RESERVED else char for char in text)


def unescape_little_text(commentary: str) -> str:
    """The words of a post as `publish` was given them: LinkedIn keeps the escapes it was sent."""
    return _LITTLE_TEXT_ESCAPED.sub(r"\1", commentary)


def _own_post(raw: Any, author: str) -> tuple[str, int, str] | None:
    """(URN, created epoch ms, plain words) of a published original post by `author`; None otherwise."""
    if not isinstance(raw, dict) or raw.get("author") != author:
        return None
    urn, created, commentary = raw.get("id"), raw.get("createdAt"), raw.get("commentary", "")
    if not (isinstance(urn, str) and urn.startswith("urn:li:") and isinstance(commentary, str)):
        return None
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < MAX_EPOCH_MS:
        return None
    if raw.get("lifecycleState", "PUBLISHED") != "PUBLISHED" or raw.get("reshareContext"):
        return None
    return urn, created, unescape_little_text(commentary)


def next_midnight_utc(now: dt.datetime) -> dt.datetime:
    """LinkedIn's daily limits reset at midnight UTC."""
    today = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _image_ref(image_urn: str, alt_text: str) -> dict[str, str]:
    return {"id": image_urn, "altText": alt_text} if alt_text else {"id": image_urn}


def _has_replies(raw: dict[str, Any]) -> bool:
    """Whether a first-level comment's summary shows nested comments (read them when it says nothing)."""
    summary = raw.get("commentsSummary")
    if not isinstance(summary, dict):
        return True
    counts = [summary.get("aggregatedTotalComments"), summary.get("totalFirstLevelComments")]
    known = [count for count in counts if isinstance(count, int) and not isinstance(count, bool)]
    return not known or max(known) > 0 or bool(summary.get("selectedComments"))


def _elements(body: dict[str, Any]) -> list[Any]:
    elements = body.get("elements")
    return elements if isinstance(elements, list) else []


def _more_pages(body: dict[str, Any], next_start: int, got: int, count: int) -> bool:
    paging = found if isinstance(found := body.get("paging"), dict) else {}
    total = paging.get("total")
    if isinstance(total, int) and not isinstance(total, bool):
        return next_start < total  # an empty page can still have more behind it
    return got >= count


def _read(response: httpx.Response) -> dict[str, Any]:
    return json_object(response, "LinkedIn")
