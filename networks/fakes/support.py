"""What the X and LinkedIn fakes share on top of FakeServer: quick answers, control actions, reset."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Callable
from typing import Any

from networks.fakes.base import FakeServer, Request, Response


class SeedableFake(FakeServer):
    """A fake whose Python seeding methods are also reachable as `POST /_fake/<action>` (JSON kwargs)."""

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        raise NotImplementedError

    def control(self, action: str, payload: dict[str, Any]) -> Response:
        actions = self.control_actions()
        if action not in actions:
            return Response(404, {"error": f"unknown control action {action}"})
        try:
            return Response(200, {"ok": True, "result": actions[action](**payload)})
        except (TypeError, KeyError, ValueError) as exc:
            return Response(400, {"ok": False, "error": repr(exc)})

    def forget_traffic(self) -> None:
        """Drop queued faults and recorded requests (part of every subclass's reset())."""
        with self.lock:
            self._faults.clear()
            self.requests.clear()


def public(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored object without the fake's own bookkeeping keys (those starting with "_")."""
    return {k: v for k, v in stored.items() if not k.startswith("_")}


def multipart_fields(request: Request) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (an upload), by name; {} for any other body."""
    content_type = request.headers.get("content-type", "")
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    if not message.is_multipart():
        return {}
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            fields[str(name)] = payload if isinstance(payload, bytes) else b""
    return fields
