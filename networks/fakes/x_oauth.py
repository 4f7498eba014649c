"""The fake X's OAuth 2.0 + PKCE endpoints: the consent page (Authorize app / Cancel) and the token endpoint.

A mixin for XFake, which owns the state it uses (`codes`, `refresh_tokens`, `issue_token`, the client id
and secret, and `consent_user_id`: who "clicks Authorize").
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from typing import Any

from networks.fakes import consent
from networks.fakes.base import Request, Response

DEFAULT_SCOPES = (
    "tweet.read",
    "users.read",
    "tweet.write",
    "offline.access",
    "media.write",
    "dm.read",
    "dm.write",
    "tweet.moderate.write",
)
WORDS = consent.ConsentWords("X", allow="Authorize app", denied={"error": "access_denied"})


class XOAuthRoutes:
    client_id: str
    client_secret: str
    consent_user_id: str
    users: dict[str, dict[str, Any]]
    codes: dict[str, dict[str, Any]]
    refresh_tokens: dict[str, dict[str, Any]]
    lock: threading.RLock
    route: Callable[..., None]
    issue_token: Callable[..., dict[str, Any]]

    def oauth_routes(self) -> None:
        self.route("GET", r"/i/oauth2/authorize", self._authorize)
        self.route("POST", r"/i/oauth2/authorize", self._authorize)
        self.route("POST", r"/2/oauth2/token", self._token)

    def _authorize(self, request: Request) -> Response:
        """X's consent page (GET), and its Authorize app / Cancel form (POST)."""
        params = consent.params_of(request)
        if params.get("client_id") != self.client_id or not params.get("redirect_uri"):
            return Response(
                400, "Something went wrong: this app is not known.", {"content-type": "text/plain"}
            )
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return Response(
                400, "Something went wrong: PKCE S256 is required.", {"content-type": "text/plain"}
            )
        scopes = params.get("scope", "").split()
        if request.method == "GET":
            with self.lock:
                user = self.users.get(self.consent_user_id, {})
            return consent.page(request, WORDS, account=f"@{user.get('username', '?')}", scopes=scopes)

        def issue_code(params: dict[str, str]) -> str:
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = {
                    "redirect_uri": params["redirect_uri"],
                    "challenge": params["code_challenge"],
                    "user_id": self.consent_user_id,
                    "scopes": tuple(scopes),
                }
            return code

        return consent.answer(request, WORDS, issue_code)

    def _token(self, request: Request) -> Response:
        form = request.form()
        if not self._client_authenticated(request, form):
            return Response(
                401,
                {"error": "unauthorized_client", "error_description": "Missing valid authorization header"},
            )
        with self.lock:
            if form.get("grant_type") == "authorization_code":
                return self._grant_code(form)
            if form.get("grant_type") == "refresh_token":
                grant = self.refresh_tokens.pop(form.get("refresh_token", ""), None)  # rotated: single use
                if grant is None:
                    return _oauth_refusal("Value passed for the token was invalid.")
                return Response(200, self.issue_token(grant["user_id"], grant["scopes"]))
        return _oauth_refusal("Unsupported grant type.")

    def _grant_code(self, form: dict[str, str]) -> Response:
        grant = self.codes.pop(form.get("code", ""), None)  # single use, even when the verifier is wrong
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if (
            grant is None
            or grant["redirect_uri"] != form.get("redirect_uri")
            or grant["challenge"] != challenge
        ):
            return _oauth_refusal("Value passed for the authorization code was invalid.")
        return Response(200, self.issue_token(grant["user_id"], grant["scopes"] or DEFAULT_SCOPES))

    def _client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            return decoded == f"{self.client_id}:{self.client_secret}"
        # A public client (no secret) names itself in the form.
        return not self.client_secret and form.get("client_id") == self.client_id


def _oauth_refusal(description: str) -> Response:
    return Response(400, {"error": "invalid_request", "error_description": description})
