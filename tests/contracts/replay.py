"""Contract fixtures: documented request/response pairs, replayed against the client and against the fake.

A fixture (`tests/contracts/<network>/<case>.json`) holds:

- `source`: the documentation page or public SDK test recording the shapes come from;
- `case`: what it shows, in one sentence;
- `exchanges`: `[{"request": {"method", "path", "query"?}, "response": {"status", "headers"?, "body"}}]`,
  the network's answers as documented (ids and texts may be made up; keys, types and nesting may not).

`ReplayServer` serves the exchanges on loopback so the production client talks to "the network" as
recorded; `same_shape` checks the fake answers the same request with the same keys and types.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).parent


def load(network: str, case: str) -> dict[str, Any]:
    fixture = json.loads((HERE / network / f"{case}.json").read_text())
    if not str(fixture.get("source", "")).startswith("https://"):
        raise ValueError(f"{network}/{case}.json has no source URL")
    return fixture


def all_fixtures() -> list[tuple[str, str]]:
    return sorted((path.parent.name, path.stem) for path in HERE.glob("*/*.json"))


class ReplayServer:
    """Answers each request with the first unused recorded exchange whose method, path and query match.

    A request nothing matches gets a 501 whose body names it, so a client calling something the fixture
    does not document fails loudly. `requests` keeps (method, path, query, body) of every call.
    """

    def __init__(self, exchanges: list[dict[str, Any]], *, reuse: bool = False, graph: bool = False):
        self.exchanges = exchanges
        self.graph = graph  # Graph API: match paths whatever /vNN.N/ version prefix the client pins
        self.used: list[bool] = [False] * len(exchanges)
        self.reuse = reuse
        self.requests: list[tuple[str, str, dict[str, list[str]], bytes]] = []
        self.lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = replay.answer(self.command, self.path, body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, method: str, raw_path: str, body: bytes) -> tuple[int, dict[str, str], Any]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        path = re.sub(r"^/v\d+\.\d+(?=/)", "", split.path) if self.graph else split.path
        with self.lock:
            self.requests.append((method, split.path, query, body))
            for index, exchange in enumerate(self.exchanges):
                if self.used[index] and not self.reuse:
                    continue
                if _matches(exchange["request"], method, path, query):
                    self.used[index] = True
                    response = exchange["response"]
                    return response["status"], response.get("headers", {}), response.get("body")
        return 501, {}, {"unrecorded": f"{method} {raw_path}"}

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _matches(request: dict[str, Any], method: str, path: str, query: dict[str, list[str]]) -> bool:
    if request["method"] != method or request["path"] != path:
        return False
    wanted = request.get("query") or {}
    return all(query.get(name, [None])[0] == str(value) for name, value in wanted.items())


def graph_time(moment: dt.datetime) -> str:
    """A time as Graph writes it (`2026-11-30T09:15:00+0000`)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def fill(value: Any, **values: str) -> Any:
    """`value` with every "{name}" placeholder in its strings replaced (times relative to the test's now)."""
    if isinstance(value, dict):
        return {key: fill(item, **values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, **values) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in values:
        return values[value[1:-1]]
    return value


def shape(value: Any) -> Any:
    """Keys and JSON types of `value`, lists by their first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def shape_differences(recorded: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` lacks a key of `recorded` or holds another type there (extra keys are fine)."""
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{where}: an object was recorded, the fake gave {shape(actual)!r}"]
        problems = []
        for key, item in recorded.items():
            if key not in actual:
                problems.append(f"{where}.{key}: missing from the fake's answer")
            else:
                problems += shape_differences(item, actual[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{where}: a list was recorded, the fake gave {shape(actual)!r}"]
        if recorded and actual:
            return shape_differences(recorded[0], actual[0], f"{where}[0]")
        if recorded and not actual:
            return [f"{where}: the fake's list is empty; seed it so the shapes can be compared"]
        return []
    if shape(recorded) != shape(actual):
        return [f"{where}: {shape(recorded)} recorded, the fake gave {shape(actual)}"]
    return []
