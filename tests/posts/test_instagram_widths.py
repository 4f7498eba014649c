"""Instagram images wider than 1440 px or narrower than 320 px are scaled by our renditions, not refused
(issue 13, item 9): the whole path a post takes before review, upload to the checks the network applies."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from accounts.models import Membership
from networks.models import Channel
from posts.services import media_upload, post_create, post_problems


def _jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("size", [(3000, 3000), (2400, 1600), (200, 200), (300, 250)])
def test_an_instagram_post_with_a_too_wide_or_too_narrow_image_has_no_problem(workspace, agent, size):
    channel = Channel.objects.create(
        workspace=workspace,
        network="instagram",
        external_id="17841400000000001",
        name="Acme on Instagram",
        api_base_url="http://127.0.0.1:9",
    )
    member = Membership.objects.get(user=agent, workspace=workspace)
    asset = media_upload(member=member, name="photo.jpg", data=_jpeg(size))
    post = post_create(author=member, text="Fresh croissants at 8!", channels=[channel], media=[asset])

    assert post_problems(post) == {}
