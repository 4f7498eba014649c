"""How the fakes push webhooks, written from the networks' documentation (never from the product's verifier).

A subscription is a callback URL with what the network proves itself with: Meta signs the raw body with
the app secret (`X-Hub-Signature-256: sha256=<hex>`) after a GET handshake echoing `hub.challenge`
(https://developers.facebook.com/docs/graph-api/webhooks/getting-started); LinkedIn validates the URL with
`challengeCode` (JSON answer `challengeResponse` = hex HMAC-SHA256 of the code with the client secret) and
signs deliveries with `X-LI-Signature` = hex HMAC-SHA256 of `"hmacsha256=" + body`
(https://learn.microsoft.com/en-us/linkedin/shared/api-guide/webhook-validation).

Deliveries leave from one background thread, in order, each retried with backoff when the receiver is
down or answers other than 2xx (Meta and LinkedIn both retry), then dropped: the poll is the catch-up.
`drain()` waits until everything queued was delivered or given up, for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


def meta_signature_header(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def linkedin_signature_header(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), b"hmacsha256=" + body, hashlib.sha256).hexdigest()


@dataclass
class Subscription:
    style: str  # "meta" or "linkedin"
    callback_url: str
    secret: str
    verify_token: str = ""  # Meta's, sent in the handshake
    fields: frozenset[str] = frozenset()
    verified: bool = False


@dataclass
class Sent:
    url: str
    body: bytes
    status: int  # 0: the receiver could not be reached
    attempts: int


@dataclass
class WebhookOutbox:
    timeout: float = 5.0
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: queue.Queue[tuple[Subscription, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._pending = 0
        self._lock = threading.Lock()

    # --- Sending ----------------------------------------------------------------------------------------

    def send(self, subscription: Subscription, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        with self._idle:
            self._pending += 1
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fake-webhooks", daemon=True)
                self._thread.start()
        self._queue.put((subscription, body))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery was sent or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=2)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as http:
            while (job := self._queue.get()) is not None:
                subscription, body = job
                try:
                    self._deliver(http, subscription, body)
                finally:
                    with self._idle:
                        self._pending -= 1
                        self._idle.notify_all()

    def _deliver(self, http: httpx.Client, subscription: Subscription, body: bytes) -> None:
        status, attempts = 0, 0
        for delay in (0.0, *self.retry_delays):
            time.sleep(delay)
            attempts += 1
            if not subscription.verified and not self._verify(http, subscription):
                continue
            try:
                status = http.post(
                    subscription.callback_url, content=body, headers=self._headers(subscription, body)
                ).status_code
            except httpx.HTTPError:
                status = 0
            if 200 <= status < 300:
                break
        self.sent.append(Sent(subscription.callback_url, body, status, attempts))

    def _headers(self, subscription: Subscription, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if subscription.style == "linkedin":
            headers["X-LI-Signature"] = linkedin_signature_header(subscription.secret, body)
        else:
            headers["X-Hub-Signature-256"] = meta_signature_header(subscription.secret, body)
        return headers

    def _verify(self, http: httpx.Client, subscription: Subscription) -> bool:
        """The network checks the URL answers for the app before sending it anything."""
        try:
            if subscription.style == "linkedin":
                code = str(uuid.uuid4())  # LinkedIn's challenge codes are type-4 UUIDs
                answer = http.get(subscription.callback_url, params={"challengeCode": code})
                expected = hmac.new(subscription.secret.encode(), code.encode(), hashlib.sha256).hexdigest()
                body = answer.json() if answer.status_code == 200 else {}
                ok = isinstance(body, dict) and body.get("challengeResponse") == expected
            else:
                challenge = str(secrets.randbelow(10**9))
                query = {
                    "hub.mode": "subscribe",
                    "hub.challenge": challenge,
                    "hub.verify_token": subscription.verify_token,
                }
                answer = http.get(f"{subscription.callback_url}?{urlencode(query)}")
                ok = answer.status_code == 200 and answer.text == challenge
        except (httpx.HTTPError, ValueError):
            return False
        subscription.verified = ok
        return ok
