"""The shared browser fixture notices what a person would not: a CSP violation or a console error."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csp_violation_is_reported_as_a_problem(page):
    page.goto("/accounts/login/")
    # A form posting to another origin is what form-action 'self' blocks (the connect button's old defect).
    page.evaluate(
        """() => {
          const form = document.createElement("form");
          form.method = "post";
          form.action = "https://elsewhere.example/authorize";
          document.body.append(form);
          form.submit();
        }"""
    )
    page.wait_for_function("() => true")
    page.wait_for_timeout(300)
    assert any("CSP violation: form-action blocked https://elsewhere.example" in p for p in page.problems)
    # Chromium also logs its own line for the same block; both are this test's doing.
    page.problems[:] = [p for p in page.problems if "elsewhere.example" not in p]


def test_a_console_error_is_reported_as_a_problem(page):
    page.goto("/accounts/login/")
    page.evaluate("() => console.error('something broke')")
    assert page.problems == ["something broke"]
    page.problems.clear()
