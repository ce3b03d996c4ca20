"""The sliced Wasserstein term: zero on the reals themselves, a per-point
pull toward a real partner, free of the data's scale, and on in the step."""
import chainer
import numpy
import pytest

from began.coverage.transport import sliced_wasserstein


def draw(seed=0):
    return numpy.random.RandomState(seed)


def test_zero_on_the_reals_and_scale_free():
    real = draw(1).normal(size=(64, 3)).astype(numpy.float32)
    same = sliced_wasserstein(chainer.Variable(real[::-1].copy()), real, 1.0, draw())
    assert float(same.array) == pytest.approx(0.0, abs=1e-6)
    collapsed = numpy.tile(real.mean(0), (64, 1))
    loss = float(sliced_wasserstein(chainer.Variable(collapsed), real, 1.0, draw()).array)
    scaled = float(sliced_wasserstein(chainer.Variable(10 * collapsed), 10 * real, 1.0,
                                      draw()).array)
    assert loss == pytest.approx(1.0, abs=0.15) and scaled == pytest.approx(loss, rel=1e-4)


def test_pulls_a_fake_between_two_modes_onto_one():
    """Reals on two points; one fake of four sits halfway: its gradient
    points toward a mode along the line, the others' stay small."""
    real = numpy.array([[-1, 0]] * 8 + [[1, 0]] * 8, numpy.float32)
    fake = chainer.Variable(numpy.array([[-1, 0], [-1, 0], [0.05, 0], [1, 0]], numpy.float32))
    loss = sliced_wasserstein(fake, real, 1.0, draw(), directions=256)
    loss.backward()
    grad = fake.grad
    assert grad[2, 0] < 0     # descending moves it to +x, toward (1, 0)
    assert abs(grad[2, 0]) > 5 * numpy.abs(grad[[0, 1, 3]]).max()


def test_fewer_reals_than_fakes():
    real = draw(2).normal(size=(8, 2)).astype(numpy.float32)
    fake = chainer.Variable(draw(3).normal(size=(32, 2)).astype(numpy.float32))
    assert numpy.isfinite(float(sliced_wasserstein(fake, real, 1.0, draw()).array))
    with pytest.raises(ValueError, match='2 real points'):
        sliced_wasserstein(fake, real[:1], 1.0, draw())
