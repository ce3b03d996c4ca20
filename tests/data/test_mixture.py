import math

import numpy
import pytest

from began.data.mixture import MixtureIterator, mode_centers, sample_mixture
from began.metrics.mixture_modes import mode_metrics


def test_centres_are_on_the_ring_first_at_minus_half_pi():
    centers = mode_centers(8, 2.0)
    numpy.testing.assert_allclose(numpy.linalg.norm(centers, axis=1), 2.0, rtol=1e-6)
    numpy.testing.assert_allclose(centers[0], [0.0, -2.0], atol=1e-6)


def test_samples_have_the_spec_std():
    points = sample_mixture(numpy.random.RandomState(0), 20000, std=0.04)
    centers = mode_centers()
    nearest = numpy.linalg.norm(points[:, None] - centers[None], axis=2).argmin(1)
    offsets = points - centers[nearest]
    assert offsets.std() == pytest.approx(0.04, rel=0.05)


def test_metrics_of_true_samples_capture_all_modes():
    metrics = mode_metrics(sample_mixture(numpy.random.RandomState(1), 2500))
    assert metrics['modes'] == 8
    # Within 3 std in 2-D: 1 - exp(-4.5) = 98.9%
    assert metrics['high_quality'] == pytest.approx(98.9, abs=1.0)


def test_metrics_of_a_collapsed_generator():
    points = numpy.tile(mode_centers()[3], (2500, 1))
    assert mode_metrics(points) == {'modes': 1, 'high_quality': 100.0,
                                    'kl': pytest.approx(math.log(8)), 'spread': 0.0,
                                    'well_covered': 1}
    far = numpy.zeros((100, 2))  # the origin is far from every mode
    metrics = mode_metrics(far)
    assert metrics['modes'] == 0 and metrics['high_quality'] == 0.0
    assert math.isnan(metrics['kl']) and math.isnan(metrics['spread'])
    assert metrics['well_covered'] == 0


def test_iterator_is_a_function_of_seed_and_iteration():
    a = MixtureIterator(16, 5, seed=7)
    batches = [a.next() for _ in range(7)]
    assert a.epoch == 1 and a.epoch_detail == pytest.approx(1.4)
    b = MixtureIterator(16, 5, seed=7)
    b.iteration = 3
    numpy.testing.assert_array_equal(b.next(), batches[3])
    assert not numpy.array_equal(MixtureIterator(16, 5, seed=8).next(), batches[0])


def test_the_post_ring_is_drawn_as_before():
    """The default ring's sampling is the original formula, draw for draw
    (resumed runs and their tests rely on it)."""
    rs, again = numpy.random.RandomState(3), numpy.random.RandomState(3)
    modes = again.randint(0, 8, 50)
    angles = -math.pi / 2 + 2 * math.pi * modes / 8
    want = 2.0 * numpy.stack([numpy.cos(angles), numpy.sin(angles)], 1) \
        + again.normal(0, 0.04, (50, 2))
    numpy.testing.assert_allclose(sample_mixture(rs, 50), want, rtol=1e-6, atol=1e-6)
    # 8 distinct angles (linspace(0, 2 pi, 8) would give 7)
    assert len({tuple(c) for c in numpy.round(mode_centers(8, 1.0), 6)}) == 8


def test_grid_of_25_centres():
    centers = mode_centers(25, 4.0, 'grid')
    assert centers.shape == (25, 2)
    assert sorted({float(v) for v in centers.ravel()}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in centers}) == 25
    with pytest.raises(ValueError, match='square'):
        mode_centers(8, 4.0, 'grid')


def test_grid_samples_and_metrics():
    points = sample_mixture(numpy.random.RandomState(0), 2500, 25, 4.0, 0.05, 'grid')
    metrics = mode_metrics(points, 25, 4.0, 0.05, 'grid')
    assert metrics['modes'] == 25
    assert metrics['high_quality'] == pytest.approx(98.9, abs=1.0)
    assert metrics['kl'] < 0.02      # sampling noise only: about 24 / (2 * 2500)
    # the 3-std cut trims a perfect sampler's spread to 0.97
    assert metrics['spread'] == pytest.approx(0.97, abs=0.03)
    assert metrics['well_covered'] == 25
    # the same points read as a ring score nothing
    assert mode_metrics(points, 8, 2.0, 0.04)['modes'] < 8


def test_mode_kl_by_hand():
    centers = mode_centers(8, 2.0)
    points = numpy.concatenate([numpy.tile(centers[0], (30, 1)), numpy.tile(centers[5], (10, 1)),
                                numpy.zeros((60, 2))])   # the origin is low quality: ignored
    metrics = mode_metrics(points)
    # p = (3/4, 1/4) on two of 8 modes: 3/4 ln(6) + 1/4 ln(2)
    assert metrics['kl'] == pytest.approx(0.75 * math.log(6) + 0.25 * math.log(2))
    assert metrics['modes'] == 2 and metrics['high_quality'] == pytest.approx(40.0)


def test_iterator_draws_the_grid():
    batch = MixtureIterator(64, 5, 0, 25, 4.0, 0.05, 'grid').next()
    assert numpy.abs(batch).max() < 4.5 and numpy.abs(batch).max() > 3.5


def test_a_segment_through_a_mode_is_covered_but_not_well_covered():
    """True samples on 24 modes of the grid; the 25th mode's share laid on a
    line from it to its neighbour: captured (a few points sit within 3 std),
    not well covered (far fewer than a quarter of its 100 samples)."""
    rs = numpy.random.RandomState(2)
    centers = mode_centers(25, 4.0, 'grid')
    true = sample_mixture(rs, 2400, 25, 4.0, 0.05, 'grid')
    near = numpy.linalg.norm(true[:, None] - centers[None], axis=2).argmin(1)
    true = true[near != 12]   # mode 12, the centre (0, 0), left out
    t = numpy.linspace(0, 1, 100)[:, None]
    segment = centers[12] * (1 - t) + centers[13] * t
    metrics = mode_metrics(numpy.concatenate([true, segment]), 25, 4.0, 0.05, 'grid')
    assert metrics['modes'] == 25
    assert metrics['well_covered'] == 24


def test_narrow_modes_have_a_small_spread():
    points = sample_mixture(numpy.random.RandomState(4), 2500, std=0.02)   # half the std
    metrics = mode_metrics(points)   # scored against the true std 0.04
    assert metrics['spread'] == pytest.approx(0.5, abs=0.03)
    assert metrics['well_covered'] == 8
