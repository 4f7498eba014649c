"""A stand-in webhook URL for the fakes' side of the contract: answers Meta's handshake (checking the verify
token) and LinkedIn's challenge (with the client secret), and keeps every POST with its headers."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    verify_token: str = ""
    linkedin_secret: str = ""
    posts: list[Received] = field(default_factory=list)
    handshakes: list[dict[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                receiver.handshakes.append(query)
                if "challengeCode" in query:
                    code = query["challengeCode"][0]
                    answer = hmac.new(
                        receiver.linkedin_secret.encode(), code.encode(), hashlib.sha256
                    ).hexdigest()
                    self._send(200, json.dumps({"challengeCode": code, "challengeResponse": answer}).encode())
                elif query.get("hub.verify_token", [""])[0] == receiver.verify_token:
                    self._send(200, query.get("hub.challenge", [""])[0].encode())
                else:
                    self._send(403, b"no")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.posts.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self._send(200, b"OK")

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01})

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
