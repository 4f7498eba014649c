"""Steps every browser journey shares."""

from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, user) -> None:
    """Sign in through the real allauth form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
