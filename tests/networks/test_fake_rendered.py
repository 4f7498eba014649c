"""A frozen fake (benchmarks) replays each GET as first rendered, and renders again after any change."""

from __future__ import annotations

import httpx
import pytest

from networks.fakes import graph_state as gs
from networks.fakes.graph import GraphFake


@pytest.fixture
def fake():
    with GraphFake() as running:
        page = running.add_page("Frozen Bakery", page_id="555", token="frozen-token")
        post = running.add_post(page.id, "Croissants today")
        running.add_comment(post.id, "First!", author={"id": "fan1", "name": "Fan One"})
        running.freeze()
        yield running, page, post


def comments(fake: GraphFake, post, token: str = "frozen-token") -> httpx.Response:  # noqa: S107
    return httpx.get(f"{fake.base_url}/v25.0/{post.id}/comments", params={"access_token": token})


def test_a_get_is_rendered_once_and_replayed_byte_for_byte(fake):
    running, _page, post = fake
    first, second = comments(running, post), comments(running, post)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert [c["message"] for c in first.json()["data"]] == ["First!"]
    assert (running.rendered_hits, running.rendered_misses) == (1, 1)


def test_a_change_in_process_shows_once_forgotten(fake):
    running, page, post = fake
    comments(running, post)
    running.add_comment(post.id, "Second", author={"id": "fan2", "name": "Fan Two"})
    assert len(comments(running, post).json()["data"]) == 1  # replayed: not told yet
    running.forget(page.token)
    assert [c["message"] for c in comments(running, post).json()["data"]] == ["First!", "Second"]


def test_forgetting_one_credential_keeps_the_others(fake):
    running, page, post = fake
    other = running.issue_token("page", page.id, "other-token")
    comments(running, post)
    comments(running, post, other)
    running.forget(other)
    comments(running, post)
    comments(running, post, other)
    assert (running.rendered_hits, running.rendered_misses) == (1, 3)


def test_a_write_over_the_api_drops_what_was_rendered(fake):
    running, page, post = fake
    comments(running, post)
    reply = httpx.post(
        f"{running.base_url}/v25.0/{post.id}/comments",
        params={"access_token": page.token},
        data={"message": "Thanks!"},
    )
    assert reply.status_code == 200, reply.text
    assert [c["message"] for c in comments(running, post).json()["data"]] == ["First!", "Thanks!"]


def test_faults_still_reach_a_frozen_fake(fake):
    running, _page, post = fake
    comments(running, post)
    running.inject(gs.server_error_fault(r"/comments$"))
    assert comments(running, post).status_code != 200
    assert comments(running, post).status_code == 200


def test_over_http_a_control_call_freezes_and_reports(fake):
    running, _page, post = fake
    httpx.post(f"{running.base_url}/_fake/freeze", json={})
    comments(running, post)
    comments(running, post)
    stats = httpx.post(f"{running.base_url}/_fake/rendered_stats", json={}).json()
    assert stats == {"hits": 1, "misses": 1}
