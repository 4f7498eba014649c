from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts import services
from accounts.access import (
    AuthenticatedRequest,
    WorkspaceRequest,
    get_invitation_for_member,
    get_member_for_member,
    last_membership_of,
    workspace_view,
)
from accounts.forms import InvitationForm, InvitationSignupForm, ProfileForm, RoleForm, WorkspaceSettingsForm
from accounts.models import Invitation, Membership, User
from accounts.policy import Perm, roles_grantable_by
from core.errors import flash_user_errors, user_error_page, user_errors_on
from core.htmx import fragment_or_page, fragment_or_redirect, is_htmx


@require_safe  # GET and HEAD: uptime monitors and link checkers ask for / with HEAD
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Send the user to their last workspace, or their first, or tell them how to get one."""
    member = last_membership_of(request.user)
    if member is None:
        return render(request, "accounts/no_workspace.html")
    return redirect("workspace_home", slug=member.workspace.slug)


# --- Settings: workspace --------------------------------------------------------------------------------


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_http_methods(["GET", "POST"])
def workspace_settings(request: WorkspaceRequest) -> HttpResponse:
    form = WorkspaceSettingsForm(request.POST or None, instance=request.workspace)
    if request.method == "POST" and form.is_valid():
        services.workspace_update_settings(
            workspace=request.workspace,
            by=request.user,
            **{field: form.cleaned_data[field] for field in services.WORKSPACE_SETTINGS},
        )
        messages.success(request, _("Workspace settings saved."))
        return redirect("workspace_settings", slug=request.workspace.slug)
    return render(request, "accounts/settings/workspace.html", {"form": form})


# --- Settings: members ----------------------------------------------------------------------------------


def _members_context(request: WorkspaceRequest) -> dict:
    members = (
        Membership.objects.filter(workspace=request.workspace)
        .select_related("user")
        .order_by("user__display_name", "user__email")
    )
    return {
        "members": members,
        "admin_count": sum(1 for m in members if m.role == Membership.Role.ADMIN),
        "grantable_roles": [(r, Membership.Role(r).label) for r in roles_grantable_by(request.membership)],
    }


@workspace_view()
@require_GET
def members(request: WorkspaceRequest) -> HttpResponse:
    return render(request, "accounts/settings/members.html", _members_context(request))


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_role(request: WorkspaceRequest, pk: int) -> HttpResponse:
    target = get_member_for_member(request.membership, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
    else:
        with flash_user_errors(request):
            services.membership_change_role(
                membership=target, role=form.cleaned_data["role"], by=request.user
            )
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": target.user.name, "role": target.get_role_display()},
            )
    return _members_answer(request)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def member_remove(request: WorkspaceRequest, pk: int) -> HttpResponse:
    target = get_member_for_member(request.membership, pk)
    with flash_user_errors(request):
        services.membership_remove(membership=target, by=request.user)
        messages.success(request, _("%(name)s was removed from the workspace.") % {"name": target.user.name})
    if target.user_id == request.user.id and not Membership.objects.filter(pk=target.pk).exists():
        return redirect("home")
    return _members_answer(request)


def _members_answer(request: WorkspaceRequest) -> HttpResponse:
    return fragment_or_redirect(
        request,
        "accounts/settings/members.html#member-list",
        lambda: _members_context(request),
        "members",
        slug=request.workspace.slug,
    )


# --- Settings: invitations ------------------------------------------------------------------------------


def _invitations_context(request: WorkspaceRequest, form: InvitationForm | None = None) -> dict:
    return {
        "invitations": Invitation.objects.filter(workspace=request.workspace).select_related("invited_by")[
            :200
        ],
        "form": form or InvitationForm(),
    }


@workspace_view(Perm.MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def invitations(request: WorkspaceRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with user_errors_on(form, "email"):
            invitation, _token = services.invitation_create(
                workspace=request.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            if not is_htmx(request):
                return redirect("invitations", slug=request.workspace.slug)
            form = None
    context = _invitations_context(request, form)
    return fragment_or_page(request, "accounts/settings/invitations.html", "invitations-panel", context)


@workspace_view(Perm.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request: WorkspaceRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for_member(request.membership, pk)
    with flash_user_errors(request):
        services.invitation_revoke(invitation=invitation, by=request.user)
        messages.success(
            request, _("The invitation for %(email)s was revoked.") % {"email": invitation.email}
        )
    return fragment_or_redirect(
        request,
        "accounts/settings/invitations.html#invitations-panel",
        lambda: _invitations_context(request),
        "invitations",
        slug=request.workspace.slug,
    )


# --- Accepting an invitation (the invitee is not a member yet) ------------------------------------------


@require_http_methods(["GET", "POST"])
@user_error_page("accounts/invitation_invalid.html", status=410)  # unknown, expired, used, revoked...
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    services.invitation_check_usable(invitation)

    user = request.user
    if user.is_authenticated:
        matches = EmailAddress.objects.filter(user=user, email__iexact=invitation.email).exists()
        if request.method == "POST" and matches:
            member = services.invitation_accept(token=token, user=user)
            messages.success(request, _("Welcome to %(workspace)s!") % {"workspace": member.workspace.name})
            return redirect("workspace_home", slug=member.workspace.slug)
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "matches": matches}
        )

    if User.objects.filter(email__iexact=invitation.email).exists():
        login_url = reverse("account_login") + "?next=" + request.path
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "login_url": login_url}
        )

    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        new_user, member = services.invitation_accept_as_new_user(
            token=token,
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(workspace)s!") % {"workspace": member.workspace.name})
        return redirect("workspace_home", slug=member.workspace.slug)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


# --- The person's own preferences -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    user: User = request.user
    initial = {"display_name": user.display_name, "language": user.language, "timezone": user.timezone}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        avatar = form.cleaned_data.get("avatar")
        services.user_update_profile(
            user=user,
            display_name=form.cleaned_data["display_name"],
            language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
            avatar=avatar or None,
            clear_avatar=avatar is False,
        )
        response = redirect("profile")
        if user.language:
            translation.activate(user.language)
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        messages.success(request, _("Your profile was saved."))
        return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: remembered on the account when signed in, in a cookie anyway."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
