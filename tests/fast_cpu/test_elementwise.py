"""began.fast_cpu's ELU and depth2space against Chainer's: the same values
bit for bit, forward and backward, in either memory layout."""
import chainer
import chainer.functions as F
import numpy
import pytest

from began.fast_cpu.depth2space import Depth2Space
from began.fast_cpu.elu import ELU


def channel_major_view(a):
    return numpy.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def value_and_grad(function, x, gy):
    x = chainer.Variable(x)
    y = function(x)
    gx, = chainer.grad([y], [x], [chainer.Variable(gy)])
    return y.array, gx.array


@pytest.mark.parametrize('layout', [lambda a: a, channel_major_view])
def test_elu_is_chainers_bit_for_bit(layout):
    rs = numpy.random.RandomState(0)
    x = (rs.randn(3, 4, 5, 6) * 4).astype(numpy.float32)
    x[0, 0, 0, :4] = [0.0, -0.0, -30.0, 1e-30]
    gy = rs.randn(*x.shape).astype(numpy.float32)
    y_ref, gx_ref = value_and_grad(F.elu, x, gy)
    y, gx = value_and_grad(lambda v: ELU().apply((v,))[0], layout(x), layout(gy))
    numpy.testing.assert_array_equal(y, y_ref)
    numpy.testing.assert_array_equal(gx, gx_ref)
    assert y.strides == layout(x).strides  # the layout is kept


def test_elu_keeps_nan():
    y = ELU().apply((numpy.array([numpy.nan, -1.0, 2.0], numpy.float32),))[0].array
    assert numpy.isnan(y[0]) and y[2] == 2.0


@pytest.mark.parametrize('r', [2, 3])
@pytest.mark.parametrize('layout', [lambda a: a, channel_major_view])
def test_depth2space_is_chainers(r, layout):
    rs = numpy.random.RandomState(r)
    x = rs.randn(2, 5 * r * r, 3, 4).astype(numpy.float32)
    gy = rs.randn(2, 5, 3 * r, 4 * r).astype(numpy.float32)
    y_ref, gx_ref = value_and_grad(lambda v: F.depth2space(v, r), x, gy)
    y, gx = value_and_grad(lambda v: Depth2Space(r).apply((v,))[0], layout(x), layout(gy))
    numpy.testing.assert_array_equal(y, y_ref)
    numpy.testing.assert_array_equal(gx, gx_ref)
    assert y.transpose(1, 0, 2, 3).flags.c_contiguous  # stored channel-major
