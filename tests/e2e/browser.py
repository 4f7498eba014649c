"""Steps every browser journey shares."""

from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, user) -> None:
    """Sign in through the real allauth form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def sign_in_french(page, user) -> None:
    """The same sign-in, on the form as a browser set to French shows it."""
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
