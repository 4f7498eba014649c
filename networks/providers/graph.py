"""Graph API plumbing shared by the Facebook and Instagram clients.

One `GraphClient` per provider instance: it adds the token, pins the API version, turns every failure
(HTTP error bodies and transport trouble alike) into exactly one error of the provider taxonomy, keeps the
usage headers up to date in a `RateLimitState`, and follows `paging.next` without ever storing it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from core.http import UnsafeDestination
from networks.providers.base import (
    Account,
    Ambiguous,
    AuthExpired,
    Connectable,
    Consent,
    Duplicate,
    Invalid,
    ListedPost,
    NotFound,
    OAuthApp,
    PermissionMissing,
    Provider,
    ProviderError,
    PublishResult,
    RateLimited,
    RateLimitState,
    ReadBackIncomplete,
    Setup,
    Transient,
    oldest_match,
    reset_in,
)
from networks.providers.graph_scan import Pages

logger = logging.getLogger(__name__)

#: Pinned so a Graph default-version bump never changes response shapes under us; the deployment can
#: choose another with the CMHUB_GRAPH_API_VERSION setting. Meta serves each version about two years, then
#: silently upgrades calls to the oldest one still served.
GRAPH_VERSION = "v25.0"
#: When Meta stops serving each recent version ("Available until" in
#: https://developers.facebook.com/docs/graph-api/changelog/versions/); None: not announced yet.
GRAPH_SUNSETS: dict[str, dt.date | None] = {
    "v21.0": dt.date(2027, 1, 21),
    "v22.0": dt.date(2027, 5, 20),
    "v23.0": dt.date(2027, 10, 8),
    "v24.0": dt.date(2028, 2, 18),
    "v25.0": dt.date(2028, 7, 29),
    "v26.0": None,
}
_VERSION_FORMAT = re.compile(r"v\d{1,3}\.\d")


def valid_graph_version(version: str) -> bool:
    return bool(_VERSION_FORMAT.fullmatch(version))


def graph_sunset(version: str) -> dt.date | None:
    """The day Meta stops serving `version`, when known."""
    return GRAPH_SUNSETS.get(version)


GRAPH_BASE_URL = "https://graph.facebook.com"
#: When a limit is hit and no header says for how long, wait this long (Graph windows roll over an hour).
DEFAULT_RATE_LIMIT_WAIT = dt.timedelta(minutes=15)

# Error codes, from the Graph error reference. Codes say what happened; subcodes refine.
_AUTH_CODES = frozenset({102, 190})
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613} | set(range(80000, 80015)))
_RATE_LIMIT_SUBCODES = frozenset({1390008, 2207042})  # posting too fast; IG daily publishing cap
_TRANSIENT_CODES = frozenset({1, 2})  # "unknown / temporary issue, retry later"
_TRANSIENT_SUBCODES = frozenset({2207027})  # IG media not ready for publishing yet
_DUPLICATE_CODE = 506  # "Duplicate status message"
# Media too large / wrong format, IG aspect ratio, IG caption too long, Messenger 24 h window closed:
# the request itself is wrong, whatever the code says about permissions.
_INVALID_SUBCODES = frozenset({1366046, 2207009, 2207010, 2018278})
_SECRET_PARAMS = frozenset({"access_token", "appsecret_proof", "client_secret"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)

Clock = Callable[[], dt.datetime]
_SECRET_IN_URL = re.compile(
    r"((?:access_token|appsecret_proof|client_secret|fb_exchange_token|code)=)[^&\s\"']+"
)


class RedactSecrets(logging.Filter):
    """Graph takes the token in the query string, and httpx logs every URL at INFO: blank the secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_URL.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _install_redaction() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactSecrets) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactSecrets())


_install_redaction()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_graph_time(value: Any) -> dt.datetime:
    """Graph timestamps look like 2025-03-22T18:20:04+0000; ValueError for anything else."""
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a UTC offset")
    return parsed.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class GraphError:
    """The `error` object of a Graph error body, with defaults for the fields that may be missing."""

    message: str = ""
    type: str = ""
    code: int = 0
    subcode: int = 0
    user_message: str = ""
    is_transient: bool = False

    @classmethod
    def from_body(cls, body: Any) -> GraphError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls()

        def as_int(value: Any) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(
            message=str(error.get("message") or ""),
            type=str(error.get("type") or ""),
            code=as_int(error.get("code")),
            subcode=as_int(error.get("error_subcode")),
            user_message=str(error.get("error_user_msg") or ""),
            is_transient=error.get("is_transient") is True,
        )


def error_for_response(response: httpx.Response, *, now: dt.datetime) -> ProviderError:
    """The taxonomy error for an HTTP answer carrying (or lacking) a Graph error body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = GraphError.from_body(body)
    status = response.status_code
    words = error.user_message or error.message or f"HTTP {status}"
    kwargs: dict[str, Any] = {"network_message": words, "status": status}
    summary = f"Graph error {error.code}/{error.subcode} (HTTP {status}): {error.message or words}"
    code, subcode = error.code, error.subcode

    if code in _AUTH_CODES or (status == 401 and not code):
        return AuthExpired(summary, **kwargs)
    if code in _RATE_LIMIT_CODES or subcode in _RATE_LIMIT_SUBCODES or status == 429:
        return RateLimited(summary, reset_at=rate_limit_reset(response.headers, now=now), **kwargs)
    if code == _DUPLICATE_CODE:
        return Duplicate(summary, **kwargs)
    if subcode in _INVALID_SUBCODES:
        return Invalid(summary, **kwargs)
    if code == 10 or 200 <= code <= 299:
        return PermissionMissing(summary, **kwargs)
    if (code == 100 and subcode == 33) or code == 803 or (status == 404 and not code):
        return NotFound(summary, **kwargs)
    if code in _TRANSIENT_CODES or subcode in _TRANSIENT_SUBCODES or error.is_transient or status >= 500:
        return Transient(summary, **kwargs)
    if code == 100 or 400 <= status < 500:
        return Invalid(summary, **kwargs)
    return Transient(summary, **kwargs)


def error_for_transport(exc: httpx.TransportError, *, method: str) -> ProviderError:
    """Connection trouble: retry-safe unless a write may have reached the network."""
    reason = type(exc).__name__
    if isinstance(exc, UnsafeDestination):
        return Invalid(str(exc))  # nothing was sent, and trying again cannot help until the address changes
    if isinstance(exc, _NOT_SENT) or method == "GET":
        return Transient(f"Graph unreachable ({reason}) on {method}", network_message=str(exc))
    # The request left: the network may have applied it and lost only the answer.
    return Ambiguous(f"No answer to {method} after sending it ({reason})", network_message=str(exc))


# --- Usage headers ---------------------------------------------------------------------------------------


def _load_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        logger.warning("Ignoring unreadable %s header", name)
        return None


def _percent_used(entry: Any) -> float:
    if not isinstance(entry, dict):
        return 0.0
    values = [entry.get(key) for key in ("call_count", "total_cputime", "total_time")]
    # json.loads reads NaN and Infinity too: only finite numbers count.
    return max((float(v) for v in values if isinstance(v, int | float) and abs(v) < 1e9), default=0.0)


def _buc_entries(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    buc = _load_header(headers, "x-business-use-case-usage")
    if not isinstance(buc, dict):
        return []
    return [
        e for entries in buc.values() if isinstance(entries, list) for e in entries if isinstance(e, dict)
    ]


def _regain_minutes(headers: Mapping[str, str]) -> float:
    minutes = [e.get("estimated_time_to_regain_access") for e in _buc_entries(headers)]
    return max((float(m) for m in minutes if isinstance(m, int | float) and m == m), default=0.0)


def rate_limit_reset(headers: Mapping[str, str], *, now: dt.datetime) -> dt.datetime:
    """When calls may resume: BUC's estimate (minutes), else Retry-After (seconds), else a default; each
    believed within a day of now."""
    minutes = _regain_minutes(headers)
    if minutes > 0:
        return reset_in(minutes * 60, now=now) or now + DEFAULT_RATE_LIMIT_WAIT
    retry_after = reset_in(headers.get("retry-after"), now=now)
    if retry_after is not None and retry_after > now:
        return retry_after
    return now + DEFAULT_RATE_LIMIT_WAIT


def usage_state(headers: Mapping[str, str], *, now: dt.datetime) -> RateLimitState | None:
    """Percent of budget left, from the most used of the app and business-use-case counters.

    None when the answer carries no usage header (Graph adds them only once usage is noticeable).
    """
    app = _load_header(headers, "x-app-usage")
    entries = _buc_entries(headers)
    if app is None and not entries:
        return None
    used = min(max([_percent_used(app), *(_percent_used(e) for e in entries)]), 100.0)
    minutes = _regain_minutes(headers)
    reset_at = reset_in(minutes * 60, now=now) if minutes > 0 else None
    return RateLimitState(remaining=max(0, 100 - round(used)), limit=100, reset_at=reset_at)


# --- The client ------------------------------------------------------------------------------------------


class GraphClient:
    """Authenticated, versioned calls to one Graph host on behalf of one token."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        access_token: str,
        app_secret: str = "",
        version: str = GRAPH_VERSION,
        on_usage: Callable[[RateLimitState], None] | None = None,
        clock: Clock = utcnow,
    ):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.clock = clock
        self._token = access_token
        self._app_secret = app_secret
        self._on_usage = on_usage

    def url(self, path: str, *, versioned: bool = True) -> str:
        prefix = f"{self.base_url}/{self.version}" if versioned else self.base_url
        return f"{prefix}/{path.lstrip('/')}"

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, versioned: bool = True
    ) -> dict[str, Any]:
        return self.request("GET", self.url(path, versioned=versioned), params=params)

    def post(
        self, path: str, *, data: Mapping[str, Any] | None = None, json_body: Any = None
    ) -> dict[str, Any]:
        return self.request("POST", self.url(path), data=data, json_body=json_body)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        query: list[tuple[str, Any]] = (
            list(params.items()) if isinstance(params, Mapping) else list(params or [])
        )
        query += self._auth_params()
        # The token travels in the Authorization header, never in the URL (where proxies and access logs
        # keep it); Graph accepts either.
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        try:
            response = self.http.request(
                method, url, params=query, data=data, json=json_body, headers=headers
            )
        except httpx.TransportError as exc:
            raise error_for_transport(exc, method=method) from exc
        now = self.clock()
        state = usage_state(response.headers, now=now)
        if state is not None and self._on_usage is not None:
            self._on_usage(state)
        return self._body(method, response, now=now)

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[tuple[list[Any], bool]]:
        """Each page's `data` and whether another page follows, along `paging.next`.

        An empty page may still have a `next`: keep going. The caller decides when to stop early.
        """
        return self.pages_from(self.get(path, params))

    def pages_after(self, path: str, params: Mapping[str, Any], after: str = "") -> Pages:
        """Same, from the page the paging cursor `after` asks for ("": the first), each page with the
        cursor that asks for it, so a walk that stops on a page can come back to it (walk_resumable)."""
        body = self.get(path, {**params, "after": after} if after else params)
        while True:
            next_url = next_page_url(body)
            yield page_data(body), bool(next_url), after
            if not next_url:
                return
            after = next((value for key, value in parse_qsl(urlsplit(next_url).query) if key == "after"), "")
            body = self.follow(next_url)

    def pages_from(self, body: Any) -> Iterator[tuple[list[Any], bool]]:
        """Same, starting from an envelope already in hand (a nested edge such as `messages{...}`)."""
        while True:
            next_url = next_page_url(body)
            yield page_data(body), bool(next_url)
            if not next_url:
                return
            body = self.follow(next_url)

    def follow(self, next_url: str) -> dict[str, Any]:
        """GET a `paging.next` URL through our own base URL, with our own token.

        Graph puts the token in `next`; we drop it and re-add ours so a page link can never leak a
        token to another host nor carry a stale one.
        """
        parts = urlsplit(next_url)
        params = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _SECRET_PARAMS
        ]
        path = parts.path
        base_path = urlsplit(self.base_url).path.rstrip("/")
        if base_path and path.startswith(base_path + "/"):
            path = path[len(base_path) :]
        return self.request("GET", self.base_url + path, params=params)

    def _auth_params(self) -> list[tuple[str, str]]:
        if not self._token:  # app-level calls (code exchange) authenticate with the client secret instead
            return []
        params = []
        if self._app_secret:
            # Apps with "Require App Secret" on reject calls without this proof of the secret.
            proof = hmac.new(self._app_secret.encode(), self._token.encode(), hashlib.sha256).hexdigest()
            params.append(("appsecret_proof", proof))
        return params

    def _body(self, method: str, response: httpx.Response, *, now: dt.datetime) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise error_for_response(response, now=now)
        if isinstance(body, dict):
            return body
        message = f"Unreadable Graph answer to {method} (HTTP {response.status_code})"
        # A write that answered 2xx was applied, even if we cannot read what it said.
        raise (Ambiguous if method != "GET" else Transient)(message, status=response.status_code)


def page_data(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise Transient("Graph answered a list request without a `data` list")
    return data


def next_page_url(body: Any) -> str:
    paging = body.get("paging") if isinstance(body, dict) else None
    next_url = paging.get("next") if isinstance(paging, dict) else None
    return next_url if isinstance(next_url, str) else ""


# --- Reading untrusted items: each helper raises ValueError, which the caller turns into a skip. --------


def required_str(raw: Any, key: str) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value:
        raise ValueError(f"`{key}` missing or not a string")
    return value


def optional_str(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"`{key}` is a {type(value).__name__}, not a string")
    return value


def optional_dict(raw: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"`{key}` is a {type(value).__name__}, not an object")
    return value


def listed_posts(
    pages: Iterator[tuple[list[Any], bool]],
    *,
    fields: tuple[str, str, str],
    max_pages: int | None = None,
    max_items: int | None = None,
) -> Iterator[ListedPost]:
    """A Graph listing of our posts, newest first, as ListedPost, up to a bound; malformed items are
    skipped. `fields` names the listing's time, text and permalink keys."""
    time_key, text_key, link_key = fields
    read = 0
    for number, (data, has_next) in enumerate(pages, start=1):
        for raw in data:
            read += 1
            try:
                found_id, created = required_str(raw, "id"), parse_graph_time(raw.get(time_key))
                words, link = optional_str(raw, text_key), optional_str(raw, link_key)
            except ValueError:
                continue
            yield ListedPost(found_id, created, words, link, raw)
        if (max_pages is not None and number >= max_pages) or (max_items is not None and read >= max_items):
            if has_next:  # reached only when the caller walked this far without passing its time
                raise ReadBackIncomplete("More posts were published since than CM Hub reads back.")
            return


def find_oldest_post(
    pages: Iterator[tuple[list[Any], bool]],
    *,
    text: str,
    since: dt.datetime,
    exclude: Collection[str],
    fields: tuple[str, str, str],
    max_pages: int | None = None,
    max_items: int | None = None,
) -> PublishResult | None:
    """find_post on a Graph listing (Graph times are whole seconds, so `since` is too)."""
    listed = listed_posts(pages, fields=fields, max_pages=max_pages, max_items=max_items)
    floor = since.astimezone(dt.UTC).replace(microsecond=0)
    return oldest_match(listed, text=text, since=floor, exclude=exclude)


def item_id_for_log(raw: Any) -> str:
    """An id to name a skipped item in logs, never its content (which may hold personal data)."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else "?"


#: Below this share of the Graph budget left (percent), the slower reads of a poll wait (`budget_low`).
LOW_BUDGET = 40


class GraphProvider(Provider):
    """What Facebook and Instagram share: one Graph client whose usage headers feed `rate_limit`."""

    poll_concurrency = 8  # Graph counts its limits per Page, so Pages' polls do not share one budget

    #: Whether a Facebook login connects the Pages themselves (Facebook) or only their Instagram accounts.
    connect_offers_pages = False

    @classmethod
    def consent(cls, app: OAuthApp, *, redirect_uri: str, state: str, scopes: Sequence[str]) -> Consent:
        from networks.providers import graph_oauth  # it builds on this module's client

        return graph_oauth.consent(app, redirect_uri=redirect_uri, state=state, scopes=scopes)

    @classmethod
    def connectable(
        cls, app: OAuthApp, *, http: httpx.Client, code: str, redirect_uri: str, verifier: str = ""
    ) -> list[Connectable]:
        from networks.providers import graph_oauth

        return graph_oauth.connectable(
            app, http=http, code=code, redirect_uri=redirect_uri, pages=cls.connect_offers_pages
        )

    @classmethod
    def build(cls, account: Account, *, http: httpx.Client, setup: Setup) -> Provider:
        # Graph's largest page: fewer round trips per poll.
        return cls(  # type: ignore[call-arg]  # Facebook and Instagram take the reach; the base does not
            account,
            http=http,
            app_secret=setup.client_secret,
            lookback=setup.lookback,
            page_size=100,
            version=setup.api_version or GRAPH_VERSION,
        )

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.Client,
        app_secret: str = "",
        clock: Clock = utcnow,
        version: str = GRAPH_VERSION,
    ):
        super().__init__(account, http=http)
        self.clock = clock
        self.graph = GraphClient(
            http,
            base_url=account.api_base_url,
            access_token=account.credentials.access_token,
            app_secret=app_secret,
            version=version,
            on_usage=self._note_usage,
            clock=clock,
        )

    def _note_usage(self, state: RateLimitState) -> None:
        self.rate_limit = state

    def budget_low(self) -> bool:
        """Less than LOW_BUDGET percent of Graph's budget left (from the usage headers): the sweeps and
        re-reads wait for a later poll, new comments on recent posts come first."""
        left = self.rate_limit.remaining
        return left is not None and left < LOW_BUDGET

    #: Where a post keeps its words and its address (a Page post; Instagram media say caption, permalink).
    post_fields: tuple[str, str] = ("message", "permalink_url")

    def post_context(self, post_id: str) -> tuple[str, str]:
        """A post's words and address (`GET /{post-id}?fields=...`), for items that name their post
        without them (webhook deliveries); ("", "") for fields Graph leaves out."""
        body = self.graph.get(post_id, {"fields": ",".join(self.post_fields)})
        text, link = (body.get(name) for name in self.post_fields)
        return (text if isinstance(text, str) else "", link if isinstance(link, str) else "")
