import math

import chainer
import numpy
import pytest

from began import objective
from began.coverage import terms


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


def test_pull_away_by_hand():
    # unit codes (1,0), (1,1)/sqrt2, (0,1): squared cosines 1/2, 0, 1/2 over
    # the 3 pairs, each counted twice of n(n-1) = 6 ordered pairs: 1/3
    h = numpy.array([[1.0, 0.0], [2.0, 2.0], [0.0, 3.0]], numpy.float32)
    assert float(terms.pull_away(h, 0.3).array) == pytest.approx(0.1, rel=1e-4)
    same = numpy.tile(numpy.array([[0.5, -2.0, 1.0]], numpy.float32), (4, 1))
    assert float(terms.pull_away(same, 1.0).array) == pytest.approx(1.0, rel=1e-4)
    assert float(terms.pull_away(numpy.eye(4, dtype=numpy.float32), 1.0).array) \
        == pytest.approx(0.0, abs=1e-7)


def test_pull_away_gradient_spreads_codes():
    h = chainer.Variable(numpy.array([[1.0, 0.1], [1.0, -0.1]], numpy.float32))
    terms.pull_away(h, 1.0).backward()
    # descending it turns the two codes apart: their second components part
    assert -h.grad[0, 1] > 0 > -h.grad[1, 1]


def test_latent_projection():
    eye = terms.latent_projection(4, 4, 0)
    numpy.testing.assert_array_equal(eye, numpy.eye(4))
    down = terms.latent_projection(6, 3, 0)           # n_z > n_h: orthonormal columns
    numpy.testing.assert_allclose(down.T @ down, numpy.eye(3), atol=1e-5)
    up = terms.latent_projection(3, 6, 0)             # n_z < n_h: orthonormal rows
    numpy.testing.assert_allclose(up @ up.T, numpy.eye(3), atol=1e-5)
    numpy.testing.assert_array_equal(terms.latent_projection(6, 3, 0), down)
    assert not numpy.allclose(terms.latent_projection(6, 3, 1), down)


def test_latent_recovery_by_hand():
    h = numpy.array([[1.0, 2.0], [0.0, 0.0]], numpy.float32)
    z = numpy.array([[0.5, -1.0], [0.25, 0.25]], numpy.float32)
    # |0.5| + |3| + |0.25| + |0.25| = 4 over 4, times 0.1
    value = terms.latent_recovery(h, z, numpy.eye(2, dtype=numpy.float32), 0.1)
    assert float(value.array) == pytest.approx(0.1)
    swap = numpy.array([[0.0, 1.0], [1.0, 0.0]], numpy.float32)   # P z swaps z's parts
    value = terms.latent_recovery(h, z, swap, 1.0)
    # |1 + 1| + |2 - 0.5| + 0.25 + 0.25 = 4 over 4
    assert float(value.array) == pytest.approx(1.0)


@pytest.mark.parametrize('real, fake, gamma, how, expected', [
    (0.4, 0.1, 0.5, 'difference', 0.1),        # 0.5 * 0.4 - 0.1
    (0.4, 0.1, 0.5, 'ratio', 0.25),            # 0.5 - 0.1 / 0.4
    (0.04, 0.2, 0.5, 'difference', -0.18),
    (0.04, 0.2, 0.5, 'ratio', -4.5),           # the same sign, 25 times the step
])
def test_balance(real, fake, gamma, how, expected):
    assert objective.balance(real, fake, gamma, how) == pytest.approx(expected)


def test_update_k_on_the_ratio():
    # 0.2 + 0.01 * (0.5 - 0.1 / 0.4) = 0.2025
    assert objective.update_k(0.2, 0.4, 0.1, 0.5, 0.01, 'ratio') == pytest.approx(0.2025)
    assert objective.update_k(0.2, 0.04, 0.2, 0.5, 0.1, 'ratio') == 0.0   # clipped


def test_code_matching_by_hand():
    h_fake = numpy.array([[1.0, 2.0], [3.0, 4.0]], numpy.float32)       # mean (2, 3)
    h_real = numpy.array([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]], numpy.float32)  # mean (1, 1)
    # gap (1, 2): (1 + 4) / 2 = 2.5, times 0.2
    assert float(terms.code_matching(h_fake, h_real, 0.2).array) == pytest.approx(0.5)
    # the real codes are a target: no gradient flows into them
    fake, real = chainer.Variable(h_fake), chainer.Variable(h_real)
    terms.code_matching(fake, real, 1.0).backward()
    assert real.grad is None
    numpy.testing.assert_allclose(fake.grad, [[0.5, 1.0], [0.5, 1.0]])   # 2 gap / 2 / 2


def test_capped_fake_loss_by_hand():
    fake = chainer.Variable(numpy.array([[0.0, 0.0], [1.0, 1.0]], numpy.float32))
    rec = chainer.Variable(numpy.array([[0.5, -0.5], [0.0, 0.0]], numpy.float32))
    # errors per sample 0.5 and 1.0; the second capped at 0.8: (0.5 + 0.8) / 2
    loss = terms.capped_fake_loss(fake, rec, 0.8)
    assert float(loss.array) == pytest.approx(0.65)
    loss.backward()
    # the capped sample gives no gradient; the other sign(rec - fake) / 4
    numpy.testing.assert_allclose(rec.grad, [[0.25, -0.25], [0.0, 0.0]])
    assert float(terms.capped_fake_loss(fake, rec, 5.0).array) == pytest.approx(0.75)


def test_median_squared_distance():
    # pairs of (0, 0), (3, 0), (0, 4): squared distances 9, 16, 25
    real = numpy.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], numpy.float32)
    assert terms.median_squared_distance(real) == pytest.approx(16.0)


def test_mmd_by_hand():
    # reals 0 and 2: median squared distance 4, one bandwidth s^2 = 4, so
    # k(d^2) = exp(-d^2 / 8). Fakes 0 and 1:
    #   fake-fake k(1), real-real k(4), fake-real (k(0) + k(4) + 2 k(1)) / 4
    #   MMD^2 = e^-1/8 + e^-1/2 - (1 + e^-1/2 + 2 e^-1/8) / 2 = (e^-1/2 - 1) / 2
    fake = chainer.Variable(numpy.array([[0.0], [1.0]], numpy.float32))
    real = numpy.array([[0.0], [2.0]], numpy.float32)
    value = terms.mmd(fake, real, 0.5, scales=(1.0,))
    assert float(value.array) == pytest.approx(0.5 * (math.exp(-0.5) - 1) / 2, rel=1e-5)
    value.backward()
    # d/df0: the pair term e^-1/8 / 4, the real-0 term 0, the real-2 term
    # -(1/2) e^-1/2 (2/4); d/df1: -e^-1/8 / 4, the two reals cancel. Times 0.5.
    numpy.testing.assert_allclose(
        fake.grad, 0.5 * numpy.array([[math.exp(-1 / 8) / 4 - math.exp(-0.5) / 4],
                                      [-math.exp(-1 / 8) / 4]]), rtol=1e-5)


def test_mmd_widths_double_from_the_narrowest_up_to_2():
    assert terms.MMD_SCALES == (0.125, 0.25, 0.5, 1.0, 2.0)   # --mmd-narrowest's default
    assert terms.mmd_scales(1 / 64) == (1 / 64, 1 / 32, 1 / 16, 0.125, 0.25, 0.5, 1.0, 2.0)
    assert terms.mmd_scales(0.3) == pytest.approx((0.3, 0.6, 1.2))
    assert terms.mmd_scales(2) == (2,)


def test_mmd_mixture_of_bandwidths_and_no_gradient_to_reals():
    fake = chainer.Variable(numpy.array([[0.0], [1.0]], numpy.float32))
    real = chainer.Variable(numpy.array([[0.0], [2.0]], numpy.float32))
    # two bandwidths: the mean of the one-bandwidth values
    one = [float(terms.mmd(fake, real, 1.0, scales=(s,)).array) for s in (0.5, 1.0)]
    both = terms.mmd(fake, real, 1.0, scales=(0.5, 1.0))
    assert float(both.array) == pytest.approx(sum(one) / 2, rel=1e-5)
    both.backward()
    assert real.grad is None and fake.grad is not None


def test_mmd_sees_a_collapsed_batch():
    """Two modes: a batch all in one mode scores far above another draw
    of the same two modes."""
    rs = numpy.random.RandomState(0)
    centres = numpy.array([[2.0, 0.0], [-2.0, 0.0]], numpy.float32)

    def draw():   # 64 independent points
        return centres[rs.randint(0, 2, 64)] + rs.normal(size=(64, 2)).astype(numpy.float32) * 0.05
    real, other = draw(), draw()
    collapsed = numpy.repeat(real[:1], 64, axis=0)
    assert float(terms.mmd(collapsed, real, 1.0).array) \
        > 10 * abs(float(terms.mmd(other, real, 1.0).array))
    with pytest.raises(ValueError):
        terms.mmd(collapsed[:1], real, 1.0)
