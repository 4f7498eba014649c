"""The normalised per-post engagement figures every provider returns (issue 15, Publishing report)."""

import pytest

from networks.providers.base import Capability, PostMetrics, Provider
from networks.providers.x import XProvider


def test_interactions_add_what_the_network_reported():
    metrics = PostMetrics(post_id="1", likes=3, comments=2, shares=1, saves=None, views=40)
    assert metrics.interactions == 6


def test_interactions_are_unknown_not_zero_when_nothing_is_reported():
    # A network that reports only views must not show "0 interactions" in the report.
    assert PostMetrics(post_id="1", views=10).interactions is None


def test_a_provider_without_the_capability_refuses_plainly():
    assert not Provider.supports(Capability.POST_METRICS)
    with pytest.raises(NotImplementedError, match="cannot read post metrics"):
        Provider.post_metrics(XProvider.__new__(XProvider), post_ids=["1"])
