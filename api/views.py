"""Settings -> API (tokens), and the interactive docs for signed-in people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from ninja.openapi.views import openapi_view

from accounts.access import WorkspaceRequest, workspace_view
from accounts.policy import Perm, can
from api.forms import TokenForm
from api.main import api
from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from core.errors import user_errors_on

NEW_SECRET = "api_new_token_secret"  # noqa: S105 - a session key, not a secret


@login_required
@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    return openapi_view(request, api=api)


def _visible_tokens(request: WorkspaceRequest):
    tokens = (
        ApiToken.objects.filter(workspace=request.workspace).select_related("user").order_by("-created_at")
    )
    if not can(request.membership, Perm.MANAGE_WORKSPACE):
        tokens = tokens.filter(user=request.user)  # a member sees their own; admins see every token
    return list(tokens)


@workspace_view()
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: WorkspaceRequest) -> HttpResponse:
    admin = can(request.membership, Perm.MANAGE_WORKSPACE)
    form = TokenForm(request.POST or None, admin=admin)
    if request.method == "POST" and form.is_valid():
        with user_errors_on(form):
            _token, secret = api_token_create(
                by=request.membership,
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                kind=form.cleaned_data["kind"],
                role=form.cleaned_data.get("role") or "",
                expires_at=form.expires_at(),
            )
            # Shown by the next page once, then gone: a reload cannot make a second token.
            request.session[NEW_SECRET] = secret
            return redirect("api_tokens", request.workspace.slug)
    context = {
        "form": form,
        "secret": request.session.pop(NEW_SECRET, "") if request.method == "GET" else "",
        "tokens": _visible_tokens(request),
        "docs_url": "/api/v1/docs",
        "admin": admin,
    }
    return render(request, "api/tokens.html", context, status=422 if form.errors else 200)


@workspace_view()
@require_POST
def token_revoke(request: WorkspaceRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, workspace=request.workspace)
    if token.user_id != request.user.pk and not can(request.membership, Perm.MANAGE_WORKSPACE):
        raise Http404
    api_token_revoke(token=token, by=request.membership)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("api_tokens", request.workspace.slug)
