"""began.fast_cpu.batchnorm against Chainer's batch normalisation in
training mode: output, gradients and running statistics, either layout."""
import copy

import chainer
import numpy
import pytest

from began.fast_cpu.layers import BatchNormalization


def channel_major_view(a):
    return numpy.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def run(link, x, gy, fast):
    x = chainer.Variable(x)
    with chainer.using_config('began_fast_cpu', fast):
        y = link(x)
    grads = chainer.grad([y], [x, link.gamma, link.beta], [chainer.Variable(gy)])
    return [y.array] + [g.array for g in grads] + [link.avg_mean.copy(), link.avg_var.copy()]


@pytest.mark.parametrize('layout', [lambda a: a, channel_major_view])
@pytest.mark.parametrize('dtype, tol', [(numpy.float64, 1e-10), (numpy.float32, 2e-5)])
def test_matches_chainer(layout, dtype, tol):
    rs = numpy.random.RandomState(0)
    x = (rs.randn(3, 5, 4, 7) * 3 + 1).astype(dtype)
    gy = rs.randn(*x.shape).astype(dtype)
    link = BatchNormalization(5, dtype=dtype)
    link.gamma.array[...] = rs.randn(5)
    link.beta.array[...] = rs.randn(5)
    theirs = run(copy.deepcopy(link), x, gy, fast=False)
    mine = run(link, layout(x), layout(gy), fast=True)
    for a, b in zip(mine, theirs):
        assert a.dtype == dtype
        numpy.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert mine[0].transpose(1, 0, 2, 3).flags.c_contiguous  # stored channel-major


def test_not_used_in_test_mode_or_for_vectors():
    link = BatchNormalization(4)
    with chainer.using_config('train', False):
        assert type(link(numpy.ones((2, 4, 3, 3), numpy.float32)).creator_node).__module__ \
            .startswith('chainer.')
    assert type(link(numpy.ones((2, 4), numpy.float32)).creator_node).__module__ \
        .startswith('chainer.')
