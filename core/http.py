"""The one way CM Hub talks to the outside world over HTTP.

`make_client` builds every outbound httpx client (network APIs, OAuth token endpoints): sane timeouts, our
user agent, connect-level retries only, and a log line per answer that never carries a secret.
`send_idempotent` adds a short retry on 5xx for requests that are safe to repeat; POSTs are refused there,
because repeating a write that may have landed is how replies get sent twice.
`safe_fetch` downloads media and avatars from addresses that people or networks hand us, without letting
such an address reach our own infrastructure (SSRF).

Every client `make_client` builds connects to public internet addresses only, unless the host is one the
operator listed in CMHUB_ALLOWED_API_HOSTS (a self-hosted instance, the local fakes): a network app's or a
channel's API address comes from Django admin or a database row, and a token must never be sent to the
cloud's metadata service or a port on our own machine because such a row says so. The name is resolved and
vetted at connect time and the connection goes to the vetted address, so DNS cannot answer differently
between the check and the connect. With an outbound proxy (HTTPS_PROXY), the proxy decides where requests
may go.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin

import httpcore
import httpx

log = logging.getLogger("cmhub.http")

USER_AGENT = "CMHub/1.0 (community management back office)"
#: Connect fast or fail fast; reads get longer because uploads and big pages take time.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=20.0, pool=5.0)
#: A failed TCP/TLS connect never reached the server, so retrying it is safe for every method.
CONNECT_RETRIES = 2

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

# Query parameter names whose values must never reach a log line, matched as lower-cased substrings so
# `refresh_token`, `fb_exchange_token`, `client_secret`, `X-Amz-Signature`, `code_verifier` are covered.
_SECRET_MARKERS = ("token", "secret", "code", "signature", "sig", "password", "key", "auth", "verifier")


def redact_url(url: httpx.URL | str) -> str:
    """host + path + query with every secret-looking value replaced: safe to log."""
    url = httpx.URL(str(url))
    pairs = parse_qsl(url.query.decode(), keep_blank_values=True)
    redacted = [(k, "[redacted]" if _is_secret_name(k) else v) for k, v in pairs]
    query = f"?{urlencode(redacted, safe='[],:')}" if redacted else ""
    return f"{url.host}{url.path}{query}"


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in _SECRET_MARKERS)


def _log_response(response: httpx.Response) -> None:
    # Headers and bodies are never logged: Authorization, cookies and token payloads live there.
    if log.isEnabledFor(logging.INFO):  # the redaction costs a URL parse: only for a line that is written
        request = response.request
        log.info("http %s %s -> %s", request.method, redact_url(request.url), response.status_code)


class _RedactURLs(logging.Filter):
    """httpx logs every request with its full URL at INFO: rewrite those URLs before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


if not any(isinstance(f, _RedactURLs) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactURLs())


@functools.cache
def _tls_context(trust_env: bool) -> ssl.SSLContext:
    """Loading the CA bundle costs ~20 ms of CPU; a context is safe to share, so each process loads it once
    instead of once per client (a publish or a reply builds one client each)."""
    return httpx.create_ssl_context(trust_env=trust_env)


def make_client(
    *,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    user_agent: str = USER_AGENT,
    connect_retries: int = CONNECT_RETRIES,
    trust_env: bool = True,
    transport: httpx.BaseTransport | None = None,
    allow_private: bool = False,
    listed: Callable[[], Collection[str]] | None = None,
) -> httpx.Client:
    """A new client for one provider, task or fetch; close it (or use it as a context manager).

    It reaches public addresses and the hosts listed in CMHUB_ALLOWED_API_HOSTS only. `allow_private` is
    for addresses the operator alone sets in the environment (the language model's URL): those may be a
    service on the operator's own network. `listed` replaces CMHUB_ALLOWED_API_HOSTS with another list of
    the same form (outgoing webhooks have their own: CMHUB_WEBHOOK_ALLOWED_HOSTS)."""
    return httpx.Client(
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        # Never keep a cookie: a client serves many channels (worker_client: every workspace's), and a
        # cookie one account's answer sets must not ride along with another's requests.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        headers={"User-Agent": user_agent},
        transport=transport
        or guarded_transport(
            retries=connect_retries, trust_env=trust_env, allow_private=allow_private, listed=listed
        ),
        follow_redirects=False,
        trust_env=trust_env,
        event_hooks={"response": [_log_response]},
    )


# --- Where a client may connect ----------------------------------------------------------------------


class UnsafeDestination(httpx.ConnectError):
    """Refused before any byte was sent: the host is a private or reserved address nobody listed."""


def listed_host(host: str, port: int, listed: Collection[str]) -> bool:
    """Whether CMHUB_ALLOWED_API_HOSTS-style entries (`host` for any port, `host:port` for one) name this
    host and port. Entries are lower-case; an IPv6 address is written in brackets, as in a URL."""
    host = host.lower().strip("[]")
    name = f"[{host}]" if ":" in host else host
    return name in listed or f"{name}:{port}" in listed


def _listed_api_hosts() -> Collection[str]:
    # Read at connect time, not when the client is built: worker_client lives as long as the process.
    from django.conf import settings

    return getattr(settings, "CMHUB_ALLOWED_API_HOSTS", ())


class _PublicOnlyBackend(httpcore.SyncBackend):
    """httpcore's socket layer, refusing private addresses: the one place every connection is opened."""

    def __init__(self, resolver: Resolver, listed: Callable[[], Collection[str]]) -> None:
        self._resolver = resolver
        self._listed = listed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        if listed_host(host, port, self._listed()):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = _resolve(host, port, self._resolver)
        except FetchError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        for ip in addresses:
            if not is_public_address(ip):
                raise UnsafeDestination(
                    f"CM Hub did not connect to {host} ({ip}): it is a private or reserved network address, "
                    "and only public internet addresses or hosts listed in CMHUB_ALLOWED_API_HOSTS are "
                    "reached."
                )
        # TLS still checks the certificate against the host name: httpcore takes it from the request.
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for ip in addresses:
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc  # another address of the same name may answer (IPv6 down, IPv4 up)
        assert last_error is not None  # _resolve never returns an empty list
        raise last_error


def guarded_transport(
    *,
    retries: int = CONNECT_RETRIES,
    trust_env: bool = True,
    allow_private: bool = False,
    resolver: Resolver | None = None,
    listed: Callable[[], Collection[str]] | None = None,
) -> httpx.HTTPTransport:
    """httpx's own transport (pooling, TLS, HTTP/1.1), opening its sockets through _PublicOnlyBackend.
    `listed` (read at each connect) names the private hosts let through; CMHUB_ALLOWED_API_HOSTS unless
    given."""
    # Every connection the pool may open is kept alive (httpx keeps 20 of its 100): a poll worker's threads
    # use dozens at once, and each one closed after its answer was a new TCP (and TLS) connection next time.
    transport = httpx.HTTPTransport(
        retries=retries,
        trust_env=trust_env,
        verify=_tls_context(trust_env),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
    )
    if allow_private:
        return transport
    # httpx has no parameter for httpcore's network backend; the pool reads this attribute each time it
    # opens a connection. Checked, so that an httpx upgrade that moves it fails here instead of unguarded.
    pool = transport._pool
    if not isinstance(getattr(pool, "_network_backend", None), httpcore.SyncBackend):
        raise RuntimeError("httpx's transport no longer exposes httpcore's network backend")
    pool._network_backend = _PublicOnlyBackend(resolver or system_resolver, listed or _listed_api_hosts)
    return transport


_worker_clients: dict[int, httpx.Client] = {}
_worker_clients_lock = threading.Lock()


def worker_client() -> httpx.Client:
    """The process's long-lived client for background work (publishing, sending, polling): connections,
    and TLS sessions, to each network stay open from one task to the next instead of one handshake per
    task. httpx clients are thread-safe; never close this one. Keyed by process id, so a forked worker
    child opens its own sockets rather than sharing its parent's."""
    pid = os.getpid()
    client = _worker_clients.get(pid)
    if client is None:
        with _worker_clients_lock:
            client = _worker_clients.get(pid) or make_client()
            _worker_clients[pid] = client
    return client


def send_idempotent(
    client: httpx.Client,
    method: str,
    url: httpx.URL | str,
    *,
    attempts: int = 2,
    backoff: float = 0.25,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request that is safe to repeat, retrying briefly on 500/502/503/504 and transport errors.

    The last answer (or error) is returned (or raised) as is, so the caller maps it like any other.
    """
    method = method.upper()
    if method not in IDEMPOTENT_METHODS:
        raise ValueError(f"{method} is not idempotent; it must not be retried automatically")
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            if last:
                raise
        else:
            if response.status_code not in RETRYABLE_STATUSES or last:
                return response
            response.close()
        time.sleep(min(backoff * 2 ** (attempt - 1), 2.0))
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


# --- SSRF-safe fetch ---------------------------------------------------------------------------------


class FetchError(Exception):
    """The file could not be fetched; the message says why, in plain words."""


class UnsafeURL(FetchError):
    """The address is not one we are willing to fetch (scheme, private address...)."""


@dataclass(frozen=True, slots=True)
class FetchedFile:
    content: bytes
    content_type: str  # lower-cased, without parameters ("image/png")
    final_url: str  # after redirects


#: host, port -> every IP address (as text) the host resolves to.
Resolver = Callable[[str, int], list[str]]

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1 on dual-stack hosts: judge the IPv4 address inside.
        return is_public_address(ip.ipv4_mapped)
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback or ip.is_link_local:
        return False
    # is_global is False for private ranges, shared 100.64/10, documentation, 6to4/Teredo/ORCHID, etc.
    return ip.is_global


@dataclass(frozen=True, slots=True)
class PinnedURL:
    url: httpx.URL  # the URL with its host replaced by the vetted IP address
    host_header: str
    hostname: str  # ASCII (IDNA) host name, for DNS, TLS SNI and certificate checks


def vet_url(
    url: str,
    *,
    allow_private: bool = False,
    allow_endpoints: Collection[tuple[str, int]] = (),
    resolver: Resolver = system_resolver,
) -> PinnedURL:
    """Check one address and pin it to an IP we vetted; UnsafeURL (plain words) when refused."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURL(f"This is not a valid web address: {exc}.") from exc
    if parsed.scheme not in _DEFAULT_PORTS:
        raise UnsafeURL(f"Only http and https addresses can be fetched, not '{parsed.scheme or '?'}:'.")
    if parsed.userinfo:
        raise UnsafeURL("Addresses with a user name or password in them are not accepted.")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeURL("The address has no host name.")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    addresses = _resolve(host, port, resolver)
    endpoints = {(str(ipaddress.ip_address(ip)), p) for ip, p in allow_endpoints}
    for ip in addresses:
        if not (allow_private or (str(ip), port) in endpoints or is_public_address(ip)):
            raise UnsafeURL(
                f"{host} points to a private or reserved network address ({ip}); "
                "only public internet addresses can be fetched."
            )
    bracketed = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets in Host
    host_header = bracketed if parsed.port is None else f"{bracketed}:{parsed.port}"
    return PinnedURL(url=parsed.copy_with(host=str(addresses[0])), host_header=host_header, hostname=host)


def _resolve(host: str, port: int, resolver: Resolver) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = resolver(host, port)
    except OSError as exc:
        raise FetchError(f"The host name {host} could not be resolved.") from exc
    if not found:
        raise FetchError(f"The host name {host} could not be resolved.")
    # Scope ids ("fe80::1%eth0") are not part of the address itself.
    return [ipaddress.ip_address(addr.split("%")[0]) for addr in found]


def safe_fetch(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 10.0,
    allow_private: bool = False,
    allow_endpoints: Collection[tuple[str, int]] = (),
    resolver: Resolver = system_resolver,
    max_redirects: int = MAX_REDIRECTS,
    user_agent: str = USER_AGENT,
) -> FetchedFile:
    """GET `url` from the public internet only, at most `max_bytes`, within `timeout` seconds overall.

    Every hop (the first URL and each redirect) is checked: http(s) only, every address the name resolves
    to must be public, and the connection goes to the vetted address so DNS cannot answer differently
    between the check and the connect (rebinding). `allow_private` turns the address check off (demo
    against local fakes); `allow_endpoints` lets exact (ip, port) pairs through, so a test can serve the
    first hop locally and still prove that a redirect to any other private address is refused.
    """
    deadline = time.monotonic() + timeout
    # No keep-alive: a pooled connection is keyed by IP, and must not be reused for another host's SNI.
    transport = httpx.HTTPTransport(
        retries=0, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
    )
    with make_client(timeout=timeout, user_agent=user_agent, trust_env=False, transport=transport) as client:
        current = url
        for _hop in range(max_redirects + 1):
            pinned = vet_url(
                current, allow_private=allow_private, allow_endpoints=allow_endpoints, resolver=resolver
            )
            response = _open(client, pinned, deadline)
            try:
                if response.status_code in _REDIRECT_STATUSES:
                    current = _redirect_target(current, response)
                    continue
                if response.status_code != 200:
                    raise FetchError(f"The server answered {response.status_code} for {redact_url(current)}.")
                content = _read_capped(response, max_bytes, deadline)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return FetchedFile(content=content, content_type=content_type, final_url=current)
            finally:
                response.close()
    raise FetchError(f"Too many redirects (more than {max_redirects}).")


def _open(client: httpx.Client, pinned: PinnedURL, deadline: float) -> httpx.Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError("Timed out while fetching the file.")
    extensions: dict[str, Any] = {}
    if not _is_ip_literal(pinned.hostname):
        extensions["sni_hostname"] = pinned.hostname
    request = client.build_request(
        "GET",
        pinned.url,
        # identity: a compressed body could expand far past max_bytes inside a single chunk.
        headers={"Host": pinned.host_header, "Accept-Encoding": "identity"},
        extensions=extensions,
        timeout=httpx.Timeout(remaining),
    )
    try:
        return client.send(request, stream=True)
    except httpx.TimeoutException as exc:
        raise FetchError("Timed out while fetching the file.") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"Could not reach {pinned.hostname} ({exc.__class__.__name__}).") from exc


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _redirect_target(current: str, response: httpx.Response) -> str:
    location: str | None = response.headers.get("location")
    if not location:
        raise FetchError("The server redirected without saying where to.")
    return urljoin(current, location)


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    too_big = f"The file is larger than the limit of {max_bytes:,} bytes."
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(too_big)
    # The declared length is only a hint (chunked or close-delimited bodies have none): count as we go.
    chunks: list[bytes] = []
    received = 0
    try:
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise FetchError(too_big)
            if time.monotonic() > deadline:
                raise FetchError("Timed out while fetching the file.")
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchError("Timed out while fetching the file.") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"The download broke off ({exc.__class__.__name__}).") from exc
    return b"".join(chunks)
