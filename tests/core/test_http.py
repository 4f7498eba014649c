"""core.http: the client factory's logging and retries, and safe_fetch's SSRF refusals, over real sockets."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest

from core.http import (
    FetchError,
    UnsafeDestination,
    UnsafeURL,
    guarded_transport,
    is_public_address,
    make_client,
    redact_url,
    safe_fetch,
    send_idempotent,
)

Route = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A tiny HTTP server whose routes write raw answers, so a test controls headers and framing."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                server.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    send(self, 404, b"no route")
                    return
                # The client may hang up on purpose (size cap, timeout).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        # A short poll interval: shutdown() waits for it, and every test stops its own server.
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    for name, value in {"content-length": str(len(body)), **(headers or {})}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(location: str) -> Route:
    return lambda h: send(h, 302, b"", {"location": location})


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.close()


def fake_dns(mapping: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A resolver for made-up names; anything else is an unknown host, as offline DNS would say."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in mapping:
            raise OSError(f"unknown host {host}")
        return mapping[host]

    return resolve


# --- refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3:8080/x",
        "http://localhost/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://10.255.255.254/a.png",
        "http://172.16.0.1/",
        "http://172.31.255.255/",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://0x7f.1/",  # 127.0.0.1 in hex shorthand
        "http://224.0.0.251/",  # multicast
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://240.0.0.1/",  # reserved
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "https://[::]/",
    ],
)
def test_private_and_special_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="private or reserved network address"):
        safe_fetch(url, max_bytes=1000, timeout=2)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com:70/_x",
        "data:image/png;base64,AAAA",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="Only http and https"):
        safe_fetch(url, max_bytes=1000, timeout=2)


def test_a_listening_loopback_server_is_never_contacted(server: LocalServer) -> None:
    server.routes["/secret"] = lambda h: send(h, 200, b"internal data")
    with pytest.raises(UnsafeURL):
        safe_fetch(server.url("/secret"), max_bytes=1000, timeout=2)
    assert server.seen == []


def test_every_resolved_address_must_be_public() -> None:
    resolver = fake_dns({"mixed.example.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(UnsafeURL, match=r"10\.0\.0\.7"):
        safe_fetch("http://mixed.example.test/a.png", max_bytes=1000, timeout=2, resolver=resolver)


def test_credentials_in_the_address_are_refused() -> None:
    with pytest.raises(UnsafeURL, match="user name or password"):
        safe_fetch("http://user:pw@93.184.216.34/", max_bytes=1000, timeout=2)


def test_unresolvable_host_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="could not be resolved"):
        safe_fetch("http://nowhere.example.test/", max_bytes=10, timeout=2, resolver=fake_dns({}))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("::ffff:192.168.0.1", False),
        ("239.255.255.250", False),
        ("ff02::1", False),
        ("192.0.2.1", False),  # documentation range
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_public_address_classification(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# --- the pinned, allowed path and its redirects ----------------------------------------------------------


def test_fetch_connects_to_the_vetted_address_with_the_right_host_header(server: LocalServer) -> None:
    server.routes["/start"] = redirect_to("/a.png")  # relative redirect, same host
    server.routes["/a.png"] = lambda h: send(h, 200, PNG, {"content-type": "image/png; charset=binary"})
    # The name exists only in our resolver: had httpx resolved it again, the connect would fail.
    resolver = fake_dns({"media.example.test": ["127.0.0.1"]})
    fetched = safe_fetch(
        f"http://media.example.test:{server.port}/start",
        max_bytes=1000,
        timeout=5,
        resolver=resolver,
        allow_endpoints={("127.0.0.1", server.port)},
    )
    assert fetched.content == PNG
    assert fetched.content_type == "image/png"
    assert fetched.final_url == f"http://media.example.test:{server.port}/a.png"
    assert [headers["host"] for _m, _p, headers in server.seen] == [f"media.example.test:{server.port}"] * 2


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.5/admin",
        "http://internal.example.test/",  # a name that resolves to a private address
        "http://[::ffff:127.0.0.1]/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_from_an_allowed_server_to_a_private_address_is_refused(
    server: LocalServer, target: str
) -> None:
    server.routes["/start"] = redirect_to(target)
    resolver = fake_dns({"media.example.test": ["127.0.0.1"], "internal.example.test": ["10.1.2.3"]})
    with pytest.raises(UnsafeURL):
        safe_fetch(
            f"http://media.example.test:{server.port}/start",
            max_bytes=1000,
            timeout=5,
            resolver=resolver,
            allow_endpoints={("127.0.0.1", server.port)},
        )
    assert [path for _m, path, _h in server.seen] == ["/start"]


def test_a_redirect_to_another_local_port_is_refused(server: LocalServer, other_server: LocalServer) -> None:
    other_server.routes["/secret"] = lambda h: send(h, 200, b"internal data")
    server.routes["/start"] = redirect_to(other_server.url("/secret"))
    with pytest.raises(UnsafeURL):
        safe_fetch(
            server.url("/start"), max_bytes=1000, timeout=5, allow_endpoints={("127.0.0.1", server.port)}
        )
    assert other_server.seen == []


def test_redirect_loops_stop_after_five_hops(server: LocalServer) -> None:
    server.routes["/loop"] = redirect_to("/loop")
    with pytest.raises(FetchError, match="Too many redirects"):
        safe_fetch(server.url("/loop"), max_bytes=1000, timeout=5, allow_private=True)
    assert len(server.seen) == 6  # the first request and five redirects


def test_allow_private_reaches_local_fakes_and_error_statuses_are_fetch_errors(server: LocalServer) -> None:
    server.routes["/ok"] = lambda h: send(h, 200, b"hello", {"content-type": "text/plain"})
    assert safe_fetch(server.url("/ok"), max_bytes=5, timeout=5, allow_private=True).content == b"hello"
    with pytest.raises(FetchError, match="answered 404"):
        safe_fetch(server.url("/missing"), max_bytes=5, timeout=5, allow_private=True)


# --- size and time limits ---------------------------------------------------------------------------------


def test_declared_size_over_the_cap_is_refused(server: LocalServer) -> None:
    server.routes["/big"] = lambda h: send(h, 200, b"x" * 2000)
    with pytest.raises(FetchError, match="larger than the limit of 1,000 bytes"):
        safe_fetch(server.url("/big"), max_bytes=1000, timeout=5, allow_private=True)


def _chunked(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("transfer-encoding", "chunked")
    h.end_headers()
    for _ in range(50):
        h.wfile.write(b"64\r\n" + b"y" * 100 + b"\r\n")  # 0x64 = 100 bytes a chunk, no length announced
    h.wfile.write(b"0\r\n\r\n")


def _close_delimited(h: BaseHTTPRequestHandler) -> None:
    h.protocol_version = "HTTP/1.0"
    h.send_response(200)
    h.end_headers()
    h.wfile.write(b"z" * 5000)
    h.close_connection = True


@pytest.mark.parametrize("route", [_chunked, _close_delimited])
def test_bodies_without_a_length_are_counted_while_streaming(server: LocalServer, route: Route) -> None:
    server.routes["/stream"] = route
    with pytest.raises(FetchError, match="larger than the limit"):
        safe_fetch(server.url("/stream"), max_bytes=1000, timeout=5, allow_private=True)


def test_a_body_exactly_at_the_cap_is_accepted(server: LocalServer) -> None:
    server.routes["/exact"] = lambda h: send(h, 200, b"e" * 1000)
    assert (
        len(safe_fetch(server.url("/exact"), max_bytes=1000, timeout=5, allow_private=True).content) == 1000
    )


def test_a_slow_drip_hits_the_overall_timeout(server: LocalServer) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("content-length", "100")
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b"d")
            h.wfile.flush()
            time.sleep(0.05)  # each read is quick: only an overall deadline stops this

    server.routes["/drip"] = drip
    started = time.monotonic()
    with pytest.raises(FetchError, match="Timed out"):
        safe_fetch(server.url("/drip"), max_bytes=1000, timeout=0.6, allow_private=True)
    assert time.monotonic() - started < 2.5


def test_a_silent_server_times_out(server: LocalServer) -> None:
    server.routes["/silent"] = lambda h: time.sleep(1.5)
    with pytest.raises(FetchError, match="Timed out"):
        safe_fetch(server.url("/silent"), max_bytes=1000, timeout=0.3, allow_private=True)


# --- the client factory -------------------------------------------------------------------------------------


SECRETS = ("tok-AAA111", "code-BBB222", "shh-CCC333", "bearer-DDD444", "refresh-EEE555")


def test_logs_never_contain_tokens(server: LocalServer, caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/v1/things"] = lambda h: send(h, 200, b"{}", {"content-type": "application/json"})
    # Everything, including httpx's and httpcore's own output, whatever level the project's LOGGING sets.
    for name in ("", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    url = server.url(
        f"/v1/things?access_token={SECRETS[0]}&code={SECRETS[1]}&client_secret={SECRETS[2]}&page=2"
    )
    with make_client() as client:
        client.get(url, headers={"Authorization": f"Bearer {SECRETS[3]}"})
        client.post(server.url("/v1/things"), data={"refresh_token": SECRETS[4]})
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged
    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log these requests, redacted
    ours = [r.getMessage() for r in caplog.records if r.name == "cmhub.http"]
    redacted = "access_token=[redacted]&code=[redacted]&client_secret=[redacted]&page=2"
    assert ours[0] == f"http GET 127.0.0.1/v1/things?{redacted} -> 200"
    assert ours[1] == "http POST 127.0.0.1/v1/things -> 200"


def test_redact_url_keeps_harmless_parameters() -> None:
    assert redact_url("https://graph.example/v1/me?fields=id,name&fb_exchange_token=x") == (
        "graph.example/v1/me?fields=id,name&fb_exchange_token=[redacted]"
    )


def test_client_sends_our_user_agent_and_does_not_follow_redirects(server: LocalServer) -> None:
    server.routes["/moved"] = redirect_to("/elsewhere")
    with make_client() as client:
        assert client.get(server.url("/moved")).status_code == 302
    assert server.seen[0][2]["user-agent"].startswith("CMHub/")
    assert [path for _m, path, _h in server.seen] == ["/moved"]


def test_send_idempotent_retries_a_get_once_on_503(server: LocalServer) -> None:
    answers = iter([503, 200])
    server.routes["/flaky"] = lambda h: send(h, next(answers), b"")
    with make_client() as client:
        response = send_idempotent(client, "GET", server.url("/flaky"), attempts=2, backoff=0.01)
    assert response.status_code == 200
    assert len(server.seen) == 2


def test_send_idempotent_returns_the_last_5xx_when_attempts_run_out(server: LocalServer) -> None:
    server.routes["/down"] = lambda h: send(h, 502, b"")
    with make_client() as client:
        assert (
            send_idempotent(client, "GET", server.url("/down"), attempts=3, backoff=0.01).status_code == 502
        )
    assert len(server.seen) == 3


def test_send_idempotent_refuses_posts() -> None:
    with make_client() as client, pytest.raises(ValueError, match="not idempotent"):
        send_idempotent(client, "POST", "http://127.0.0.1:9/")


def test_connect_errors_surface_after_connect_retries() -> None:
    with make_client(timeout=1) as client, pytest.raises(httpx.ConnectError):
        client.get("http://127.0.0.1:9/")  # discard port: nothing listens


def test_a_client_never_keeps_a_cookie_for_the_next_request() -> None:
    """worker_client serves every workspace's channels: one account's cookie must not reach another's."""
    seen = []

    def network(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, headers={"set-cookie": "session=account-a; Path=/"})

    with make_client(transport=httpx.MockTransport(network)) as client:
        client.get("https://graph.example/me")
        client.get("https://graph.example/other-account")
    assert seen == [None, None]


# --- Where make_client's clients may connect ------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "100.64.0.1"]
)
def test_a_client_refuses_private_addresses_nobody_listed(settings, address) -> None:
    settings.CMHUB_ALLOWED_API_HOSTS = []
    with make_client(timeout=2) as client, pytest.raises(UnsafeDestination, match="private or reserved"):
        client.get(f"http://{address}:9/latest/meta-data/", headers={"Authorization": "Bearer secret"})


def test_the_refusal_comes_before_any_byte_is_sent(settings, server: LocalServer) -> None:
    server.routes["/me"] = lambda h: send(h, 200, b"{}")
    settings.CMHUB_ALLOWED_API_HOSTS = []
    with make_client() as client, pytest.raises(UnsafeDestination):
        client.get(server.url("/me"), headers={"Authorization": "Bearer secret"})
    assert server.seen == []


def test_a_name_that_resolves_to_a_private_address_is_refused(settings) -> None:
    settings.CMHUB_ALLOWED_API_HOSTS = []
    transport = guarded_transport(resolver=fake_dns({"api.evil.example": ["93.184.216.34", "127.0.0.1"]}))
    with make_client(transport=transport) as client, pytest.raises(UnsafeDestination, match=r"127\.0\.0\.1"):
        client.get("http://api.evil.example/")


def test_listed_hosts_are_reached_by_host_or_by_host_and_port(settings, server: LocalServer) -> None:
    server.routes["/me"] = lambda h: send(h, 200, b"{}")
    settings.CMHUB_ALLOWED_API_HOSTS = [f"127.0.0.1:{server.port}"]
    with make_client() as client:
        assert client.get(server.url("/me")).status_code == 200
        with pytest.raises(UnsafeDestination):
            client.get(f"http://127.0.0.1:{server.port + 1 if server.port < 65535 else 1}/me")
    settings.CMHUB_ALLOWED_API_HOSTS = ["localhost"]
    with make_client() as client:
        assert client.get(f"http://localhost:{server.port}/me").status_code == 200


def test_a_public_name_is_connected_to_the_address_that_was_vetted(settings, monkeypatch) -> None:
    """DNS is asked once, at connect time, and the socket goes to the address the check looked at: a name
    cannot resolve to a public address for the check and to 127.0.0.1 for the connect (rebinding)."""
    settings.CMHUB_ALLOWED_API_HOSTS = []
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    sockets_opened = []

    def no_internet(self, host, port, *args, **kwargs):  # httpcore's socket call, below the code under test
        sockets_opened.append((host, port))
        raise httpcore.ConnectError("no internet in tests")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_internet)
    transport = guarded_transport(retries=0, resolver=lambda host, port: next(answers))
    with make_client(transport=transport) as client, pytest.raises(httpx.ConnectError):
        client.get("https://rebind.example/me")
    assert sockets_opened == [("93.184.216.34", 443)]


def test_allow_private_is_for_operator_addresses(settings, server: LocalServer) -> None:
    server.routes["/v1/chat/completions"] = lambda h: send(h, 200, b"{}")
    settings.CMHUB_ALLOWED_API_HOSTS = []
    with make_client(allow_private=True) as client:
        assert client.post(server.url("/v1/chat/completions"), json={}).status_code == 200
