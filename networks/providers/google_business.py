"""Google Business Profile: the reviews of a place in, one public reply per review out.

A channel is one location (`Account.external_id` = `accounts/{a}/locations/{l}`): a chain connects each
shop as its own channel, chosen after the Google sign-in (google_auth) from the accounts the person manages
(Account Management API) and their locations (Business Information API). Reviews are read and answered
through the v4 API (https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews).
The three APIs live on three Google hosts; anything standing in for Google (the fake, a proxy) is one
origin serving the three paths (google_business_wire.hosts), so one setting points a deployment at it.

Polling cursor (JSON, stored by the caller). Reviews come newest change first (`orderBy=updateTime desc`,
the only time order the API offers, and there is no "since"), so each run pages down to the stored mark:
- `{"mark": T, "seen": {name: updateTime}}`: every review changed up to T was delivered. Each walk reads
  down to `OVERLAP` below T (Google checks a review before showing it, so one may appear after a later
  one); the reviews delivered in that window are listed with their `updateTime`, so none is handed over
  twice unless it changed. A review edited since comes back above the mark
  with the same name: the inbox takes it as an edit of the message it holds (inbox/edits.py), never a new
  one, and its new stars follow.
- A run cut by its page budget keeps the mark as `floor`, and resumes next time at `resume` (the next
  page's token) with `top` (the newest change it saw) waiting to become the mark once the floor is
  reached. A page token Google no longer takes starts the walk again from the newest, down to the floor.
- A first run (no mark) reads back `Setup.lookback`.

Each review is its own thread (ItemKind.REVIEW, the review is the root), rated 1 to 5 (`starRating`; an
unspecified rating is none); a review without words is still a review. A reply already there
(`reviewReply`, written in Google's own dashboard or earlier by CM Hub) is our outbound message in the
thread, as of its `updateTime`.

What Google says of the place is kept in `Channel.server_limits` (the per-channel JSON the poll already
updates with its cursor, so no table of its own): from the connection, `maps_uri`, `new_review_uri` and
`place_id`; from each poll's first page, `average_rating`, `total_review_count` and `counted_at`, for the
reports.

Answers: `PUT .../reviews/{r}/reply {"comment"}` creates the reply or replaces the one there, so a
second answer to a review takes the first one's place on Google; the reply's id is
`review_reply_id(review name)`, the same for every answer to that review. A PUT repeated sends the same
words to the same place, yet a lost answer is never repeated blindly: `find_reply` reads the review back
(`GET .../reviews/{r}`) before the engine sends anything again. `DELETE .../reply` removes it
(Capability.DELETE_OWN; an unclear one is settled by `comment_state`).

Limits: the reply holds 4,096 UTF-8 bytes (counted as bytes: an accented letter takes two, an emoji
four). Quota is per minute (https://developers.google.com/my-business/content/limits: 300 requests a
minute per API; a 429 RESOURCE_EXHAUSTED), so a limited channel sleeps about a minute. Google pushes
review notifications only through Cloud Pub/Sub (`notificationSetting`), which a self-hosted tool cannot
receive without a Google Cloud project of its own: CM Hub polls.

Local posts are not published: the issue does not ask for them (supports_text_posts is False).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from django.utils.translation import gettext_lazy

from core.http import send_idempotent
from networks.providers import google_auth
from networks.providers import google_business_wire as wire
from networks.providers.base import (
    Account,
    Author,
    Capability,
    CommentState,
    Connectable,
    EngagementItem,
    Invalid,
    ItemKind,
    MediaFile,
    Network,
    NotFound,
    OAuthApp,
    PermissionMissing,
    PollResult,
    ProviderError,
    PublishResult,
    ReplyTarget,
    Setup,
    TextKind,
    TextLimit,
    reply_text_key,
)
from networks.providers.rest import Clock, json_object, transport_error, utcnow

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/business.manage"
DEFAULT_SCOPES = (SCOPE,)
NETWORK_NAME = "Google Business Profile"
PAGE_SIZE = 50  # reviews.list: "The maximum pageSize is 50"
MAX_PAGES_PER_RUN = 20
ACCOUNTS_PAGE = 20  # accounts.list: "The default and maximum is 20"
LOCATIONS_PAGE = 100  # locations.list: "maximum page size is 100"
MAX_LIST_PAGES = 50  # accounts, and locations per account, read at connection
READ_MASK = "name,title,storefrontAddress,metadata"
#: How far below the mark each walk reads again (a review may show after a later one), and how many of the
#: reviews delivered in that window the cursor remembers so as not to hand them over twice.
OVERLAP = dt.timedelta(hours=3)
SEEN_KEPT = 500
#: Google's clock and ours may differ a little: a reply read back is ours if written this long before
#: the attempt began.
READ_BACK_SKEW = dt.timedelta(minutes=2)

#: Re-exported so the inbox and its tests name the rule from the provider (one function, one rule).
review_reply_id = wire.review_reply_id


class GoogleBusinessProvider(google_auth.GoogleProvider):
    google_scopes = DEFAULT_SCOPES
    network = Network.GOOGLE_BUSINESS
    supports_text_posts = False
    supports_image_posts = False
    no_posts_words = gettext_lazy(
        "CM Hub answers the reviews of this place; it does not publish Google Business Profile posts."
    )
    people_have_handles = False  # reviewers have a display name, nothing more
    capabilities = frozenset({Capability.DELETE_OWN})
    #: Google keeps one reply per review: an answer given again replaces the one there.
    one_reply_per_thread: ClassVar[bool] = True
    counting_words = gettext_lazy(
        "%(network)s counts bytes: an accented letter takes 2, an emoji 4, a plain letter or space 1."
    )
    text_limits = {
        TextKind.POST: TextLimit(wire.MAX_REPLY_BYTES, weighted=True),
        TextKind.REPLY: TextLimit(wire.MAX_REPLY_BYTES, weighted=True),
    }
    reply_words = {TextKind.REPLY: "a reply to a Google review"}

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        app: OAuthApp | None = None,
        lookback: dt.timedelta = dt.timedelta(days=14),
        clock: Clock = utcnow,
        get_attempts: int = 2,
        on_credentials: Any = None,
    ):
        super().__init__(account, http=http)
        self.app = app
        self.lookback = lookback
        self.clock = clock
        self.get_attempts = get_attempts
        self.on_credentials = on_credentials
        self.hosts = wire.hosts(account.api_base_url)

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> GoogleBusinessProvider:
        app = OAuthApp(
            client_id=setup.client_id,
            client_secret=setup.client_secret,
            api_base_url=account.api_base_url,
            oauth_base_url=setup.oauth_base_url,
        )
        return cls(account, http=http, app=app, lookback=setup.lookback, on_credentials=setup.on_credentials)

    # --- connect -------------------------------------------------------------------------------------

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        """Every location the person manages, in every account they can reach, once each."""
        credentials = cls.signed_in(app, http=http, code=code, redirect_uri=redirect_uri, verifier=verifier)
        probe = cls(
            Account(Network.GOOGLE_BUSINESS, "", app.api_base_url, credentials), http=http, get_attempts=2
        )
        found: dict[str, Connectable] = {}
        addresses: dict[str, str] = {}
        refused: list[ProviderError] = []
        for account_name, account_title in probe.accounts():
            try:
                locations = probe.locations(account_name)
            except (PermissionMissing, NotFound) as exc:
                refused.append(exc)  # an account shared with too few rights: the others still connect
                continue
            for location in locations:
                location_id = location["name"]  # "locations/{l}", the same under every account
                if location_id in found:
                    continue
                addresses[location_id] = _address_line(location.get("storefrontAddress"))
                found[location_id] = Connectable(
                    network=Network.GOOGLE_BUSINESS,
                    external_id=f"{account_name}/{location_id}",
                    name=wire.text(location.get("title"), limit=200) or account_title or location_id,
                    credentials=credentials,
                    server_limits=_location_facts(location),
                )
        if not found and refused:
            raise refused[0]
        # A chain's shops often share one title: the address tells them apart (places have no handle).
        titles = Counter(c.name for c in found.values())
        return [
            replace(c, name=f"{c.name} · {addresses[key]}"[:200])
            if titles[c.name] > 1 and addresses[key]
            else c
            for key, c in found.items()
        ]

    def accounts(self) -> list[tuple[str, str]]:
        """(name, accountName) of every account the signed-in person can reach."""
        out: list[tuple[str, str]] = []
        token = ""
        for _page in range(MAX_LIST_PAGES):
            params = {"pageSize": ACCOUNTS_PAGE, **({"pageToken": token} if token else {})}
            body = self._get(f"{self.hosts.accounts}/v1/accounts", params)
            for entry in body.get("accounts") or []:
                if isinstance(entry, dict) and wire.is_account_name(entry.get("name")):
                    out.append((entry["name"], wire.text(entry.get("accountName"), limit=200)))
            token = wire.token(body.get("nextPageToken"))
            if not token:
                break
        return out

    def locations(self, account_name: str) -> list[dict[str, Any]]:
        """The locations of one account, as the Business Information API gives them (`readMask` is
        required there)."""
        out: list[dict[str, Any]] = []
        token = ""
        for _page in range(MAX_LIST_PAGES):
            params: dict[str, Any] = {"readMask": READ_MASK, "pageSize": LOCATIONS_PAGE}
            if token:
                params["pageToken"] = token
            body = self._get(f"{self.hosts.locations}/v1/{account_name}/locations", params)
            for entry in body.get("locations") or []:
                if isinstance(entry, dict) and wire.is_bare_location(entry.get("name")):
                    out.append(entry)
            token = wire.token(body.get("nextPageToken"))
            if not token:
                break
        return out

    # --- limits --------------------------------------------------------------------------------------

    @classmethod
    def text_length(cls, text: str) -> int:
        return len(text.encode("utf-8", "surrogatepass"))

    def validate_text(self, text: str) -> list[str]:
        if not text.strip():
            return ["A reply to a Google review needs words."]
        size = self.text_length(text)
        if size > wire.MAX_REPLY_BYTES:
            return [
                f"The text takes {size:,} bytes (accents, emoji and non-Latin letters take several); "
                f"a reply to a Google review allows {wire.MAX_REPLY_BYTES:,}."
            ]
        return []

    def validate_media(self, media: list[MediaFile]) -> list[str]:
        return ["A reply to a Google review cannot carry pictures."] if media else []

    def publish(
        self, *, text: str, media: list[MediaFile] | None = None, delivery_key: str = ""
    ) -> PublishResult:
        raise Invalid("CM Hub does not publish Google Business Profile posts; it answers reviews.")

    # --- polling -------------------------------------------------------------------------------------

    @property
    def location(self) -> str:
        if not wire.is_location_name(self.account.external_id):
            raise Invalid(f"{self.account.external_id!r} is not a Google Business Profile location.")
        return self.account.external_id

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> PollResult:
        cursor = cursor if isinstance(cursor, dict) else {}
        now = self.clock()
        mark = _cursor_time(cursor.get("mark"), now)
        floor = _cursor_time(cursor.get("floor"), now)
        seen = _seen(cursor.get("seen"))
        # Where this walk stops: the floor of a walk being resumed, else a little below the mark (a
        # review may become visible after a later one: Google checks reviews before showing them), else
        # the lookback.
        stop = floor or (mark - OVERLAP if mark else now - self.lookback)
        resume = wire.token(cursor.get("resume")) if floor else ""
        items: list[EngagementItem] = []
        skipped = 0
        newest = _cursor_time(cursor.get("top"), now) if resume else None
        stats: dict[str, Any] | None = None
        token = resume
        reached = False
        for _page in range(MAX_PAGES_PER_RUN):
            try:
                body = self._reviews_page(token)
            except Invalid:
                if not token or token != resume:
                    raise
                log.info("google business: page token refused, reading again from the newest")
                token = resume = ""
                body = self._reviews_page("")
            if not token and stats is None:
                stats = _stats(body, now)
            for raw in body.get("reviews") or []:
                try:
                    review = wire.review(raw, now=now)
                    if review.location != self.location:
                        raise ValueError("a review of another location")
                except ValueError as exc:
                    skipped += 1
                    log.warning("google business: review skipped (%s)", exc)
                    continue
                if review.updated_at < stop:
                    reached = True
                    break
                changed = _iso(review.updated_at)
                if seen.get(review.name) == changed:
                    continue  # delivered already, as it is now
                seen[review.name] = changed
                newest = max(filter(None, [newest, review.updated_at]))
                items.extend(self._items(review))
            token = wire.token(body.get("nextPageToken"))
            if reached or not token:
                reached = True
                break
            if len(items) >= max_items:
                break
        # Up to now only: a mark in our future (Google's clock a little ahead) would pass over reviews
        # written before it.
        top = min(max(filter(None, [newest, mark]), default=now), now)
        if reached:
            next_cursor: dict[str, Any] = {"mark": _iso(top), "seen": _kept(seen, top)}
        else:
            # Cut by the budget: come back to the next page, the old stop waiting below as the floor.
            next_cursor = {"floor": _iso(stop), "resume": token, "top": _iso(top), "seen": _kept(seen, stop)}
            if mark:
                next_cursor["mark"] = _iso(mark)
        limits = {**self.account.server_limits, **stats} if stats else None
        return PollResult(items, next_cursor, has_more=not reached, skipped=skipped, server_limits=limits)

    def _reviews_page(self, token: str) -> dict[str, Any]:
        params: dict[str, Any] = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc"}
        if token:
            params["pageToken"] = token
        return self._get(f"{self.hosts.reviews}/v4/{self.location}/reviews", params)

    def _items(self, review: wire.Review) -> list[EngagementItem]:
        author = Author(
            external_id=_reviewer_id(review),
            name=review.reviewer_name or wire.ANONYMOUS_NAME,
            avatar_url=review.reviewer_photo,
        )
        raw = {"name": review.name, "reviewId": review.review_id, "starRating": review.stars}
        found = [
            EngagementItem(
                network=Network.GOOGLE_BUSINESS,
                external_id=review.name,
                kind=ItemKind.REVIEW,
                text=review.comment,
                created_at=review.created_at,
                author=author,
                thread_root_external_id=review.name,
                permalink=_maps_uri(self.account.server_limits),
                raw=raw,
                edited_at=review.updated_at if review.updated_at > review.created_at else None,
                rating=review.stars,
            )
        ]
        if review.reply_comment and review.reply_updated_at is not None:
            found.append(
                EngagementItem(
                    network=Network.GOOGLE_BUSINESS,
                    external_id=wire.review_reply_id(review.name),
                    kind=ItemKind.REPLY,
                    text=review.reply_comment,
                    created_at=max(review.reply_updated_at, review.created_at),
                    author=Author(external_id=self.account.external_id, name=self.account.handle),
                    parent_external_id=review.name,
                    thread_root_external_id=review.name,
                    raw={"review": review.name},
                )
            )
        return found

    # --- answers -------------------------------------------------------------------------------------

    def _review_name(self, target: ReplyTarget) -> str:
        """The review an answer goes under: the thread's root (an answer in a review's thread answers
        the review), checked to be one of this location's reviews."""
        for candidate in (target.thread_root_external_id, target.parent_external_id, target.external_id):
            name = wire.review_of_reply(candidate or "")
            try:
                if wire.review_location(name) == self.location:
                    return name
            except ValueError:
                continue
        raise Invalid("This message is not a review of this location: only reviews are answered here.")

    def reply(self, *, target: ReplyTarget, text: str, delivery_key: str = "") -> PublishResult:
        problems = self.validate_reply(text)
        if problems:
            raise Invalid(" ".join(problems))
        name = self._review_name(target)
        # PUT creates or replaces the one reply. A connection lost after sending is Ambiguous: find_reply
        # reads the review back before the engine sends anything again.
        body = json_object(
            self._call("PUT", f"{self.hosts.reviews}/v4/{_path(name)}/reply", json={"comment": text}),
            NETWORK_NAME,
        )
        return PublishResult(
            wire.review_reply_id(name), permalink=_maps_uri(self.account.server_limits), raw=body
        )

    def find_reply(
        self, *, target: ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> PublishResult | None:
        name = self._review_name(target)
        reply_id = wire.review_reply_id(name)
        if reply_id in exclude:
            return None
        body = self._get(f"{self.hosts.reviews}/v4/{_path(name)}", {})
        reply = wire.obj(body.get("reviewReply"))
        if reply_text_key(wire.text(reply.get("comment"))) != reply_text_key(text):
            return None
        try:
            written = wire.parse_time(reply.get("updateTime"), now=self.clock())
        except ValueError:
            return None  # without a time it may be an older reply with the same words: send again
        if written < since - READ_BACK_SKEW:
            return None
        return PublishResult(reply_id, permalink=_maps_uri(self.account.server_limits), raw=reply)

    def delete_comment(self, *, comment_id: str) -> None:
        """Delete our reply (the only thing CM Hub deletes here: Capability.DELETE_OWN)."""
        name = wire.review_of_reply(comment_id)
        if name == comment_id or wire.review_location(name) != self.location:
            raise Invalid("Only our own reply to a review of this location can be deleted.")
        self._call("DELETE", f"{self.hosts.reviews}/v4/{_path(name)}/reply")

    def comment_state(self, *, comment_id: str) -> CommentState:
        """Whether our reply (or a review) is on Google now: how an unclear deletion is settled."""
        name = wire.review_of_reply(comment_id)
        wire.review_location(name)  # ValueError for anything that is not a review's: a bug upstream
        try:
            body = self._get(f"{self.hosts.reviews}/v4/{_path(name)}", {})
        except NotFound:
            return CommentState(exists=False)
        if name == comment_id:
            return CommentState(exists=True)
        return CommentState(exists=bool(wire.text(wire.obj(body.get("reviewReply")).get("comment"))))

    # --- plumbing ------------------------------------------------------------------------------------

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        return json_object(self._call("GET", url, params=params), NETWORK_NAME)

    def _call(self, method: str, url: str, *, renewed: bool = False, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.account.credentials.access_token}"}
        try:
            if method == "GET":
                response = send_idempotent(
                    self.http, method, url, headers=headers, attempts=self.get_attempts, **kwargs
                )
            else:
                # A write is sent once: a PUT repeated would land in the same place, but whether the first
                # one did is for the delivery engine to settle by reading back (find_reply, comment_state)
                # before anything is sent again, not for a blind retry here.
                response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(NETWORK_NAME, exc, may_apply=method != "GET") from exc
        if response.status_code == 401 and not renewed and self._renew():
            return self._call(method, url, renewed=True, **kwargs)
        google_auth.raise_for_google(response, network=NETWORK_NAME, now=self.clock())
        return response

    def _renew(self) -> bool:
        """An access token that stopped working an hour in: renew it once and try again (stored at once)."""
        if self.app is None or not self.app.client_id or not self.account.credentials.refresh_token:
            return False
        try:
            new = self.refresh_credentials()
        except ProviderError:
            return False
        if self.on_credentials is not None:
            self.on_credentials(new)
        return True


# --- helpers ---------------------------------------------------------------------------------------------


def _path(name: str) -> str:
    """A resource name in a URL path: its slashes kept, anything else escaped (names were checked)."""
    return quote(name, safe="/")


def _seen(value: Any) -> dict[str, str]:
    """The cursor's reviews delivered near the mark, as {name: updateTime} (a stored cursor is ours, but
    read carefully all the same)."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _kept(seen: dict[str, str], mark: dt.datetime) -> dict[str, str]:
    """What the next walk must not deliver again: the reviews changed within OVERLAP below the mark, the
    newest SEEN_KEPT of them."""
    floor = _iso(mark - OVERLAP)
    recent = sorted(((t, n) for n, t in seen.items() if t >= floor), reverse=True)[:SEEN_KEPT]
    return {name: changed for changed, name in recent}


def _iso(moment: dt.datetime) -> str:
    """One width for every time in the cursor, so they compare as strings too."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _cursor_time(value: Any, now: dt.datetime) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return min(moment.astimezone(dt.UTC), now + wire.MAX_AHEAD)


def _reviewer_id(review: wire.Review) -> str:
    """Google gives reviewers no id: the same name with the same picture is taken as the same person;
    an anonymous reviewer is a person of their own for each review."""
    import hashlib

    if review.anonymous or not review.reviewer_name:
        return f"anonymous:{hashlib.sha256(review.name.encode()).hexdigest()[:24]}"
    who = f"{review.reviewer_name}\n{review.reviewer_photo}".encode("utf-8", "replace")
    return f"reviewer:{hashlib.sha256(who).hexdigest()[:24]}"


def _stats(body: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
    """The location's average and count as the first page gives them, for the reports."""
    average, total = body.get("averageRating"), body.get("totalReviewCount")
    if isinstance(average, bool) or not isinstance(average, int | float) or not 0 <= average <= 5:
        average = None
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total < 10**9:
        total = None
    if average is None and total is None:
        return None
    return {"average_rating": average, "total_review_count": total, "counted_at": _iso(now)}


def _maps_uri(limits: Any) -> str:
    value = limits.get("maps_uri") if isinstance(limits, dict) else None
    return value if isinstance(value, str) and value.startswith("https://") else ""


def _location_facts(location: dict[str, Any]) -> dict[str, Any]:
    """What the choice and the inbox use of a location: its Maps page and its "write a review" page."""
    metadata = wire.obj(location.get("metadata"))
    facts = {}
    for key, field in (("maps_uri", "mapsUri"), ("new_review_uri", "newReviewUri"), ("place_id", "placeId")):
        value = wire.text(metadata.get(field), limit=1000)
        if value and (key == "place_id" or value.startswith("https://")):
            facts[key] = value
    return facts


def _address_line(address: Any) -> str:
    """The first address line and the town (`storefrontAddress`, a google.type.PostalAddress)."""
    if not isinstance(address, dict):
        return ""
    lines = address.get("addressLines") if isinstance(address.get("addressLines"), list) else []
    first = wire.text(lines[0], limit=150) if lines else ""
    town = wire.text(address.get("locality"), limit=100)
    return ", ".join(part for part in (first, town) if part)[:200]
