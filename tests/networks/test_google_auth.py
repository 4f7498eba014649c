"""Google sign-in (shared by YouTube and Business Profile) against a fake Google over real HTTP, and the
mapping of Google's error envelope. Bodies below are the documented ones:
https://developers.google.com/identity/protocols/oauth2/web-server (token answers and refusals),
https://developers.google.com/youtube/v3/docs/errors and https://cloud.google.com/apis/design/errors."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from networks.fakes import consent
from networks.fakes.base import FakeServer, Response
from networks.fakes.google_oauth import GoogleOAuthRoutes
from networks.providers import base as p
from networks.providers import google_auth

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
REDIRECT = "https://cmhub.example/connect/callback/"


class FakeGoogle(GoogleOAuthRoutes, FakeServer):
    def __init__(self) -> None:
        self.google_oauth_setup(
            client_id="app-1.apps.googleusercontent.com",
            client_secret="s3cret",
            account_email="brand@example.com",
        )
        super().__init__()

    def setup_routes(self) -> None:
        self.google_oauth_routes()
        self.route("GET", r"/api/whoami", self._whoami)

    def _whoami(self, request):
        return self.google_authorized(request, SCOPE) or Response(200, {"ok": True})


@pytest.fixture
def google():
    with FakeGoogle() as fake:
        yield fake


@pytest.fixture
def app(google):
    return p.OAuthApp(
        client_id=google.google_client_id,
        client_secret=google.google_client_secret,
        api_base_url=google.base_url,
        oauth_base_url=google.base_url,
    )


def _connect(app, http, scopes=(SCOPE,)):
    asked = google_auth.consent(app, redirect_uri=REDIRECT, state="st-1", scopes=scopes)
    back = consent.approve(http, asked.url)
    assert back.status_code == 302, back.text
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["state"] == ["st-1"]
    return google_auth.exchange_code(
        http, app, code=query["code"][0], redirect_uri=REDIRECT, verifier=asked.verifier, scopes=scopes
    )


def test_the_consent_asks_for_offline_access_and_pkce():
    app = p.OAuthApp(client_id="c", client_secret="s", api_base_url="", oauth_base_url="")
    asked = google_auth.consent(app, redirect_uri=REDIRECT, state="x", scopes=[SCOPE])
    parts = urlsplit(asked.url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"] and asked.verifier
    assert google_auth.token_url("") == "https://oauth2.googleapis.com/token"


def test_a_consent_gives_tokens_and_a_refresh_keeps_the_refresh_token(google, app):
    with httpx.Client() as http:
        first = _connect(app, http)
        assert first.refresh_token.startswith("1//") and SCOPE in first.scopes
        assert first.expires_at is not None
        assert (
            http.get(
                f"{google.base_url}/api/whoami", headers={"authorization": f"Bearer {first.access_token}"}
            ).status_code
            == 200
        )
        google.google_expire_access_tokens()
        renewed = google_auth.refresh(http, app, first)
    assert renewed.access_token != first.access_token
    assert renewed.refresh_token == first.refresh_token  # Google sends no new one


def test_a_revoked_connection_asks_for_reconnection(google, app):
    with httpx.Client() as http:
        credentials = _connect(app, http)
        google.google_revoke()
        with pytest.raises(p.AuthExpired):
            google_auth.refresh(http, app, credentials)


def test_an_unticked_permission_is_said_at_connection(google, app):
    google.google_granted_scopes = ("openid",)
    with httpx.Client() as http, pytest.raises(p.PermissionMissing, match="unticked"):
        _connect(app, http, scopes=(SCOPE, "openid"))


def test_a_code_is_refused_with_the_wrong_verifier_and_is_single_use(google, app):
    with httpx.Client() as http:
        asked = google_auth.consent(app, redirect_uri=REDIRECT, state="s", scopes=[SCOPE])
        code = parse_qs(urlsplit(consent.approve(http, asked.url).headers["location"]).query)["code"][0]
        with pytest.raises(p.Invalid):
            google_auth.exchange_code(http, app, code=code, redirect_uri=REDIRECT, verifier="wrong" * 10)
        with pytest.raises(p.Invalid):  # the code was spent by the failed try, as Google does
            google_auth.exchange_code(http, app, code=code, redirect_uri=REDIRECT, verifier=asked.verifier)


def _answer(status: int, body) -> httpx.Response:
    return httpx.Response(status, json=body, request=httpx.Request("GET", "https://www.googleapis.com/x"))


NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
MIDNIGHT_PACIFIC = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)

# https://developers.google.com/youtube/v3/docs/errors (quotaExceeded), and the standard envelope.
QUOTA = {
    "error": {
        "code": 403,
        "message": (
            "The request cannot be completed because you have exceeded your "
            '<a href="/youtube/v3/getting-started#quota">quota</a>.'
        ),
        "errors": [
            {
                "message": "The request cannot be completed because you have exceeded your quota.",
                "domain": "youtube.quota",
                "reason": "quotaExceeded",
            }
        ],
    }
}
UNAUTHENTICATED = {
    "error": {
        "code": 401,
        "message": "Request had invalid authentication credentials.",
        "errors": [
            {
                "message": "Invalid Credentials",
                "domain": "global",
                "reason": "authError",
                "location": "Authorization",
                "locationType": "header",
            }
        ],
        "status": "UNAUTHENTICATED",
    }
}
PER_MINUTE = {
    "error": {
        "code": 429,
        "message": "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
            }
        ],
    }
}
SCOPES = {
    "error": {
        "code": 403,
        "message": "Request had insufficient authentication scopes.",
        "status": "PERMISSION_DENIED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
        ],
    }
}
TOO_LONG = {
    "error": {
        "code": 400,
        "message": "The comment is too long.",
        "errors": [{"domain": "youtube.commentThread", "reason": "commentTextTooLong"}],
    }
}


@pytest.mark.parametrize(
    ("status", "body", "error", "reset"),
    [
        (403, QUOTA, p.RateLimited, MIDNIGHT_PACIFIC),
        (429, PER_MINUTE, p.RateLimited, NOW + dt.timedelta(seconds=60)),
        (401, UNAUTHENTICATED, p.AuthExpired, None),
        (403, SCOPES, p.PermissionMissing, None),
        (400, TOO_LONG, p.Invalid, None),
        (
            404,
            {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}},
            p.NotFound,
            None,
        ),
        (503, "<html>Service Unavailable</html>", p.Transient, None),
    ],
)
def test_googles_error_envelope_maps_to_the_provider_errors(status, body, error, reset):
    with pytest.raises(error) as raised:
        google_auth.raise_for_google(
            _answer(status, body), network="YouTube", daily_quota_reset=lambda: MIDNIGHT_PACIFIC, now=NOW
        )
    if reset is not None:
        assert raised.value.reset_at == reset
    google_auth.raise_for_google(_answer(200, {}), network="YouTube")  # a success raises nothing
