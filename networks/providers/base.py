"""The one interface every network client implements, and the plain data it returns.

Nothing here knows about Django models: the inbox and posts apps decide what to store. A provider is
built from an `Account` (where to call, with which credentials, for which account) and an httpx client,
so tests, the demo and self-hosted instances point it at another base URL.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import httpx

from core import remote_errors

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from networks.providers.limits import ImageRules
    from networks.providers.streaming import StreamSource, StreamTarget
    from networks.providers.webhooks_base import WebhookReceiver

# The errors every provider raises live below every app (core), for the delivery engine; providers and
# their callers reach them here as p.<Name>.
ProviderError = remote_errors.ProviderError
RateLimited = remote_errors.RateLimited
AuthExpired = remote_errors.AuthExpired
PermissionMissing = remote_errors.PermissionMissing
NotFound = remote_errors.NotFound
Invalid = remote_errors.Invalid
Duplicate = remote_errors.Duplicate
ReadBackIncomplete = remote_errors.ReadBackIncomplete
Transient = remote_errors.Transient
Ambiguous = remote_errors.Ambiguous
RESET_CEILING = remote_errors.RESET_CEILING
RETRY_FLOOR = remote_errors.RETRY_FLOOR
reset_in = remote_errors.reset_in
reset_at_epoch = remote_errors.reset_at_epoch


class Network(enum.StrEnum):
    """Every network CM Hub speaks: its value is stored, its label is how people name it."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    LINKEDIN = "linkedin"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    YOUTUBE = "youtube"
    THREADS = "threads"
    GOOGLE_BUSINESS = "google_business"

    @property
    def label(self) -> str:
        return NETWORK_LABELS[self]


NETWORK_LABELS = {
    Network.FACEBOOK: "Facebook",
    Network.INSTAGRAM: "Instagram",
    Network.X: "X",
    Network.LINKEDIN: "LinkedIn",
    Network.MASTODON: "Mastodon",
    Network.BLUESKY: "Bluesky",
    Network.YOUTUBE: "YouTube",
    Network.THREADS: "Threads",
    Network.GOOGLE_BUSINESS: "Google Business Profile",
}


class ItemKind(enum.StrEnum):
    COMMENT = "comment"
    REPLY = "reply"
    MENTION = "mention"
    DIRECT_MESSAGE = "direct_message"
    #: A post someone else wrote on the brand's page (Facebook visitor posts): it heads its own thread.
    VISITOR_POST = "visitor_post"
    #: A review of the brand's place (Google Business Profile): one thread per review, answered once (an
    #: answer given again replaces the first), with a star rating (EngagementItem.rating).
    REVIEW = "review"


# --- Plain data ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    access_token: str
    refresh_token: str = ""
    expires_at: dt.datetime | None = None
    scopes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Account:
    """Which account to act for, where, and with what."""

    network: Network
    external_id: str  # page id, IG user id, X user id, LinkedIn organization URN
    api_base_url: str
    credentials: Credentials
    handle: str = ""
    #: What the account's own server allows, where each server sets its own (a Mastodon instance's
    #: `configuration`), as the provider stored it (Channel.server_limits); empty elsewhere.
    server_limits: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Author:
    external_id: str
    handle: str = ""
    name: str = ""
    avatar_url: str = ""
    profile_url: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # "image", "video", "link", "sticker", ...
    url: str = ""
    preview_url: str = ""
    title: str = ""


@dataclass(frozen=True, slots=True)
class EngagementItem:
    network: Network
    external_id: str
    kind: ItemKind
    text: str  # plain text, never HTML
    created_at: dt.datetime  # aware, UTC
    author: Author | None = None
    post_external_id: str = ""  # the post it is about
    post_text: str = ""  # that post's words, where the payload read for this item carries them
    post_image_url: str = ""  # and its picture (http(s)), likewise
    post_permalink: str = ""  # and its address on the network
    parent_external_id: str = ""  # direct parent (a comment replied to)
    thread_root_external_id: str = ""  # top of the thread: groups items into one conversation
    permalink: str = ""
    attachments: tuple[Attachment, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    #: When the network says the text was last changed (LinkedIn `lastModified`, Graph `updated_time`);
    #: None when it does not say. An item re-read with other words is an edit either way.
    edited_at: dt.datetime | None = None
    #: Earlier versions of this item, oldest first, where an edit gives the new version an id of its own
    #: (X `edit_history_tweet_ids`): the inbox shows it as an edit of the message it holds, not a new one.
    replaces_external_ids: tuple[str, ...] = ()
    #: Stars from 1 to 5 (ItemKind.REVIEW); None for everything that is not a review.
    rating: int | None = None
    #: The network keeps it from the public until a moderator approves it (YouTube's heldForReview and
    #: likelySpam): stored hidden, and shown again by approving it (Capability.HIDE, hidden=False).
    held: bool = False
    #: The network said which moderation state the item is in (YouTube reads `moderationStatus`), so
    #: `held` is its word now: a message we hold follows it (approved or held on the network itself).
    #: False where the network does not say (a hide made from CM Hub must not be undone by a re-read).
    moderation_known: bool = False


@dataclass(frozen=True, slots=True)
class PollResult:
    items: list[EngagementItem]
    cursor: dict[str, Any]  # JSON-serialisable; stored by the caller and handed back next time
    has_more: bool = False  # the run stopped at its budget; the next run resumes
    skipped: int = 0  # malformed items skipped (and logged)
    #: The network refused part of the poll (Messenger conversations) for want of a permission, in its
    #: own words: what was read is stored, and the poll still counts as failed, so the health page says
    #: what is missing.
    permission_missing: str = ""
    #: Items read again (a re-read of threads already delivered): what changed is an edit, what is new is
    #: stored as new. Not counted as fetched.
    reread: tuple[EngagementItem, ...] = ()
    #: Threads read again from top to bottom: every item of the post that still exists, so what the
    #: inbox holds under that post and the listing lacks was deleted on the network.
    listings: tuple[ThreadListing, ...] = ()
    #: Items the network says no longer exist, asked for again by id (X): marked deleted, never removed.
    gone: tuple[str, ...] = ()
    #: What the account's server allows, read again (Mastodon's instance configuration): stored on the
    #: channel as Channel.server_limits. None: nothing new was read.
    server_limits: dict[str, Any] | None = None
    #: Where in time the run stopped, when it stopped at its budget: how far back into the history window
    #: the walk has come (a channel's import shows it as its progress). None: the provider does not say,
    #: and the last item delivered stands for it (items come in walk order).
    stopped_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ThreadListing:
    """A complete listing of one post's comments, read at `read_at`."""

    post_external_id: str
    item_ids: frozenset[str]
    read_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WatchWindows:
    """Which posts a poll watches (a workspace setting; the defaults are the historical ones).

    Posts created inside the recent window are read at every poll; older ones, back to `sweep_days`, are
    swept every `sweep_interval`, at most `sweep_posts` of them per poll, resuming where the last run
    stopped. The same interval paces the re-read of recent threads that finds edits and deletions."""

    recent_days: int = 14
    recent_posts: int = 25
    sweep_days: int = 365  # 0: no sweep
    sweep_interval: dt.timedelta = dt.timedelta(hours=6)
    sweep_posts: int = 25

    @property
    def recent(self) -> dt.timedelta:
        return dt.timedelta(days=self.recent_days)


@dataclass(frozen=True, slots=True)
class PublishResult:
    external_id: str
    permalink: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RateLimitState:
    remaining: int | None = None  # calls (or percent of budget) left
    limit: int | None = None
    reset_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class MediaFile:
    """An image to publish: its bytes, and a public URL where the network can fetch it if it must."""

    content: bytes
    content_type: str
    public_url: str = ""
    alt_text: str = ""


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """What we answer: the item, and what the network needs to thread the answer."""

    external_id: str
    kind: ItemKind
    post_external_id: str = ""
    parent_external_id: str = ""
    thread_root_external_id: str = ""
    author_external_id: str = ""


class TextKind(enum.StrEnum):
    """What a text is, for the length a network allows it."""

    POST = "post"
    REPLY = "reply"  # an answer to a comment or a mention
    DIRECT_MESSAGE = "direct_message"
    PRIVATE_REPLY = "private_reply"  # a direct message answering a public comment


@dataclass(frozen=True, slots=True)
class TextLimit:
    max_length: int
    weighted: bool = False  # counted the network's way (X: links 23, many characters 2), not in characters


class Capability(enum.StrEnum):
    """What a network lets CM Hub do besides reading and answering in public. The inbox asks the
    provider class (`Provider.supports`) and shows a button only for what is declared here."""

    DIRECT_MESSAGES = "direct_messages"  # answer direct messages
    HIDE = "hide"  # hide a person's comment from the public, and show it again
    DELETE = "delete"  # delete comments on our own posts, other people's included
    DELETE_OWN = "delete_own"  # delete only what the account itself wrote
    PRIVATE_REPLY = "private_reply"  # answer a public comment with one direct message
    EDIT = "edit"  # edit what the account wrote
    POST_METRICS = "post_metrics"  # read engagement counts of the account's own published posts
    #: Block a person's account, so it can no longer reply to, mention or message ours (undone on the
    #: network itself). Blocking twice is harmless, so an unclear attempt is simply made again.
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class CommentState:
    """A comment as the network shows it now, for reading back a moderation step whose outcome was
    unclear. `None` where the network does not say."""

    exists: bool
    hidden: bool | None = None
    #: Whether the one private reply this comment allows has been used (None: the network does not say).
    private_reply_sent: bool | None = None


@dataclass(frozen=True, slots=True)
class PostMetrics:
    """Engagement of one published post as the network counts it, normalised across networks. `None`
    where the network does not report that figure (never 0: a report must not read "not reported" as
    "nobody"). `views` is Meta's replacement for the retired impression metrics and X's
    impression_count."""

    post_id: str
    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    clicks: int | None = None

    @property
    def interactions(self) -> int | None:
        """Likes, comments, shares and saves together; None when the network reported none of them."""
        parts = [n for n in (self.likes, self.comments, self.shares, self.saves) if n is not None]
        return sum(parts) if parts else None


# --- The interface -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    """What a provider is built with besides the account: the deployment's app on the network (empty where
    none is configured), how far back a new channel reads, and the API version the operator pinned ("" for
    the provider's own)."""

    client_id: str = ""
    client_secret: str = ""
    oauth_base_url: str = ""
    lookback: dt.timedelta = dt.timedelta(days=14)
    api_version: str = ""
    #: The workspace's watch windows (None: the provider's defaults, no sweep).
    windows: WatchWindows | None = None
    #: Stores credentials a provider renewed by itself in the middle of a call (Bluesky renews an expired
    #: session and retries; its refresh token rotates, so the new one must be kept at once).
    on_credentials: Callable[[Credentials], None] | None = None
    #: Counts what every call costs against a quota the network shares between accounts (YouTube's
    #: daily units per Google project), and refuses a call the quota cannot pay for; None: no such quota.
    quota: QuotaMeter | None = None


class QuotaMeter(Protocol):
    """A network's shared quota, as a provider spends it (networks.quota keeps the ledger)."""

    def charge(self, units: int, *, write: bool) -> None:
        """Record `units` about to be spent by one call, before it is sent (the network counts refused
        and failed calls too). RateLimited, with the quota's reset, when they cannot be spent: a write
        may use the whole quota, a read only what is not kept back for writes."""

    def poll_started(self) -> None:
        """One poll begins (the ledger measures what a poll costs from these)."""

    def exhausted(self) -> None:
        """The network said the quota is spent, whatever the ledger counted: nothing more until reset."""


@dataclass(frozen=True, slots=True)
class ModerationWords:
    """How the inbox names hiding a comment and showing it again where the network has its own words
    for them (YouTube holds a comment for review and approves it): lazy translations, with a
    %(network)s placeholder where they name the network. A provider without them gets the inbox's
    own ("Hide on …", "Show again on …")."""

    hide: str | StrPromise  # the button that hides a published comment
    unhide: str | StrPromise  # the button that publishes a hidden one
    hidden: str | StrPromise  # the badge of a hidden comment
    hiding: str | StrPromise  # while a hide is on its way
    unhiding: str | StrPromise  # while an unhide is on its way
    hid: str | StrPromise  # what a done hide is called in the thread ("Held for review · Ana · 2 min")
    unhid: str | StrPromise
    already_hidden: str | StrPromise  # refusals
    not_hidden: str | StrPromise


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """The deployment's app on a network, as the connect flow needs it."""

    client_id: str
    client_secret: str
    api_base_url: str
    oauth_base_url: str  # the origin of the consent page (and, for some networks, of the token endpoint)
    api_version: str = ""  # "" for the provider's own


@dataclass(frozen=True, slots=True)
class Consent:
    """Where to send the browser, and what must wait for the callback (a PKCE verifier)."""

    url: str
    verifier: str = ""


@dataclass(frozen=True, slots=True)
class Connectable:
    """An account the person who consented may connect, with the credentials to act for it."""

    network: Network
    external_id: str
    name: str
    credentials: Credentials
    handle: str = ""
    avatar_url: str = ""
    #: Where this account's API lives when it is not the app's (a Bluesky account's PDS); "" for the app's.
    api_base_url: str = ""
    #: What the account's server allows (see Account.server_limits).
    server_limits: dict[str, Any] = field(default_factory=dict)


class ConnectStyle(enum.StrEnum):
    """How an admin connects an account of a network (Settings -> Channels)."""

    #: The deployment's app (NetworkApp or the environment) and the network's consent page.
    OAUTH = "oauth"
    #: The admin names a server (a Mastodon instance); CM Hub registers its app there once
    #: (Provider.register_app, kept as a ServerApp row), then OAuth on that server's consent page.
    SERVER_OAUTH = "server_oauth"
    #: The admin types the account's identifier and an app password (Bluesky): no consent page.
    APP_PASSWORD = "app_password"  # noqa: S105 - the name of a way to connect, not a password


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    """CM Hub's app as a server registered it (SERVER_OAUTH)."""

    client_id: str
    client_secret: str


class Provider(abc.ABC):
    network: Network
    #: What the network accepts as an image; renditions are made to pass these (posts.media).
    image_rules: ImageRules | None = None
    #: The widest rendition CM Hub sends where the network sets no maximum width of its own.
    image_max_width: int | None = None
    #: Whether people there have a handle a person would recognise (LinkedIn's member ids are not).
    people_have_handles: bool = True
    #: Polls in flight at once for this network (setting CMHUB_POLL_CONCURRENCY_<NETWORK> overrides it).
    poll_concurrency: int = 4
    supports_text_posts: bool = True
    supports_image_posts: bool = True
    #: Why the composer offers no posts on this network (neither text nor image posts supported), in
    #: plain words for the person looking for it there: a translatable sentence, which may name the
    #: network as %(network)s.
    no_posts_words: ClassVar[str | StrPromise] = ""
    #: What the network allows beyond reading and public answers (see Capability).
    capabilities: frozenset[Capability] = frozenset()
    #: How a weighted count (TextLimit.weighted) differs from counting characters, for the counter's
    #: tooltip: a translatable sentence with a %(network)s placeholder.
    counting_words: ClassVar[str | StrPromise] = ""
    #: The network's own words for hiding and showing a comment again (None: the inbox's).
    moderation_words: ClassVar[ModerationWords | None] = None
    #: How long after a comment was written a private reply to it is still allowed.
    private_reply_window: ClassVar[dt.timedelta | None] = None
    #: Whether a reply to a comment can be hidden on its own (Threads hides only replies made to the post
    #: itself, and the answers under them with it).
    hides_nested_replies: ClassVar[bool] = True
    #: A thread holds one answer of ours at most, and answering again replaces it (a Google review's
    #: reply: `PUT .../reply` creates or replaces, under the same id). The inbox then says so in the
    #: composer, keeps one answer on its way at a time, and marks the earlier answer replaced once the new
    #: one is sent (inbox/replies/single.py).
    one_reply_per_thread: ClassVar[bool] = False
    #: How an admin connects an account (see ConnectStyle).
    connect_style: ClassVar[ConnectStyle] = ConnectStyle.OAUTH
    #: Whether an account may live on any server an admin names (a Mastodon instance): then any https
    #: address is accepted for its API (networks.registry.allowed_url), and the SSRF-safe client still
    #: refuses private addresses when it connects. False: only the network's own hosts and listed ones.
    any_server: ClassVar[bool] = False

    @classmethod
    def supports(cls, capability: Capability) -> bool:
        return capability in cls.capabilities

    @property
    def supports_direct_message_reply(self) -> bool:
        """Whether replying to a direct message is possible through this API."""
        return self.supports(Capability.DIRECT_MESSAGES)

    #: How long after the customer's last message a direct message may still be answered (None: no
    #: window). The inbox says so before queueing; the provider refuses before sending.
    direct_message_window: dt.timedelta | None = None
    #: Whether the poll sweeps posts older than the recent window (the workspace's watch windows).
    sweeps_older_posts: bool = False

    def __init__(self, account: Account, *, http: httpx.Client):
        self.account = account
        self.http = http
        self.rate_limit = RateLimitState()

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> Provider:
        """A provider for `account`, configured from `setup`: each network takes what it needs."""
        return cls(account, http=http)

    # The connect flow (networks.connect): the consent page, then the accounts the consent gave access to.

    @classmethod
    @abc.abstractmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        """The network's consent page for `app`, asking for `scopes`, coming back to `redirect_uri`."""

    @classmethod
    @abc.abstractmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        """Exchange the callback's `code`, and list the accounts it lets CM Hub act for."""

    @classmethod
    def register_app(
        cls,
        *,
        http: httpx.Client,
        server_url: str,
        redirect_uri: str,
        scopes: Sequence[str],
        client_name: str,
        website: str,
    ) -> RegisteredApp:
        """SERVER_OAUTH: register CM Hub's app on the server at `server_url` (once per server; the caller
        keeps the result)."""
        raise NotImplementedError(f"{cls.__name__} connects with the deployment's app")

    @classmethod
    def connect_with_password(
        cls, *, http: httpx.Client, identifier: str, password: str, service_url: str
    ) -> list[Connectable]:
        """APP_PASSWORD: sign in as `identifier` (a handle, an e-mail, a DID) with an app password, through
        `service_url` (the network's entryway; the account's own server is found from there), and return
        the account with its session as credentials. Invalid for refused credentials."""
        raise NotImplementedError(f"{cls.__name__} connects through a consent page")

    # Real time (networks.streams): long-lived connections that push what the poll would find later.

    @classmethod
    def stream_sources(cls, targets: Sequence[StreamTarget]) -> list[StreamSource]:
        """The connections that stream events for these channels of this network (one per channel, or
        one for all of them); none where the network does not stream."""
        return []

    @abc.abstractmethod
    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        """Everything newer than `cursor`, oldest state first consumed; bounded by `max_items`."""

    @abc.abstractmethod
    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        """Answer `target`. `delivery_key` names this delivery, the same at every attempt: networks that
        take an idempotency key (Mastodon) or let the client choose the record's id (Bluesky) use it, so a
        retry after an unclear outcome cannot answer twice; the others settle that by reading back."""

    @abc.abstractmethod
    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """Our own answer to `target` with this text, posted at or after `since`, read back from the network;
        None when it is not there. Ids in `exclude` are answers already accounted for (an earlier reply
        with the same words): they never match.

        This is how an Ambiguous `reply` is settled before any retry, so it must really read the thread:
        a reply that is not found gets sent again.
        """

    def find_post(
        self, *, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        """Our own top-level post with this text, published at or after `since`, read back from the
        network; None when it is not there. Ids in `exclude` are posts already accounted for.

        This is how an Ambiguous `publish` is settled before any retry, so it must really read the feed: a
        post that is not found gets published again. Networks that cannot be read back raise
        NotImplementedError, and the caller asks a person to check instead of publishing twice."""
        raise NotImplementedError(f"{type(self).__name__} cannot read its posts back")

    @abc.abstractmethod
    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        """Publish a post; `delivery_key` as for `reply`."""

    @abc.abstractmethod
    def validate_text(self, text: str) -> list[str]:
        """Problems with `text` as a post on this network, in plain words (empty list when fine)."""

    #: The longest text of each kind, as the network counts it; a kind not listed takes the post's.
    text_limits: dict[TextKind, TextLimit] = {}

    @classmethod
    def text_limit(
        cls, kind: TextKind = TextKind.POST, *, server_limits: Mapping[str, Any] | None = None
    ) -> TextLimit:
        """What the composer's counter counts against, for a text of this kind. `server_limits` are the
        channel's (Channel.server_limits), for networks where each server sets its own."""
        return cls.text_limits.get(kind) or cls.text_limits[TextKind.POST]

    @classmethod
    def text_length(cls, text: str) -> int:
        """The length of `text` as the network counts it (code points after NFC, unless weighted)."""
        return len(unicodedata.normalize("NFC", text))

    def validate_reply(self, text: str, *, kind: TextKind = TextKind.REPLY) -> list[str]:
        """Problems with `text` as a reply (or a direct message) here: the post rules, then the kind's
        own length where it is shorter."""
        problems = self.validate_text(text)
        server = self.account.server_limits
        limit = self.text_limit(kind, server_limits=server)
        length = self.text_length(text)
        if length > limit.max_length and limit != self.text_limit(TextKind.POST, server_limits=server):
            what = self.reply_words.get(kind, str(self.network))
            problems.append(f"The text has {length:,} characters; {what} allows {limit.max_length:,}.")
        return problems

    #: How the network's replies are named in a refusal ("A LinkedIn comment allows 1,250").
    reply_words: dict[TextKind, str] = {}

    @abc.abstractmethod
    def validate_media(self, media: list[MediaFile]) -> list[str]: ...

    def refresh_credentials(self) -> Credentials:
        """New credentials where the network allows refreshing; AuthExpired where it does not."""
        raise AuthExpired("This network does not allow refreshing tokens; reconnect the channel.")

    # --- Moderation (only what `capabilities` declares is ever called) -----------------------------------

    def hide_comment(self, *, comment_id: str, hidden: bool) -> None:
        """Hide the comment from the public (or show it again); its author still sees it."""
        raise NotImplementedError(f"{type(self).__name__} cannot hide comments")

    def delete_comment(self, *, comment_id: str) -> None:
        """Delete the comment on the network, for good."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete comments")

    def block_author(self, *, author_id: str, comment_id: str = "") -> None:
        """Block the account `author_id` (Capability.BLOCK); blocking an account already blocked is no
        error. `comment_id` is the message the block was asked from (YouTube bans an author through one
        of their comments)."""
        raise NotImplementedError(f"{type(self).__name__} cannot block accounts")

    def private_reply(self, *, comment_id: str, text: str) -> PublishResult:
        """Answer a public comment with a direct message to its author (once per comment)."""
        raise NotImplementedError(f"{type(self).__name__} cannot answer comments privately")

    def post_metrics(self, *, post_ids: Sequence[str]) -> list[PostMetrics]:
        """Engagement of these published posts (Capability.POST_METRICS); a post the network no longer
        knows is left out rather than reported as zero."""
        raise NotImplementedError(f"{type(self).__name__} cannot read post metrics")

    def comment_state(self, *, comment_id: str) -> CommentState:
        """The comment as the network shows it now: how an unclear moderation step is settled before
        anything is sent again. NotImplementedError where it cannot be read."""
        raise NotImplementedError(f"{type(self).__name__} cannot read a comment's state")

    # Webhooks (networks.webhooks): how the network pushes, and what a push needs read from its API.

    #: How the network's webhook deliveries are checked and read; None: the network is polled only.
    webhooks: ClassVar[WebhookReceiver | None] = None
    #: Whether CM Hub can subscribe an account to the app's webhooks through the API (webhook_subscribe).
    supports_webhook_subscribe: bool = False

    def webhook_subscribe(self) -> None:
        """Ask the network to push this account's events to the app's webhook URL."""
        raise NotImplementedError(f"{type(self).__name__} cannot subscribe to webhooks")

    def conversation_with(self, customer_id: str) -> DmThread | None:
        """The DM conversation with one person, for pushed messages that name only their sender; None where
        the network lists none or cannot say."""
        return None

    def read_pushed(self, what: str, refs: Mapping[str, str]) -> EngagementItem | None:
        """What a webhook announced by ids alone (`what`: "mention"...), read from the API; None where this
        network has nothing to read for it (the poll then catches up)."""
        return None

    def post_context(self, post_id: str) -> tuple[str, str]:
        """A post's words and address, for pushed comments that name only their post."""
        return ("", "")


def reply_text_key(text: str) -> str:
    """What two copies of a reply have in common once a network has stored one of them: the same
    characters after Unicode normalisation, line endings and surrounding whitespace aside."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


@dataclass(frozen=True, slots=True)
class DmThread:
    """A DM conversation as the poll files it: its id, its address, and the person as the network names
    them there (a Messenger name, an Instagram username), which a pushed message lacks."""

    conversation_id: str
    permalink: str
    customer: Author | None = None


@dataclass(frozen=True, slots=True)
class ListedPost:
    """One of our posts as a network lists them, for reading a publish back."""

    external_id: str
    created_at: dt.datetime
    text: str
    permalink: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def oldest_match(
    listed: Iterable[ListedPost], *, text: str, since: dt.datetime, exclude: Collection[str]
) -> PublishResult | None:
    """Our post with these words in a listing read newest first: the walk stops at the first post older
    than `since`. The oldest match wins: a later one is another post with the same words, not the one
    being settled (on a tie in time, the one listed later is older)."""
    wanted = reply_text_key(text)
    best: ListedPost | None = None
    for post in listed:
        if post.created_at < since:
            break
        if post.external_id in exclude or reply_text_key(post.text) != wanted:
            continue
        if best is None or post.created_at <= best.created_at:
            best = post
    return PublishResult(best.external_id, permalink=best.permalink, raw=best.raw) if best else None
