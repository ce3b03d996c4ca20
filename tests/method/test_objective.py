import numpy
import pytest

from began import objective


def test_reconstruction_loss_is_mean_absolute_error():
    v = numpy.array([[1.0, -2.0], [0.5, 0.0]], numpy.float32)
    r = numpy.array([[0.0, 0.0], [0.5, 1.0]], numpy.float32)
    # |1| + |-2| + 0 + |-1| = 4 over 4 elements
    assert float(objective.reconstruction_loss(v, r).array) == pytest.approx(1.0)


def test_losses():
    assert objective.discriminator_loss(0.3, 0.2, 0.5) == pytest.approx(0.2)
    assert objective.generator_loss(0.2) == pytest.approx(0.2)


@pytest.mark.parametrize('k, real, fake, gamma, lam, expected', [
    (0.0, 0.4, 0.1, 0.5, 0.001, 0.0001),       # 0.001 * (0.2 - 0.1)
    (0.5, 0.4, 0.3, 0.5, 0.001, 0.4999),       # 0.5 + 0.001 * (0.2 - 0.3)
    (0.0, 0.1, 0.5, 0.5, 0.001, 0.0),          # would go below 0: clipped
    (0.9999, 1.0, 0.0, 1.0, 0.01, 1.0),        # would pass 1: clipped
    (0.3, 0.4, 0.2, 0.5, 0.0, 0.3),            # lambda_k = 0 freezes k
])
def test_update_k(k, real, fake, gamma, lam, expected):
    assert objective.update_k(k, real, fake, gamma, lam) == pytest.approx(expected)


def test_latent_penalty_is_weighted_mean_square():
    h = numpy.array([[1.0, -3.0], [0.0, 2.0]], numpy.float32)
    # (1 + 9 + 0 + 4) / 4 = 3.5, times 0.1
    assert float(objective.latent_penalty(h, 0.1).array) == pytest.approx(0.35)


def test_convergence_measure():
    # 0.4 + |0.5 * 0.4 - 0.3| = 0.5
    assert objective.convergence_measure(0.4, 0.3, 0.5) == pytest.approx(0.5)
    assert objective.convergence_measure(0.4, 0.2, 0.5) == pytest.approx(0.4)
