"""Faults a person can inject into the running demo fakes to watch CM Hub cope, in each network's own words.

A fault is a list of control calls (`POST {fake}/_fake/<action>` with JSON keyword arguments) aimed at the
calls the next poll of the demo channel makes first, so that poll fails the way the real network would
make it fail. `manage.py demo_fault` sends them; this module only knows what to send.

Faults are answers queued in the fake, not changes to its data: once the product has reacted (a channel
asking for a reconnect stops polling), the fake is healthy again, so "Reconnect" through the consent page
works at once. `reset` drops whatever is still queued (Facebook and Instagram share the Graph fake: resetting
one resets both).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from demo.threads import DEMO_THREADS_USER_ID
from demo.world import DEMO_FACEBOOK_PAGE_ID, DEMO_INSTAGRAM_USER_ID, DEMO_X_USER_ID

FAULTS = ("expire-token", "rate-limit", "server-error", "reset")
DEFAULT_RESET_IN = 120  # seconds a rate limit lasts, where the network says so itself (X, Graph)

# The calls a poll of each demo channel starts with (the first failure ends the poll).
_PATHS = {
    "facebook": rf"/{DEMO_FACEBOOK_PAGE_ID}[/_]",  # the Page's conversations and posts, its posts' comments
    "instagram": rf"/{DEMO_INSTAGRAM_USER_ID}/",  # the account's media list
    "x": rf"^/2/users/{DEMO_X_USER_ID}/(mentions|tweets)$",
    "linkedin": r"^/rest/(posts|socialActions/)",
    # Direct messages first, then mentions; a poll goes on to the mentions when the direct messages fail.
    "mastodon": r"^/api/v1/notifications$",
    # A Bluesky poll reads the DM conversations first, then the notifications.
    "bluesky": r"^/xrpc/(chat\.bsky\.convo\.listConvos|app\.bsky\.notification\.listNotifications)$",
    # A YouTube poll starts with the channel's comment threads.
    "youtube": r"^/youtube/v3/commentThreads$",
    # A Threads poll reads the profile's mentions first, then its posts.
    "threads": rf"^/v1\.0/{DEMO_THREADS_USER_ID}/(mentions|threads)$",
    # A Google Business Profile poll reads the location's reviews.
    "google_business": r"^/v4/accounts/[^/]+/locations/[^/]+/reviews$",
}
# Answers the next poll needs to fail once: the X and LinkedIn clients retry a failed GET once on 5xx
# (core.http.send_idempotent), Graph's does not.
_QUICK_RETRIES = {
    "facebook": 1,
    "instagram": 1,
    "x": 2,
    "linkedin": 2,
    "mastodon": 2,
    "bluesky": 2,
    "youtube": 1,
    "threads": 1,
    "google_business": 2,
}

_LABELS = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
    "youtube": "YouTube",
    "threads": "Threads",
    "google_business": "Google Business Profile",
}

Call = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class FaultPlan:
    calls: list[Call]
    effect: str  # what the person should see happen in CM Hub


def fault_plan(network: str, fault: str, *, times: int = 0, reset_in: int = DEFAULT_RESET_IN) -> FaultPlan:
    if network not in _PATHS or fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r} for {network!r}")
    if fault == "reset":
        return FaultPlan(
            [("reset_faults", {})],
            "Pending faults dropped: the next poll goes through. A channel waiting for a reconnect stays so "
            "until someone reconnects it (or `manage.py seed_demo_channels`).",
        )
    if network == "bluesky":
        return _bluesky(fault, times=times, reset_in=reset_in)
    if network == "youtube":
        return _youtube(fault, times=times)
    if network == "threads":
        return _threads(fault, times=times)
    if network == "google_business":
        return _google_business(fault, times=times)
    path = _PATHS[network]
    failing = times or _QUICK_RETRIES[network]
    if fault == "expire-token":
        return _expire(network, path)
    if fault == "rate-limit":
        return _rate_limit(network, path, reset_in)
    return _server_error(network, path, failing)


def _expire(network: str, path: str) -> FaultPlan:
    reconnect = (
        "the channel shows 'Reconnect needed' (banner for admins, one email); reconnect it from there."
    )
    if network in ("facebook", "instagram"):
        # Code 190, subcode 463 "Session has expired", with Graph's WWW-Authenticate header.
        return FaultPlan(
            [("expired_token_fault", {"path_pattern": path, "subcode": 463, "times": 1})],
            f"{_LABELS[network]}: Graph answers the next poll 'Error validating access token: Session has "
            f"expired'. Within a poll interval {reconnect}",
        )
    if network == "x":
        return FaultPlan(
            [("unauthorized", {"path_pattern": path, "times": 1})],
            "X: the next poll gets 401 Unauthorized. The seeded channel has no refresh token, so "
            f"{reconnect} A channel reconnected through X's consent page has one: CM Hub then refreshes the "
            "token by itself and the poll goes through.",
        )
    if network == "mastodon":
        return FaultPlan(
            [("unauthorized", {"path_pattern": path, "times": 1})],
            "Mastodon: the next poll gets 401 'The access token is invalid' (Mastodon tokens do not expire: "
            f"they are revoked, and cannot be refreshed), so {reconnect}",
        )
    return FaultPlan(
        [("unauthorized", {"path_pattern": path, "revoked": False, "times": 1})],
        f"LinkedIn: the next poll gets 401 INVALID_ACCESS_TOKEN (LinkedIn tokens cannot be refreshed), so "
        f"{reconnect}",
    )


def _rate_limit(network: str, path: str, reset_in: int) -> FaultPlan:
    if network in ("facebook", "instagram"):
        # Graph says how long to wait in minutes, in the Business Use Case usage header.
        minutes = max(1, math.ceil(reset_in / 60))
        code, owner = (
            (32, DEMO_FACEBOOK_PAGE_ID) if network == "facebook" else (80002, DEMO_INSTAGRAM_USER_ID)
        )
        payload = {"path_pattern": path, "code": code, "minutes": minutes, "owner_id": owner, "times": 1}
        return FaultPlan(
            [("rate_limit_fault", payload)],
            f"{_LABELS[network]}: the next poll hits Graph's rate limit (code {code}, regain access in "
            f"{minutes} min). The channel sleeps until then, then catches up; nothing is lost.",
        )
    if network in ("x", "mastodon"):
        header = "x-rate-limit-reset" if network == "x" else "X-RateLimit-Reset"
        return FaultPlan(
            [("rate_limited", {"path_pattern": path, "reset_in": reset_in, "times": 1})],
            f"{_LABELS[network]}: the next poll gets 429 with {header} in {reset_in} s. The channel sleeps "
            "until then, then catches up; nothing is lost.",
        )
    return FaultPlan(
        [("throttled", {"path_pattern": path, "times": 1})],
        "LinkedIn: the next poll gets 429 TOO_MANY_REQUESTS. LinkedIn's limits are daily and it gives no "
        "reset time, so the channel sleeps until midnight UTC (`manage.py seed_demo_channels` wakes it).",
    )


def _server_error(network: str, path: str, failing: int) -> FaultPlan:
    status = {"facebook": 500, "instagram": 500, "x": 503, "linkedin": 500, "mastodon": 503}[network]
    action = "server_error_fault" if network in ("facebook", "instagram") else "server_error"
    return FaultPlan(
        [(action, {"path_pattern": path, "status": status, "times": failing})],
        f"{_LABELS[network]}: the next {failing} call(s) answer HTTP {status} in the network's own error "
        "format. The poll fails, the channel backs off (the interval doubles per failure in a row) and "
        "recovers once the errors stop; five failures in a row show it as 'Error'.",
    )


def _bluesky(fault: str, *, times: int, reset_in: int) -> FaultPlan:
    """Bluesky's own XRPC error bodies ({"error", "message"}), through the fake's generic `fault` action."""
    path = _PATHS["bluesky"]

    def answer(status: int, name: str, message: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"status": status, "body": {"error": name, "message": message}, "headers": headers or {}}

    if fault == "expire-token":
        # The access JWT has expired and renewing it is refused too: the app password was revoked.
        calls: list[Call] = [
            ("fault", {"path_pattern": path, "response": answer(400, "ExpiredToken", "Token has expired")}),
            (
                "fault",
                {
                    "path_pattern": r"^/xrpc/com\.atproto\.server\.refreshSession$",
                    "response": answer(400, "ExpiredToken", "Token has been revoked"),
                    "times": 2,  # the client's own renewal, then the poll's forced one
                },
            ),
        ]
        return FaultPlan(
            calls,
            "Bluesky: the next poll gets 400 ExpiredToken and the session cannot be renewed (the app "
            "password was revoked), so the channel shows 'Reconnect needed' (banner for admins, one email); "
            "reconnect it with the handle and an app password.",
        )
    if fault == "rate-limit":
        reset = str(int(time.time()) + reset_in)
        headers = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": reset}
        headers["RateLimit-Policy"] = "3000;w=300"
        limited = answer(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        return FaultPlan(
            [("fault", {"path_pattern": path, "response": limited})],
            f"Bluesky: the next poll gets 429 RateLimitExceeded with RateLimit-Reset in {reset_in} s. The "
            "channel sleeps until then, then catches up; nothing is lost.",
        )
    failing = times or _QUICK_RETRIES["bluesky"]
    error = answer(500, "InternalServerError", "Internal Server Error")
    return FaultPlan(
        [("fault", {"path_pattern": path, "response": error, "times": failing})],
        f"Bluesky: the next {failing} call(s) answer HTTP 500 InternalServerError. The poll fails, the "
        "channel backs off (the interval doubles per failure in a row) and recovers once the errors stop.",
    )


def _threads(fault: str, *, times: int) -> FaultPlan:
    """Threads answers in Meta's Graph error envelope, through the fake's generic `fault` action."""
    path = _PATHS["threads"]

    def answer(status: int, code: int, message: str, **extra: Any) -> dict[str, Any]:
        error = {"message": message, "type": "OAuthException", "code": code, **extra, "fbtrace_id": "demo"}
        return {"status": status, "body": {"error": error}}

    if fault == "expire-token":
        expired = answer(400, 190, "Error validating access token: Session has expired.", error_subcode=463)
        return FaultPlan(
            [("fault", {"path_pattern": path, "response": expired})],
            "Threads: the next poll gets code 190 'Session has expired', so the channel shows 'Reconnect "
            "needed' (banner for admins, one email); reconnect it from there (the fake's consent page).",
        )
    if fault == "rate-limit":
        limited = answer(400, 4, "Application request limit reached", is_transient=True)
        return FaultPlan(
            [("fault", {"path_pattern": path, "response": limited})],
            "Threads: the next poll gets code 4 'Application request limit reached' (Graph says no reset: "
            "CM Hub waits 15 minutes), then catches up; nothing is lost.",
        )
    failing = times or _QUICK_RETRIES["threads"]
    error = answer(500, 2, "An unexpected error has occurred. Please retry your request later.")
    return FaultPlan(
        [("fault", {"path_pattern": path, "response": error, "times": failing})],
        f"Threads: the next {failing} call(s) answer HTTP 500 (code 2). The poll fails, the channel backs "
        "off and recovers once the errors stop.",
    )


def _google_business(fault: str, *, times: int) -> FaultPlan:
    """Google's error envelope ({"error": {"code", "message", "status"}}), through the generic `fault`."""
    path = _PATHS["google_business"]

    def answer(code: int, status: str, message: str) -> dict[str, Any]:
        return {"status": code, "body": {"error": {"code": code, "message": message, "status": status}}}

    if fault == "expire-token":
        # The access token is refused and so is the refresh token: the person removed CM Hub's access.
        refused = {
            "status": 400,
            "body": {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        }
        calls: list[Call] = [
            (
                "fault",
                {
                    "path_pattern": path,
                    "response": answer(
                        401, "UNAUTHENTICATED", "Request had invalid authentication credentials."
                    ),
                },
            ),
            # The client's own renewal after the 401, then the poll's forced one.
            ("fault", {"path_pattern": r"^/token$", "response": refused, "times": 2}),
        ]
        return FaultPlan(
            calls,
            "Google Business Profile: the next poll gets 401 UNAUTHENTICATED and the refresh token is "
            "refused (invalid_grant: access was removed from the Google account), so the channel shows "
            "'Reconnect needed' (banner for admins, one email); reconnect it through Google's consent page.",
        )
    if fault == "rate-limit":
        limited = answer(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'.",
        )
        return FaultPlan(
            [("fault", {"path_pattern": path, "response": limited})],
            "Google Business Profile: the next poll gets 429 RESOURCE_EXHAUSTED (the per-minute quota). The "
            "channel sleeps about a minute, then catches up; nothing is lost.",
        )
    failing = times or _QUICK_RETRIES["google_business"]
    error = answer(503, "UNAVAILABLE", "The service is currently unavailable.")
    return FaultPlan(
        [("fault", {"path_pattern": path, "response": error, "times": failing})],
        f"Google Business Profile: the next {failing} call(s) answer HTTP 503 UNAVAILABLE. The poll "
        "fails, the channel backs off (the interval doubles per failure in a row) and recovers once the "
        "errors stop.",
    )


def _youtube(fault: str, *, times: int) -> FaultPlan:
    """Google's error envelope (https://developers.google.com/youtube/v3/docs/errors), through the fake's
    generic `fault` action; the token endpoint's refusal is RFC 6749's."""
    path = _PATHS["youtube"]

    def answer(
        code: int, reason: str, message: str, *, status: str = "", domain: str = "global"
    ) -> dict[str, Any]:
        error = {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
        if status:
            error["status"] = status
        return {"status": code, "body": {"error": error}}

    if fault == "expire-token":
        expired = answer(
            401, "authError", "Request had invalid authentication credentials.", status="UNAUTHENTICATED"
        )
        revoked = {
            "status": 400,
            "body": {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
        }
        calls: list[Call] = [
            ("fault", {"path_pattern": path, "response": expired}),
            ("fault", {"path_pattern": r"^/token$", "response": revoked}),  # the poll's forced renewal
        ]
        return FaultPlan(
            calls,
            "YouTube: the next poll gets 401 authError and Google refuses the refresh token (invalid_grant: "
            "the person removed CM Hub from their Google account), so the channel shows 'Reconnect needed' "
            "(banner for admins, one email); reconnect it through Google's consent page.",
        )
    if fault == "rate-limit":
        spent = answer(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
            domain="youtube.quota",
        )
        return FaultPlan(
            [("fault", {"path_pattern": path, "response": spent})],
            "YouTube: the next poll gets 403 quotaExceeded: the Google project's daily quota is spent. Every "
            "YouTube channel sleeps until midnight Pacific time, replies wait and go out after; the health "
            "page says so (`manage.py seed_demo_channels` wakes the demo's channel).",
        )
    failing = times or _QUICK_RETRIES["youtube"]
    error = answer(503, "backendError", "Backend Error", status="UNAVAILABLE")
    return FaultPlan(
        [("fault", {"path_pattern": path, "response": error, "times": failing})],
        f"YouTube: the next {failing} call(s) answer HTTP 503 backendError. The poll fails, the channel "
        "backs off (the interval doubles per failure in a row) and recovers once the errors stop.",
    )
