"""A small threaded HTTP server that network fakes build on.

Each fake registers routes (method + path regex) that answer in the network's real wire format. Faults are
queued per route pattern and consumed by the next matching requests, so a test can say "the next call to
/mentions answers 429 with the network's headers" and then watch the production client cope. The same
control is reachable over HTTP under `/_fake/` so the demo and benchmarks can drive a fake in another process.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    match: re.Match[str] | None = None
    raw_query: str = ""  # the query string as sent

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def bearer(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else ""


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    #: A long-lived answer (Server-Sent Events): called with a `write(bytes) -> bool` that sends and
    #: flushes a chunk and says whether the client is still there; the connection closes when it returns.
    stream: Callable[[Callable[[bytes], bool]], None] | None = None

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Fault:
    """What the next matching request(s) get instead of the normal answer.

    kind: "status" (answer `response`), "delay" (sleep `seconds`, then answer normally),
    "drop_after" (run the handler, so the write happens, then close the connection without answering:
    the client sees a timeout or a reset after the request was applied).
    """

    path_pattern: str
    kind: str = "status"
    response: Response | None = None
    seconds: float = 0.0
    times: int = 1
    method: str = ""


Handler = Callable[[Request], Response]


#: How often a running fake checks whether it was asked to stop.
SHUTDOWN_POLL_SECONDS = 0.02


class FakeServer:
    """Base class: subclasses call `route()` in `setup_routes()` and keep their own state."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[Fault] = []
        self.lock = threading.RLock()
        self.requests: list[Request] = []  # every request seen, for assertions
        #: Seconds every answer waits, as a real API's round trip does (benchmarks: 0.15); the waiting
        #: thread costs no CPU, so the fake stays a small share of what a benchmark measures.
        self.latency = 0.0
        #: Whether every request is kept in `requests` (benchmarks that count elsewhere turn it off).
        self.keep_requests = True
        #: Pre-rendered answers (`freeze()`): GET request -> its encoded answer; None while not frozen.
        self._rendered: dict[tuple[str, str, str, str], Response] | None = None
        self.rendered_hits = 0
        self.rendered_misses = 0
        self._rendered_generation = 0  # moves on at each forget(): an answer rendered across one is stale
        self.setup_routes()
        self.route("POST", r"/_fake/(?P<action>[a-z_]+)", self._control)
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle --
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        # stop() waits for serve_forever to notice, which it does once per poll interval: the default 0.5 s
        # made every test using a fake half a second longer.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing --
    def setup_routes(self) -> None:
        raise NotImplementedError

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def inject(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def reset_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    # -- pre-rendered answers (benchmarks) --
    def freeze(self) -> None:
        """Serve each GET from its pre-rendered answer: the first request to a URL (with its credential)
        renders and encodes it, every later one sends the same bytes, so a benchmark that crawls its pages
        before its clock starts measures the client, not the fake. Writes over the API, control calls and
        `forget()` drop what was rendered (a seeding method called in-process must call `forget()`)."""
        with self.lock:
            self._rendered = {}
            self.rendered_hits = self.rendered_misses = 0

    def forget(self, credential: str | None = None) -> None:
        """Drop the pre-rendered answers: all of them, or those of one credential (access token)."""
        with self.lock:
            self._rendered_generation += 1
            if self._rendered is None:
                return
            if credential is None:
                self._rendered.clear()
            else:
                for key in [key for key in self._rendered if key[0] == credential]:
                    del self._rendered[key]

    @staticmethod
    def _credential(request: Request) -> str:
        return request.arg("access_token") or request.bearer() or request.headers.get("authorization", "")

    def _rendered_key(self, request: Request) -> tuple[str, str, str, str]:
        target = f"{request.path}?{request.raw_query}"
        return (self._credential(request), request.headers.get("host", ""), target, request.method)

    def control(self, action: str, payload: dict[str, Any]) -> Response:
        """Override to add seeding actions; `fault` and `reset_faults` are built in."""
        return Response(404, {"error": f"unknown control action {action}"})

    def _control(self, request: Request) -> Response:
        action = request.match["action"] if request.match else ""
        payload = request.json() or {}
        if action == "fault":
            resp = payload.get("response")
            self.inject(
                Fault(
                    path_pattern=payload["path_pattern"],
                    kind=payload.get("kind", "status"),
                    response=Response(resp["status"], resp.get("body"), resp.get("headers", {}))
                    if resp
                    else None,
                    seconds=float(payload.get("seconds", 0)),
                    times=int(payload.get("times", 1)),
                    method=payload.get("method", ""),
                )
            )
            return Response(200, {"ok": True})
        if action == "reset_faults":
            self.reset_faults()
            return Response(200, {"ok": True})
        if action == "freeze":
            self.freeze()
            return Response(200, {"ok": True})
        if action == "rendered_stats":
            return Response(200, {"hits": self.rendered_hits, "misses": self.rendered_misses})
        self.forget()  # a seeding action may change any answer
        return self.control(action, payload)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.method and fault.method != method:
                    continue
                if re.search(fault.path_pattern, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def dispatch(self, request: Request) -> Response | None:
        """The answer, or None when the connection must be dropped without one."""
        control = request.path.startswith("/_fake/")
        if not control and self.keep_requests:
            with self.lock:
                self.requests.append(request)
        if not control and self.latency:
            time.sleep(self.latency)
        fault = None if control else self._take_fault(request.method, request.path)
        if fault and fault.kind == "status" and fault.response is not None:
            return fault.response
        if fault and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault is None and not control and self._rendered is not None:
            return self._dispatch_rendered(request)
        return self._route(request, fault)

    def _route(self, request: Request, fault: Fault | None = None) -> Response | None:
        for method, pattern, handler in self._routes:
            if method != request.method:
                continue
            match = pattern.match(request.path)
            if match:
                request.match = match
                response = handler(request)
                if fault and fault.kind == "drop_after":
                    return None
                return response
        return Response(404, {"error": "no such route in the fake", "path": request.path})

    def _dispatch_rendered(self, request: Request) -> Response | None:
        """A frozen fake's answer: a GET answered before is sent again as rendered; any other method is
        served as usual and drops what was rendered (it may have changed any answer)."""
        if request.method != "GET":
            self.forget()
            return self._route(request)
        key = self._rendered_key(request)
        with self.lock:
            rendered = self._rendered.get(key) if self._rendered is not None else None
            if rendered is not None:
                self.rendered_hits += 1
                return rendered
            self.rendered_misses += 1
            generation = self._rendered_generation
        response = self._route(request)
        if response is not None and response.status == 200 and response.stream is None:
            response = Response(200, response.encoded(), dict(response.headers))
            with self.lock:
                if self._rendered is not None and generation == self._rendered_generation:
                    self._rendered[key] = response
        return response

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in separate writes: without TCP_NODELAY each answer waits ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    raw_query=parts.query,
                )
                try:
                    response = fake.dispatch(request)
                except Exception as exc:  # a bug in a fake answers 500, like a real server would
                    response = Response(500, {"error": f"fake crashed: {exc!r}"})
                if response is None:
                    self.close_connection = True
                    return
                if response.stream is not None:
                    self._stream(response)
                    return
                data = response.encoded()
                self.send_response(response.status, HTTPStatus(response.status).phrase)
                headers = {"content-type": "application/json; charset=UTF-8", **response.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a delay fault): as a network

            def _stream(self, response: Response) -> None:
                self.send_response(response.status, HTTPStatus(response.status).phrase)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("connection", "close")  # no length: the body ends with the connection
                self.end_headers()
                self.close_connection = True

                def write(chunk: bytes) -> bool:
                    try:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    except (BrokenPipeError, ConnectionResetError, OSError):
                        return False
                    return True

                assert response.stream is not None
                response.stream(write)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return _Handler
