"""A delivery's key (core.delivery.delivery_key): what Mastodon's Idempotency-Key and Bluesky's record key
are made from, so it must stay the same across attempts and differ everywhere else."""

from __future__ import annotations

from core.delivery import delivery_key


def test_the_same_delivery_has_the_same_key_at_every_attempt():
    assert delivery_key("reply", 42) == delivery_key("reply", 42)


def test_deliveries_pipelines_and_deployments_have_keys_of_their_own(settings):
    keys = {delivery_key("reply", 42), delivery_key("reply", 43), delivery_key("post", 42)}
    settings.SECRET_KEY = "another deployment's secret key, long enough to be one"
    keys.add(delivery_key("reply", 42))
    assert len(keys) == 4
    assert all(key.isascii() and len(key) <= 64 and " " not in key for key in keys)
