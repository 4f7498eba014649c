"""LinkedIn's wire conventions for the fake (error bodies, Rest.li paging) and its connect-flow endpoints.

The mixin serves what CM Hub calls while a page admin connects a channel: the consent page (Allow or
Cancel, then a redirect with a code or LinkedIn's refusal), the token endpoint, the member's organization
ACLs and the organizations' names. LinkedInFake owns the state it reads.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from networks.fakes import consent
from networks.fakes.base import Request, Response

READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE = (
    "r_organization_social",
    "w_organization_social",
    "rw_organization_admin",
)
DEFAULT_SCOPES = (READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE)
WORDS = consent.ConsentWords(
    "LinkedIn",
    allow="Allow",
    denied={"error": "user_cancelled_authorize", "error_description": "The user cancelled the authorization"},
)


def error(status: int, code: str, message: str, service_code: int = 0) -> Response:
    return Response(
        status, {"status": status, "serviceErrorCode": service_code, "code": code, "message": message}
    )


def page(elements: list[Any], start: int, count: int, total: int) -> dict[str, Any]:
    return {"paging": {"start": start, "count": count, "links": [], "total": total}, "elements": elements}


class LinkedInConnectRoutes:
    client_id: str
    client_secret: str
    consent_member: str
    members: dict[str, dict[str, Any]]
    acls: list[dict[str, str]]
    organizations: dict[str, dict[str, Any]]
    codes: dict[str, dict[str, Any]]
    lock: threading.RLock
    route: Callable[..., None]
    issue_token: Callable[..., dict[str, Any]]
    refresh_tokens: dict[str, dict[str, Any]]
    _check: Callable[[Request, str], tuple[str, Response | None]]

    def connect_routes(self) -> None:
        self.route("GET", r"/rest/organizationAcls", self._acls)
        self.route("GET", r"/rest/organizations/(?P<org_id>\d+)", self._organization)
        self.route("GET", r"/oauth/v2/authorization", self._authorize)
        self.route("POST", r"/oauth/v2/authorization", self._authorize)
        self.route("POST", r"/oauth/v2/accessToken", self._access_token)

    def _acls(self, request: Request) -> Response:
        member, refusal = self._check(request, ADMIN_SCOPE)
        if refusal:
            return refusal
        if request.arg("q") != "roleAssignee":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder")
        with self.lock:
            found = [
                dict(a)
                for a in self.acls
                if a["roleAssignee"] == member
                and a["role"] == request.arg("role", a["role"])
                and a["state"] == request.arg("state", a["state"])
            ]
        return Response(200, page(found, 0, len(found), len(found)))

    def _organization(self, request: Request) -> Response:
        _member, refusal = self._check(request, ADMIN_SCOPE)
        if refusal:
            return refusal
        org = self.organizations.get(
            f"urn:li:organization:{request.match['org_id'] if request.match else ''}"
        )
        return Response(200, dict(org)) if org else error(404, "NOT_FOUND", "Organization not found")

    # --- OAuth -----------------------------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        """LinkedIn's consent page (GET), and its Allow / Cancel form (POST)."""
        params = consent.params_of(request)
        if (
            params.get("client_id") != self.client_id
            or not params.get("redirect_uri")
            or params.get("response_type") != "code"
        ):
            return Response(
                400, "Invalid request: unknown client or redirect_uri.", {"content-type": "text/plain"}
            )
        scopes = tuple(params.get("scope", "").split()) or DEFAULT_SCOPES
        if request.method == "GET":
            with self.lock:
                member = self.members.get(self.consent_member, {})
            return consent.page(request, WORDS, account=member.get("name", "?"), scopes=list(scopes))

        def issue_code(params: dict[str, str]) -> str:
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = {
                    "redirect_uri": params["redirect_uri"],
                    "member": self.consent_member,
                    "scopes": scopes,
                }
            return code

        return consent.answer(request, WORDS, issue_code)

    def _refresh(self, refresh_token: str) -> Response:
        """A new 60-day access token; the refresh token keeps its 365-day expiry (it is not rotated)."""
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant["expires_at"] < time.time():
                description = (
                    "The provided authorization grant or refresh token is invalid, expired or revoked."
                )
                return Response(400, {"error": "invalid_grant", "error_description": description})
            issued = self.issue_token(grant["member"], grant["scopes"])
            return Response(
                200,
                {
                    **issued,
                    "refresh_token": refresh_token,
                    "refresh_token_expires_in": int(grant["expires_at"] - time.time()),
                },
            )

    def _access_token(self, request: Request) -> Response:
        form = request.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response(
                401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            )
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        if form.get("grant_type") != "authorization_code":
            return Response(
                400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}
            )
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                description = (
                    "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
                    "authorization code. Or authorization code expired."
                )
                return Response(400, {"error": "invalid_request", "error_description": description})
            return Response(200, self.issue_token(grant["member"], grant["scopes"]))
