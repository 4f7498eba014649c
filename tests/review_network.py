"""A stand-in review network for the product's own review tests (the inbox's one answer per review, the
reports): a small fake over real HTTP where answering a review again replaces the answer, under the same
id, and a minimal provider for it that declares `one_reply_per_thread`.

It is not a network CM Hub supports: Google Business Profile's real client and fake, written from Google's
documentation, are tested with that network (tests/networks, tests/contracts). Here the code under test is
the inbox's (the reply pipeline, the composer, moderation), and this provider only carries its calls to the
fake, so a reply that is sent twice shows as two writes the fake recorded.

The wire looks like Google's reviews API (PUT .../reviews/{id}/reply creates or replaces the reply, DELETE
removes it) without claiming to be it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import httpx

from networks import registry
from networks.fakes.base import FakeServer, Request, Response
from networks.providers import base as p
from networks.providers.rest import transport_error

LOCATION = "accounts/1/locations/9"


class ReviewFake(FakeServer):
    """Reviews of one place, each with at most one reply of the owner's."""

    def __init__(self, **kwargs: Any):
        self.reviews: dict[str, dict[str, Any]] = {}
        super().__init__(**kwargs)

    def setup_routes(self) -> None:
        base = rf"/v4/{LOCATION}/reviews"
        self.route("GET", base, self._list)
        self.route("GET", base + r"/(?P<rid>[A-Za-z0-9_-]+)", self._get)
        self.route("PUT", base + r"/(?P<rid>[A-Za-z0-9_-]+)/reply", self._put_reply)
        self.route("DELETE", base + r"/(?P<rid>[A-Za-z0-9_-]+)/reply", self._delete_reply)

    def add_review(self, rid: str, text: str, stars: int, *, at: dt.datetime | None = None) -> str:
        names = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}
        when = (at or dt.datetime.now(dt.UTC)).isoformat().replace("+00:00", "Z")
        with self.lock:
            self.reviews[rid] = {
                "name": f"{LOCATION}/reviews/{rid}",
                "reviewId": rid,
                "reviewer": {"displayName": f"Reviewer {rid}"},
                "starRating": names[stars],
                "comment": text,
                "createTime": when,
                "updateTime": when,
            }
        return f"{LOCATION}/reviews/{rid}"

    def reply_of(self, rid: str) -> str | None:
        reply = self.reviews[rid].get("reviewReply")
        return reply["comment"] if reply else None

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ("PUT", "DELETE")]

    def _review(self, request: Request) -> dict[str, Any] | None:
        assert request.match is not None
        return self.reviews.get(request.match["rid"])

    def _list(self, request: Request) -> Response:
        with self.lock:
            return Response(
                200, {"reviews": list(self.reviews.values()), "totalReviewCount": len(self.reviews)}
            )

    def _get(self, request: Request) -> Response:
        review = self._review(request)
        return Response(200, review) if review else _not_found()

    def _put_reply(self, request: Request) -> Response:
        with self.lock:
            review = self._review(request)
            if review is None:
                return _not_found()
            now = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
            review["reviewReply"] = {"comment": request.json()["comment"], "updateTime": now}
            return Response(200, review["reviewReply"])

    def _delete_reply(self, request: Request) -> Response:
        with self.lock:
            review = self._review(request)
            if review is None or "reviewReply" not in review:
                return _not_found()
            del review["reviewReply"]
            return Response(200, {})


def _not_found() -> Response:
    return Response(
        404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
    )


STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class ReviewProvider(p.Provider):
    """Carries the inbox's calls to ReviewFake; one answer per review, deletable."""

    network = p.Network.FACEBOOK  # the channel's network row; the registry entry is swapped in tests
    one_reply_per_thread = True
    capabilities = frozenset({p.Capability.DELETE_OWN})
    text_limits = {p.TextKind.REPLY: p.TextLimit(4000)}

    @classmethod
    def consent(cls, app, *, redirect_uri, state, scopes: Sequence[str]):  # type: ignore[override]
        raise NotImplementedError

    @classmethod
    def connectable(cls, app, *, http, code, redirect_uri, verifier=""):  # type: ignore[override]
        raise NotImplementedError

    def _url(self, path: str) -> str:
        return f"{self.account.api_base_url}/v4/{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, self._url(path), **kwargs)
        except httpx.TransportError as exc:
            raise transport_error("Reviews", exc, may_apply=method != "GET") from exc
        if response.status_code == 404:
            raise p.NotFound("Not found")
        if response.status_code >= 500:
            raise p.Transient(f"Reviews answered {response.status_code}")
        if response.status_code >= 400:
            raise p.Invalid(f"Reviews refused it ({response.status_code})")
        return response

    def poll(self, *, cursor: dict[str, Any], max_items: int = 500) -> p.PollResult:
        body = self._call("GET", f"{LOCATION}/reviews").json()
        items: list[p.EngagementItem] = []
        for review in body.get("reviews", []):
            at = dt.datetime.fromisoformat(review["createTime"])
            items.append(
                p.EngagementItem(
                    network=self.network,
                    external_id=review["name"],
                    kind=p.ItemKind.REVIEW,
                    text=review.get("comment", ""),
                    created_at=at,
                    author=p.Author(
                        external_id=review["reviewId"] + "-author", name=review["reviewer"]["displayName"]
                    ),
                    rating=STARS.get(review.get("starRating", "")),
                )
            )
            reply = review.get("reviewReply")
            if reply:
                items.append(
                    p.EngagementItem(
                        network=self.network,
                        external_id=reply_id(review["name"]),
                        kind=p.ItemKind.REPLY,
                        text=reply["comment"],
                        created_at=dt.datetime.fromisoformat(reply["updateTime"]),
                        author=p.Author(external_id=self.account.external_id, name="Us"),
                        parent_external_id=review["name"],
                        thread_root_external_id=review["name"],
                    )
                )
        return p.PollResult(items=items, cursor={})

    def reply(self, *, target: p.ReplyTarget, text: str, delivery_key: str = "") -> p.PublishResult:
        self._call("PUT", f"{target.external_id}/reply", json={"comment": text})
        return p.PublishResult(external_id=reply_id(target.external_id))

    def find_reply(
        self, *, target: p.ReplyTarget, text: str, since: dt.datetime, exclude: Collection[str] = ()
    ) -> p.PublishResult | None:
        review = self._call("GET", target.external_id).json()
        reply = review.get("reviewReply")
        found = reply_id(target.external_id)
        if reply and found not in exclude and p.reply_text_key(reply["comment"]) == p.reply_text_key(text):
            return p.PublishResult(external_id=found)
        return None

    def delete_comment(self, *, comment_id: str) -> None:
        self._call("DELETE", comment_id)

    def comment_state(self, *, comment_id: str) -> p.CommentState:
        review = self._call("GET", comment_id.removesuffix("/reply")).json()
        return p.CommentState(exists="reviewReply" in review)

    def publish(self, *, text, media=None, delivery_key=""):  # type: ignore[override]
        raise NotImplementedError

    def validate_text(self, text: str) -> list[str]:
        return []

    def validate_media(self, media: list[p.MediaFile]) -> list[str]:
        return []


def reply_id(review_name: str) -> str:
    """Our answer's id: one per review, the same for every answer given to it."""
    return f"{review_name}/reply"


def use_review_provider(monkeypatch) -> None:
    """Channels of network "facebook" are served by ReviewProvider for the test."""
    spec = registry.SPECS[p.Network.FACEBOOK]
    monkeypatch.setitem(
        registry.SPECS, p.Network.FACEBOOK, dataclasses.replace(spec, provider_class=ReviewProvider)
    )
