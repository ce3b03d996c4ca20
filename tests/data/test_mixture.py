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
    assert mode_metrics(points) == {'modes': 1, 'high_quality': 100.0}
    far = numpy.zeros((100, 2))  # the origin is far from every mode
    assert mode_metrics(far) == {'modes': 0, 'high_quality': 0.0}


def test_iterator_is_a_function_of_seed_and_iteration():
    a = MixtureIterator(16, 5, seed=7)
    batches = [a.next() for _ in range(7)]
    assert a.epoch == 1 and a.epoch_detail == pytest.approx(1.4)
    b = MixtureIterator(16, 5, seed=7)
    b.iteration = 3
    numpy.testing.assert_array_equal(b.next(), batches[3])
    assert not numpy.array_equal(MixtureIterator(16, 5, seed=8).next(), batches[0])
