"""The backfill bench's memory figure: warm-up left out, a steady climb reported."""

from bench.backfill import growth


def test_growth_leaves_out_the_warm_up_and_compares_medians():
    warm_up = [10, 50, 90, 100, 100, 100, 100, 100, 100, 100]
    assert growth([*warm_up, *[100] * 90]) == 0


def test_growth_reports_a_steady_climb():
    samples = [100 + n for n in range(100)]
    assert round(growth(samples), 2) == 0.70  # late median 194.5 over early 114.5
