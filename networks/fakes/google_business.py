"""A local Google Business Profile: accounts, locations and reviews, on one origin for Google's three hosts.

Written from the reference, not from the client (https://developers.google.com/my-business/reference):
- Account Management API `GET /v1/accounts` (`pageSize` at most 20, `pageToken`) -> `{"accounts":
  [{"name": "accounts/{a}", "accountName", "type", "role", "verificationState", ...}], "nextPageToken"}`;
- Business Information API `GET /v1/accounts/{a}/locations` (`readMask` required, `pageSize` 1 to 100,
  default 10) -> `{"locations": [{"name": "locations/{l}", "title", ...}], "nextPageToken"}`; only the
  fields the read mask names come back;
- v4 `GET /v4/accounts/{a}/locations/{l}/reviews` (`pageSize` at most 50, `orderBy` one of `rating`,
  `rating desc`, `updateTime desc`, the default) -> `{"reviews": [...], "averageRating",
  "totalReviewCount", "nextPageToken"}`; `GET .../reviews/{r}`; `PUT .../reviews/{r}/reply {"comment"}`
  (creates or replaces, at most 4,096 bytes) -> ReviewReply; `DELETE .../reviews/{r}/reply` -> `{}`;
- errors in Google's envelope: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED (a
  location the signed-in person was not granted), 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED (the per-minute
  quota, https://developers.google.com/my-business/content/limits).
Timestamps are written with 0, 3, 6 or 9 fractional digits, in turn, as Google's output may be.
Google sign-in (consent page, /token) comes from GoogleOAuthRoutes.

Seed from Python (`add_account`, `add_location`, `add_review`, `edit_review`, `dashboard_reply`) or over HTTP
(`POST /_fake/<action>` with the same keyword arguments as JSON).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import secrets
from collections.abc import Callable
from typing import Any

from networks.fakes.base import Request, Response
from networks.fakes.google_oauth import GoogleOAuthRoutes, google_error
from networks.fakes.support import SeedableFake

SCOPE = "https://www.googleapis.com/auth/business.manage"
REPLY_MAX_BYTES = 4096
REVIEW_ORDERS = ("updateTime desc", "rating", "rating desc")
STAR_NAMES = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 0: "STAR_RATING_UNSPECIFIED"}


def google_time(moment: dt.datetime, digits: int) -> str:
    """RFC 3339 in UTC with `digits` (0, 3, 6 or 9) fractional digits and a Z."""
    moment = moment.astimezone(dt.UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits == 0:
        return f"{base}Z"
    nanos = f"{moment.microsecond:06d}000"
    return f"{base}.{nanos[:digits]}Z"


class GoogleBusinessFake(GoogleOAuthRoutes, SeedableFake):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "cmhub-google.apps.googleusercontent.com",
        client_secret: str = "cmhub-google-secret",  # noqa: S107 - the fake's own, made up
        account_email: str = "owner@example.com",
    ):
        self.google_oauth_setup(client_id=client_id, client_secret=client_secret, account_email=account_email)
        super().__init__(host, port)
        self.reset()

    def reset(self) -> None:
        """Forget everything seeded, every token, fault and request seen."""
        with self.lock:
            self.forget_traffic()
            self.accounts: dict[str, dict[str, Any]] = {}
            #: location id ("locations/{l}") -> the Location resource, and which accounts hold it
            self.locations: dict[str, dict[str, Any]] = {}
            self.location_accounts: dict[str, list[str]] = {}
            #: location ids the signed-in person may not read (403 PERMISSION_DENIED)
            self.denied: set[str] = set()
            #: review name -> stored review (with the fake's own "_" keys)
            self.reviews: dict[str, dict[str, Any]] = {}
            self.reply_puts: list[dict[str, Any]] = []
            self.reply_deletes: list[str] = []
            self._digits = itertools.cycle((0, 3, 6, 9))
            self._sequence = itertools.count(1)

    def setup_routes(self) -> None:
        self.google_oauth_routes()
        self.route("GET", r"/v1/accounts", self._list_accounts)
        self.route("GET", r"/v1/accounts/(?P<account>[^/]+)/locations", self._list_locations)
        loc = r"/v4/accounts/(?P<account>[^/]+)/locations/(?P<location>[^/]+)"
        self.route("GET", rf"{loc}/reviews", self._list_reviews)
        self.route("GET", rf"{loc}/reviews/(?P<review>[^/]+)", self._get_review)
        self.route("PUT", rf"{loc}/reviews/(?P<review>[^/]+)/reply", self._put_reply)
        self.route("DELETE", rf"{loc}/reviews/(?P<review>[^/]+)/reply", self._delete_reply)

    def control_actions(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_account": self.add_account,
            "add_location": self.add_location,
            "add_review": self.add_review,
            "edit_review": self.edit_review,
            "dashboard_reply": self.dashboard_reply,
            "issue_token": lambda: self.google_issue((SCOPE,)),
            "quota_exhausted": self.quota_exhausted,
            "reset": self.reset,
        }

    # --- seeding -----------------------------------------------------------------------------------------

    def add_account(self, account_id: str, name: str, *, type: str = "PERSONAL") -> str:
        with self.lock:
            self.accounts[f"accounts/{account_id}"] = {
                "name": f"accounts/{account_id}",
                "accountName": name,
                "type": type,
                "role": "PRIMARY_OWNER" if type == "PERSONAL" else "OWNER",
                "verificationState": "VERIFIED",
                "vettedState": "NOT_VETTED",
                "permissionLevel": "OWNER_LEVEL",
            }
        return f"accounts/{account_id}"

    def add_location(self, account_id: str, location_id: str, title: str, **fields: Any) -> str:
        """A location of `account_id` (a location may be in several accounts: add it to each)."""
        key = f"locations/{location_id}"
        with self.lock:
            self.locations.setdefault(
                key,
                {
                    "name": key,
                    "title": title,
                    "storefrontAddress": fields.get(
                        "address",
                        {
                            "regionCode": "FR",
                            "languageCode": "fr",
                            "postalCode": "69001",
                            "locality": "Lyon",
                            "addressLines": ["1 rue de la Paix"],
                        },
                    ),
                    "metadata": {
                        "placeId": f"ChIJ{location_id}",
                        "hasVoiceOfMerchant": True,
                        "mapsUri": f"https://maps.google.com/maps?cid={location_id}",
                        "newReviewUri": f"https://search.google.com/local/writereview?placeid=ChIJ{location_id}",
                    },
                },
            )
            self.location_accounts.setdefault(key, [])
            if f"accounts/{account_id}" not in self.location_accounts[key]:
                self.location_accounts[key].append(f"accounts/{account_id}")
        return f"accounts/{account_id}/{key}"

    def add_review(
        self,
        location: str,
        *,
        stars: int,
        comment: str = "",
        reviewer: str = "",
        anonymous: bool = False,
        photo: str | None = None,
        at: str | None = None,
        review_id: str = "",
    ) -> str:
        """A review of `location` ("accounts/{a}/locations/{l}"); `stars` 0 is STAR_RATING_UNSPECIFIED,
        `photo` None a picture on Google's host, "" none. Returns its name."""
        when = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC)
        review_id = review_id or self._new_id()
        name = f"{location}/reviews/{review_id}"
        digits = next(self._digits)
        review: dict[str, Any] = {
            "name": name,
            "reviewId": review_id,
            "reviewer": {"isAnonymous": True} if anonymous else {"displayName": reviewer or "Alex Martin"},
            "starRating": STAR_NAMES[stars],
            "createTime": google_time(when, digits),
            "updateTime": google_time(when, digits),
            "_updated": when,
            "_seq": next(self._sequence),
        }
        if not anonymous:
            # Google's picture unless told otherwise; "" for none (the demo and browser tests run offline).
            picture = (
                f"https://lh3.googleusercontent.com/a/{review_id[:12]}=s120-c" if photo is None else photo
            )
            if picture:
                review["reviewer"]["profilePhotoUrl"] = picture
            review["reviewer"]["isAnonymous"] = False
        if comment:
            review["comment"] = comment
        with self.lock:
            self.reviews[name] = review
        return name

    def edit_review(self, name: str, *, comment: str | None = None, stars: int | None = None) -> None:
        """The reviewer changed their words or stars: a newer updateTime, the same name and id."""
        now = dt.datetime.now(dt.UTC)
        with self.lock:
            review = self.reviews[name]
            if comment is not None:
                review["comment"] = comment
            if stars is not None:
                review["starRating"] = STAR_NAMES[stars]
            review["_updated"] = max(now, review["_updated"] + dt.timedelta(microseconds=1))
            review["updateTime"] = google_time(review["_updated"], next(self._digits))
            review["_seq"] = next(self._sequence)

    def dashboard_reply(self, name: str, comment: str) -> None:
        """The owner answered in Google's own dashboard."""
        with self.lock:
            self.reviews[name]["reviewReply"] = {
                "comment": comment,
                "updateTime": google_time(dt.datetime.now(dt.UTC), next(self._digits)),
            }

    def quota_exhausted(self, times: int = 1) -> None:
        """The next review call(s) answer 429 RESOURCE_EXHAUSTED, as a spent per-minute quota does."""
        from networks.fakes.base import Fault

        self.inject(Fault(path_pattern=r"^/v4/", response=_resource_exhausted(), times=times))

    def replies_to(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [put for put in self.reply_puts if put["review"] == name]

    def _new_id(self) -> str:
        # Google's review ids are opaque URL-safe strings ("The encrypted unique identifier").
        return "AbFvOq" + secrets.token_urlsafe(30).replace("-", "x").replace("_", "y")

    # --- routes ------------------------------------------------------------------------------------------

    def _list_accounts(self, request: Request) -> Response:
        refused = self.google_authorized(request, SCOPE)
        if refused:
            return refused
        size, problem = _page_size(request, default=20, maximum=20)
        if problem:
            return problem
        with self.lock:
            rows = [dict(a) for a in self.accounts.values()]
        return _paged(request, rows, size, "accounts")

    def _list_locations(self, request: Request) -> Response:
        refused = self.google_authorized(request, SCOPE)
        if refused:
            return refused
        mask = request.arg("readMask")
        if not mask:
            return _invalid("Request contains an invalid argument.", field="read_mask")
        size, problem = _page_size(request, default=10, maximum=100)
        if problem:
            return problem
        account = f"accounts/{request.match['account'] if request.match else ''}"
        with self.lock:
            if account not in self.accounts:
                return _not_found()
            rows = [
                {k: v for k, v in location.items() if k in mask.split(",") or k == "name"}
                for key, location in self.locations.items()
                if account in self.location_accounts.get(key, [])
            ]
        return _paged(request, rows, size, "locations")

    def _location(self, request: Request) -> tuple[str, Response | None]:
        refused = self.google_authorized(request, SCOPE)
        match = request.match
        assert match is not None
        account, location_id = f"accounts/{match['account']}", f"locations/{match['location']}"
        name = f"{account}/{location_id}"
        if refused:
            return name, refused
        with self.lock:
            if location_id not in self.locations or account not in self.location_accounts.get(
                location_id, []
            ):
                return name, _not_found()
            if location_id in self.denied:
                return name, google_error(
                    403,
                    "The caller does not have permission",
                    status="PERMISSION_DENIED",
                    reason="PERMISSION_DENIED",
                )
        return name, None

    def _list_reviews(self, request: Request) -> Response:
        location, refused = self._location(request)
        if refused:
            return refused
        size, problem = _page_size(request, default=50, maximum=50)
        if problem:
            return problem
        order = request.arg("orderBy", "updateTime desc")
        if order not in REVIEW_ORDERS:
            return _invalid(f"Invalid orderBy: {order}", field="order_by")
        with self.lock:
            mine = [r for r in self.reviews.values() if r["name"].startswith(f"{location}/reviews/")]
            if order == "updateTime desc":
                mine.sort(key=lambda r: (r["_updated"], r["_seq"]), reverse=True)
            else:
                mine.sort(key=lambda r: _stars(r), reverse=order == "rating desc")
            rows = [_public(r) for r in mine]
            rated = [_stars(r) for r in mine if _stars(r)]
        response = _paged(request, rows, size, "reviews")
        if response.status == 200:
            response.body["totalReviewCount"] = len(rows)
            if rated:
                response.body["averageRating"] = round(sum(rated) / len(rated), 1)
        return response

    def _review(self, request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        location, refused = self._location(request)
        if refused:
            return None, refused
        assert request.match is not None
        with self.lock:
            review = self.reviews.get(f"{location}/reviews/{request.match['review']}")
        return (review, None) if review else (None, _not_found())

    def _get_review(self, request: Request) -> Response:
        review, refused = self._review(request)
        if refused or review is None:
            return refused or _not_found()
        with self.lock:
            return Response(200, _public(review))

    def _put_reply(self, request: Request) -> Response:
        review, refused = self._review(request)
        if refused or review is None:
            return refused or _not_found()
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return _invalid("Invalid JSON payload received.")
        comment = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(comment, str) or not comment.strip():
            return _invalid("Request contains an invalid argument.", field="comment")
        if len(comment.encode("utf-8")) > REPLY_MAX_BYTES:
            return _invalid("Request contains an invalid argument.", field="comment")
        reply = {"comment": comment, "updateTime": google_time(dt.datetime.now(dt.UTC), next(self._digits))}
        with self.lock:
            review["reviewReply"] = reply
            self.reply_puts.append({"review": review["name"], "comment": comment})
        return Response(200, dict(reply))

    def _delete_reply(self, request: Request) -> Response:
        review, refused = self._review(request)
        if refused or review is None:
            return refused or _not_found()
        with self.lock:
            if "reviewReply" not in review:
                return _not_found()
            del review["reviewReply"]
            self.reply_deletes.append(review["name"])
        return Response(200, {})


# --- Google's answers ---------------------------------------------------------------------------------------


def _public(review: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in review.items() if not k.startswith("_")}
    if "reviewReply" in out:
        out["reviewReply"] = dict(out["reviewReply"])
    return out


def _stars(review: dict[str, Any]) -> int:
    return next((n for n, word in STAR_NAMES.items() if word == review.get("starRating")), 0)


def _page_size(request: Request, *, default: int, maximum: int) -> tuple[int, Response | None]:
    raw = request.arg("pageSize")
    if not raw:
        return default, None
    try:
        size = int(raw)
    except ValueError:
        return 0, _invalid(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"", field="page_size")
    if not 1 <= size <= maximum:
        return 0, _invalid("Request contains an invalid argument.", field="page_size")
    return size, None


def _paged(request: Request, rows: list[dict[str, Any]], size: int, key: str) -> Response:
    """One page of `rows`; the token is opaque to the client (here: the offset, signed with the list)."""
    token = request.arg("pageToken")
    start = 0
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            start = int(decoded["o"])
            assert decoded["k"] == key and start >= 0
        except (ValueError, KeyError, TypeError, AssertionError):
            return _invalid("Request contains an invalid argument.", field="page_token")
    page = rows[start : start + size]
    body: dict[str, Any] = {key: page} if page else {}
    if start + size < len(rows):
        body["nextPageToken"] = base64.urlsafe_b64encode(
            json.dumps({"k": key, "o": start + size}).encode()
        ).decode()
    return Response(200, body)


def _invalid(message: str, *, field: str = "") -> Response:
    response = google_error(400, message, status="INVALID_ARGUMENT", reason="badRequest")
    if field:
        response.body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return response


def _not_found() -> Response:
    return google_error(404, "Requested entity was not found.", status="NOT_FOUND", reason="notFound")


def _resource_exhausted() -> Response:
    return Response(
        429,
        {
            "error": {
                "code": 429,
                "message": "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of "
                "service 'mybusiness.googleapis.com' for consumer 'project_number:000000000000'.",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "RATE_LIMIT_EXCEEDED",
                        "domain": "googleapis.com",
                        "metadata": {
                            "service": "mybusiness.googleapis.com",
                            "quota_limit": "RequestsPerMinute",
                        },
                    }
                ],
            }
        },
    )
