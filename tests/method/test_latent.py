"""The prior of z: uniform, or with --z-categories a one-hot category first."""
import numpy
import pytest

from began.rng import category_scale, random_state, sample_z


def test_uniform_z_unchanged_by_the_option_when_off():
    a = sample_z(random_state(numpy, 3, 'step', 7), 5, 6)
    b = sample_z(random_state(numpy, 3, 'step', 7), 5, 6, categories=0)
    numpy.testing.assert_array_equal(a, b)
    assert a.dtype == numpy.float32 and a.min() >= -1 and a.max() <= 1


def test_category_scale_by_hand():
    assert category_scale(256, 64) == pytest.approx(8.0)     # sqrt(192 / 3)
    assert category_scale(50, 2) == pytest.approx(4.0)       # sqrt(48 / 3)
    assert category_scale(4, 3) == 1.0                       # never below 1


def test_categorical_z():
    z = sample_z(random_state(numpy, 0, 'step', 0), 2000, 67, categories=16)
    one_hot, rest = z[:, :16], z[:, 16:]
    scale = category_scale(67, 16)                           # sqrt(51 / 3)
    # one coordinate of the first 16 at the scale, the others 0
    assert ((one_hot == scale).sum(axis=1) == 1).all()
    assert ((one_hot == 0).sum(axis=1) == 15).all()
    counts = (one_hot > 0).sum(axis=0)                       # every category drawn,
    assert counts.min() > 2000 / 16 * 0.6                    # about equally often
    # the rest uniform in [-1, 1], as the uniform z's same coordinates
    uniform = sample_z(random_state(numpy, 0, 'step', 0), 2000, 67)
    numpy.testing.assert_array_equal(rest, uniform[:, 16:])
