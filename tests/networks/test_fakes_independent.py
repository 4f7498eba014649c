"""The fakes carry their own rules, written from the networks' documentation: none imports the clients.

A fake that measured text with the client's `x_weighted_length`, or accepted exactly the client's
`LINKEDIN_VERSION`, would agree with the client whatever the client got wrong (issue 12, item 8).
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import httpx
import pytest

from networks.fakes import linkedin as linkedin_fake
from networks.fakes.linkedin import LinkedInFake, active_versions_on
from networks.fakes.x_text import weighted_length

FAKES = Path(linkedin_fake.__file__).parent


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_no_fake_imports_a_provider_client() -> None:
    offenders = {
        path.name: [name for name in _imports(path) if name.startswith("networks.providers")]
        for path in sorted(FAKES.glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 280, 280),  # Latin: weight 1
        ("e\u0301" * 10, 10),  # "e" + combining acute is NFC-normalised to one code point
        ("日本語", 6),  # CJK: weight 2
        ("see https://example.com/" + "x" * 100, 4 + 23),  # any link counts 23
        ("👍🏽", 2),  # emoji with a skin tone: one emoji, weight 2
        ("👨‍👩‍👧", 2),  # a ZWJ family: one emoji
        ("🇫🇷", 2),  # a flag: a pair of regional indicators
        ("“quoted” — dash", 15),  # general punctuation ranges weigh 1
    ],
)
def test_the_x_fake_weighs_text_as_twitter_text_v3(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_linkedin_versions_are_a_year_of_monthly_releases() -> None:
    active = active_versions_on(dt.date(2026, 12, 2))
    assert {"202612", "202601", "202512"} <= active
    assert "202511" not in active  # sunset: more than a year old
    assert "202701" not in active  # not released yet


def test_the_linkedin_fake_answers_426_to_a_sunset_version() -> None:
    with LinkedInFake(active_versions=active_versions_on(dt.date(2026, 12, 2))) as fake:
        member = fake.add_member("Ada")
        org = fake.add_organization("Acme", admins=[member])
        token = fake.issue_token(member)["access_token"]
        with httpx.Client() as http:

            def ask(version: str) -> httpx.Response:
                return http.get(
                    f"{fake.base_url}/rest/posts",
                    params={"q": "author", "author": org},
                    headers={
                        "Authorization": f"Bearer {token}",
                        "LinkedIn-Version": version,
                        "X-Restli-Protocol-Version": "2.0.0",
                    },
                )

            assert ask("202606").status_code == 200
            assert ask("202606.01").status_code == 200  # a patch release of an active month
            sunset = ask("202511")
            assert sunset.status_code == 426
            assert sunset.json() == {
                "status": 426,
                "serviceErrorCode": 0,
                "code": "NONEXISTENT_VERSION",
                "message": "Requested version 202511 is not active",
            }
