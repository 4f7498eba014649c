"""The fake Google sign-in, mixed into the fakes of the networks Google runs (YouTube, Business Profile).

Written from https://developers.google.com/identity/protocols/oauth2/web-server, not from the client:
- `GET/POST /o/oauth2/v2/auth`: the consent page (Allow / Cancel, `error=access_denied` on Cancel); it
  refuses an unknown `client_id`, a missing `redirect_uri`, `response_type` other than `code`, and a PKCE
  method other than S256 (Google accepts `plain` too; CM Hub never sends it, so refusing it here catches a
  client that forgot PKCE).
- `POST /token` (`oauth2.googleapis.com/token` on the real host): `authorization_code` (single-use code,
  same redirect_uri, PKCE verifier checked) and `refresh_token` grants, client authenticated by
  `client_id`/`client_secret` in the form; answers `{"access_token", "expires_in": 3599, "scope",
  "token_type": "Bearer"}`, plus `refresh_token` when the consent asked `access_type=offline`. A refresh
  answer carries no refresh token (Google keeps the same one). Refusals are RFC 6749 bodies:
  `{"error": "invalid_grant", "error_description": "Bad Request"}` (400), `invalid_client` (401).

A fake's API endpoints call `google_authorized(request, scope)`: None when the bearer token is live and
holds the scope, else the 401 or 403 Google answers, in Google's error envelope.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from networks.fakes import consent
from networks.fakes.base import Request, Response

WORDS = consent.ConsentWords("Google", allow="Allow", denied={"error": "access_denied"})
ACCESS_TOKEN_SECONDS = 3599


class GoogleOAuthRoutes:
    """Mixin: call `google_oauth_setup(...)` in the fake's __init__ and `google_oauth_routes()` in its
    setup_routes."""

    lock: threading.RLock
    route: Callable[..., None]

    def google_oauth_setup(self, *, client_id: str, client_secret: str, account_email: str) -> None:
        self.google_client_id = client_id
        self.google_client_secret = client_secret
        #: Who "is signed in to Google" when the consent page shows.
        self.google_account_email = account_email
        #: Scopes a person leaves ticked on the consent page (None: all asked), to try granular consent.
        self.google_granted_scopes: tuple[str, ...] | None = None
        self.google_codes: dict[str, dict[str, Any]] = {}
        self.google_refresh_tokens: dict[str, dict[str, Any]] = {}
        self.google_access_tokens: dict[str, dict[str, Any]] = {}
        self.google_token_requests: list[dict[str, str]] = []

    def google_oauth_routes(self) -> None:
        self.route("GET", r"/o/oauth2/v2/auth", self._google_authorize)
        self.route("POST", r"/o/oauth2/v2/auth", self._google_authorize)
        self.route("POST", r"/token", self._google_token)

    # --- What the fake's API endpoints and tests use ---------------------------------------------------

    def google_issue(
        self, scopes: tuple[str, ...], *, subject: str = "", offline: bool = True
    ) -> dict[str, Any]:
        """A token answer as Google sends it, the tokens remembered (tests and the demo seed with it)."""
        access = f"ya29.{secrets.token_urlsafe(24)}"
        with self.lock:
            grant = {"scopes": scopes, "subject": subject or self.google_account_email}
            self.google_access_tokens[access] = {**grant, "expires": time.time() + ACCESS_TOKEN_SECONDS}
            answer: dict[str, Any] = {
                "access_token": access,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "scope": " ".join(scopes),
                "token_type": "Bearer",
            }
            if offline:
                refresh = f"1//{secrets.token_urlsafe(32)}"
                self.google_refresh_tokens[refresh] = grant
                answer["refresh_token"] = refresh
        return answer

    def google_expire_access_tokens(self) -> None:
        """Every access token stops working (as an hour going by does); refresh tokens still work."""
        with self.lock:
            for token in self.google_access_tokens.values():
                token["expires"] = 0.0

    def google_revoke(self) -> None:
        """The person removed the app from their Google account: nothing works until they consent again."""
        with self.lock:
            self.google_access_tokens.clear()
            self.google_refresh_tokens.clear()

    def google_authorized(self, request: Request, scope: str) -> Response | None:
        token = request.bearer()
        with self.lock:
            grant = self.google_access_tokens.get(token)
        if grant is None or grant["expires"] < time.time():
            return google_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                "or other valid authentication credential.",
                status="UNAUTHENTICATED",
                reason="authError",
                domain="global",
            )
        if scope not in grant["scopes"]:
            return google_error(
                403,
                "Request had insufficient authentication scopes.",
                status="PERMISSION_DENIED",
                reason="insufficientPermissions",
                domain="global",
            )
        return None

    # --- Routes ----------------------------------------------------------------------------------------

    def _google_authorize(self, request: Request) -> Response:
        params = consent.params_of(request)
        if params.get("client_id") != self.google_client_id or not params.get("redirect_uri"):
            return _plain(400, "Error 401: invalid_client. The OAuth client was not found.")
        if params.get("response_type") != "code":
            return _plain(400, "Error 400: invalid_request. Invalid response_type.")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return _plain(400, "Error 400: invalid_request. Missing code_challenge (S256).")
        asked = tuple(params.get("scope", "").split())
        if request.method == "GET":
            return consent.page(request, WORDS, account=self.google_account_email, scopes=list(asked))

        def issue_code(params: dict[str, str]) -> str:
            code = f"4/{secrets.token_urlsafe(24)}"
            granted = (
                asked
                if self.google_granted_scopes is None
                else tuple(s for s in asked if s in self.google_granted_scopes)
            )
            with self.lock:
                self.google_codes[code] = {
                    "redirect_uri": params["redirect_uri"],
                    "challenge": params["code_challenge"],
                    "scopes": granted,
                    "offline": params.get("access_type") == "offline",
                }
            return code

        return consent.answer(request, WORDS, issue_code)

    def _google_token(self, request: Request) -> Response:
        form = request.form()
        with self.lock:
            self.google_token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if (
            form.get("client_id") != self.google_client_id
            or form.get("client_secret") != self.google_client_secret
        ):
            return Response(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with self.lock:
                code = self.google_codes.pop(form.get("code", ""), None)  # single use, whatever happens
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if (
                code is None
                or code["redirect_uri"] != form.get("redirect_uri")
                or code["challenge"] != challenge
            ):
                return _invalid_grant("Bad Request")
            return Response(200, self.google_issue(code["scopes"], offline=code["offline"]))
        if grant_type == "refresh_token":
            with self.lock:
                grant = self.google_refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None:
                return _invalid_grant("Token has been expired or revoked.")
            answer = self.google_issue(grant["scopes"], subject=grant["subject"], offline=False)
            return Response(200, answer)
        return Response(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})


def google_error(code: int, message: str, *, status: str, reason: str, domain: str = "global") -> Response:
    """Google's API error envelope (https://cloud.google.com/apis/design/errors)."""
    return Response(
        code,
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
                "status": status,
            }
        },
    )


def _invalid_grant(description: str) -> Response:
    return Response(400, {"error": "invalid_grant", "error_description": description})


def _plain(code: int, text: str) -> Response:
    return Response(code, text, {"content-type": "text/plain; charset=utf-8"})
