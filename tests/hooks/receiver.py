"""A webhook receiver for the tests: a real HTTP server on loopback that verifies every message with the
standardwebhooks package (as a team's receiver would), answers the statuses it is told to, and keeps what
it got. Written from the Standard Webhooks specification, not from CM Hub's sender."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Got:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    #: Statuses to answer, in order; 200 once they are used up.
    script: list[int] = field(default_factory=list)
    got: list[Got] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception:  # any refusal (bad signature, no secret, stale time) is unverified
                    verified = False
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.got.append(Got(headers, body, verified, status))
                payload = b"ok" if status < 300 else b"<h1>Internal error</h1>" * 100
                self.send_response(status)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cmhub"

    def ids(self) -> list[str]:
        return [got.id for got in self.got]

    def types(self) -> list[str]:
        return [got.json()["type"] for got in self.got]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
