"""began.fast_cpu.conv against chainer.functions.convolution_2d: forward and
every gradient, odd sizes, strides, paddings, kernels, with and without
bias, batch chunks, both input layouts and both input-gradient methods."""
import chainer
import chainer.functions as F
import numpy
import pytest

from began.fast_cpu import conv

CASES = [  # N, C, O, H, W, k, stride, pad
    (3, 5, 7, 9, 8, 3, 1, 1),     # O > C: columns' gradient added back (col2im)
    (2, 4, 6, 6, 7, 3, 1, 1),     # (with small_winograd: Winograd, odd width)
    (2, 6, 2, 7, 7, 3, 1, 1),     # O < C, stride 1: gradient as a convolution of gy
    (4, 3, 6, 11, 10, 4, 2, 1),   # the encoder's 4x4 stride 2
    (3, 4, 5, 8, 9, 3, 2, 0),
    (2, 3, 4, 5, 6, 1, 1, 0),
    (2, 8, 3, 6, 6, 5, 1, 2),
    (2, 3, 4, 7, 5, 2, 3, 2),     # padding wider than the stride
    (1, 2, 3, 4, 4, 3, 1, 0),
]


def result(convolution, x, W, b, stride, pad, gy):
    """y and the gradients of x, W (and b) of ``convolution`` for output gradient gy."""
    x, W = chainer.Variable(x), chainer.Variable(W)
    b = None if b is None else chainer.Variable(b)
    y = convolution(x, W, b, stride=stride, pad=pad)
    inputs = [v for v in (x, W, b) if v is not None]
    return y.array, [g.array for g in chainer.grad([y], inputs, [chainer.Variable(gy)])]


def chainer_result(*args):
    return result(F.convolution_2d, *args)


def fast_result(*args):
    return result(conv.convolution_2d, *args)


def channel_major_view(a):
    return numpy.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


@pytest.fixture(params=['direct', 'winograd'])
def method(request, monkeypatch):
    """'winograd': every 3x3 stride-1 'same' convolution takes Winograd's
    F(2x2, 3x3), not only those on big images with many channels."""
    if request.param == 'winograd':
        monkeypatch.setattr(conv, 'WINOGRAD_MIN_PIXELS', 1)
        monkeypatch.setattr(conv, 'WINOGRAD_MIN_CHANNELS', 1)
    return request.param


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('chunk_bytes', [conv.CHUNK_BYTES, 300])
@pytest.mark.parametrize('bias', [True, False])
def test_matches_chainer_float64(monkeypatch, method, case, chunk_bytes, bias):
    monkeypatch.setattr(conv, 'CHUNK_BYTES', chunk_bytes)  # 300: one image a chunk
    N, C, O, H, W, k, s, p = case
    rs = numpy.random.RandomState(sum(case))
    x, w = rs.randn(N, C, H, W), rs.randn(O, C, k, k)
    b = rs.randn(O) if bias else None
    gy = rs.randn(*F.convolution_2d(x, w, b, stride=s, pad=p).shape)
    y_ref, g_ref = chainer_result(x, w, b, s, p, gy)
    for layout in (lambda a: a, channel_major_view):
        y, g = fast_result(layout(x), w, b, s, p, layout(gy))
        numpy.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
        assert len(g) == len(g_ref)
        for mine, ref in zip(g, g_ref):
            assert mine.shape == ref.shape
            numpy.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize('case', CASES[:4])
def test_matches_chainer_float32(method, case):
    N, C, O, H, W, k, s, p = case
    rs = numpy.random.RandomState(1)
    x = rs.randn(N, C, H, W).astype(numpy.float32)
    w = rs.randn(O, C, k, k).astype(numpy.float32)
    b = rs.randn(O).astype(numpy.float32)
    gy = rs.randn(*F.convolution_2d(x, w, b, stride=s, pad=p).shape).astype(numpy.float32)
    y_ref, g_ref = chainer_result(x, w, b, s, p, gy)
    y, g = fast_result(x, w, b, s, p, gy)
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
    for mine, ref in zip(g, g_ref):
        assert mine.dtype == numpy.float32
        numpy.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-5)


def test_winograd_is_used_where_it_pays():
    assert conv.use_winograd((256, 16, 12, 12), (512, 256, 3, 3), (1, 1), (1, 1))
    assert conv.use_winograd((512, 16, 6, 6), (1024, 512, 3, 3), (1, 1), (1, 1))
    assert not conv.use_winograd((512, 16, 3, 3), (1024, 512, 3, 3), (1, 1), (1, 1))
    assert not conv.use_winograd((64, 16, 24, 24), (128, 64, 3, 3), (1, 1), (1, 1))
    assert not conv.use_winograd((64, 16, 48, 48), (12, 64, 3, 3), (1, 1), (1, 1))
    assert not conv.use_winograd((256, 16, 12, 12), (512, 256, 4, 4), (2, 2), (1, 1))


def test_only_the_gradients_asked_for(method):
    """The input's gradient alone (D's fake branch while k_t = 0), or the
    weights' alone (a first layer, whose input needs none)."""
    rs = numpy.random.RandomState(2)
    x, w, b = rs.randn(2, 3, 6, 6), rs.randn(4, 3, 3, 3), rs.randn(4)
    gy = rs.randn(2, 4, 6, 6)
    _, (gx_ref, gw_ref, gb_ref) = chainer_result(x, w, b, 1, 1, gy)
    xv, wv, bv = chainer.Variable(x), chainer.Variable(w), chainer.Variable(b)
    y = conv.convolution_2d(xv, wv, bv, stride=1, pad=1)
    gx, = chainer.grad([y], [xv], [chainer.Variable(gy)])
    numpy.testing.assert_allclose(gx.array, gx_ref, rtol=1e-12)
    y = conv.convolution_2d(xv, wv, bv, stride=1, pad=1)
    gw, gb = chainer.grad([y], [wv, bv], [chainer.Variable(gy)])
    numpy.testing.assert_allclose(gw.array, gw_ref, rtol=1e-12)
    numpy.testing.assert_allclose(gb.array, gb_ref, rtol=1e-12)


def test_a_second_backward_pass_recomputes_the_transforms(method):
    rs = numpy.random.RandomState(4)
    x, w = chainer.Variable(rs.randn(2, 3, 4, 4)), chainer.Variable(rs.randn(5, 3, 3, 3))
    y = F.sum(conv.convolution_2d(x, w, None, 1, 1) ** 2)
    first = [g.array for g in chainer.grad([y], [x, w], retain_grad=True)]
    second = [g.array for g in chainer.grad([y], [x, w])]
    for a, b in zip(first, second):
        numpy.testing.assert_array_equal(a, b)


def test_output_is_stored_channel_major(method):
    x = numpy.ones((2, 3, 5, 5), numpy.float32)
    y = conv.convolution_2d(x, numpy.ones((4, 3, 3, 3), numpy.float32), None, 1, 1)
    assert y.shape == (2, 4, 5, 5)
    assert y.array.transpose(1, 0, 2, 3).flags.c_contiguous


def test_no_double_backprop():
    x = chainer.Variable(numpy.ones((1, 1, 3, 3)))
    w = chainer.Variable(numpy.ones((1, 1, 3, 3)))
    y = F.sum(conv.convolution_2d(x, w, None, 1, 1))
    gx, = chainer.grad([y], [x], enable_double_backprop=True)
    with pytest.raises(NotImplementedError, match='--no-fast-cpu'):
        chainer.grad([F.sum(gx)], [w])
