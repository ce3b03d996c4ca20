"""2-D convolution for NumPy arrays: im2col in channel-major layout and one
contiguous matrix product per chunk of the batch.

Chainer's CPU convolution builds an (N, C, kh, kw, oh, ow) column array and
multiplies it with ``numpy.tensordot``, which copies it into a transposed,
contiguous matrix first; its input gradient scatters the columns back with
another transposing product. Here activations are kept channel-major,
(C, N, H, W) in memory (the arrays Chainer sees are transposed views of
them, shaped (N, C, H, W) as usual), so that:

- the columns are built straight into a (C kh kw, N oh ow) matrix whose
  product with the (O, C kh kw) weight matrix is the (O, N, oh, ow) output,
  already channel-major: no transposing copy anywhere;
- the batch goes through in chunks whose columns fit in the CPU's cache,
  so the big column arrays of large images never travel to memory;
- the input gradient of a stride-1 convolution with fewer output than
  input channels is a convolution of the output gradient (small columns,
  no scatter-add); otherwise the columns' gradient is added back (col2im)
  one kernel tap at a time, with plain strided adds and no padded copies.

Same maths as ``chainer.functions.convolution_2d`` (no dilation, groups or
cover_all); sums are ordered differently, so results agree to float32
rounding. Only the first derivative is implemented.
"""
import numpy
from chainer import function_node

from began.fast_cpu import winograd

#: Bytes of column matrix a chunk of the batch may take (a cache-sized
#: piece; the whole batch when one image's columns alone exceed it).
CHUNK_BYTES = 4 << 20
#: Where winograd.py takes over (see use_winograd).
WINOGRAD_MIN_PIXELS, WINOGRAD_MIN_CHANNELS = 36, 128


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _valid(out, size, k_offset, s, p):
    """Output positions o (a range) whose input o s + k_offset - p lies in
    [0, size), and the first such input position."""
    lo = max(0, -(-(p - k_offset) // s))
    hi = min(out, (size - 1 + p - k_offset) // s + 1)
    return lo, max(lo, hi), lo * s + k_offset - p


def im2col(x, kh, kw, sy, sx, ph, pw, oh, ow, col=None):
    """x: (C, n, H, W), any strides -> col: (C, kh, kw, n, oh, ow),
    col[c, i, j, b, y, x] = x[c, b, y sy + i - ph, x sx + j - pw] (0 outside)."""
    C, n, H, W = x.shape
    if col is None:
        col = numpy.empty((C, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        y0, y1, iy = _valid(oh, H, i, sy, ph)
        for j in range(kw):
            x0, x1, ix = _valid(ow, W, j, sx, pw)
            dst = col[:, i, j]
            if y0 > 0:
                dst[:, :, :y0] = 0
            if y1 < oh:
                dst[:, :, y1:] = 0
            if x0 > 0:
                dst[:, :, y0:y1, :x0] = 0
            if x1 < ow:
                dst[:, :, y0:y1, x1:] = 0
            if y1 > y0 and x1 > x0:
                dst[:, :, y0:y1, x0:x1] = x[:, :, iy:iy + (y1 - y0 - 1) * sy + 1:sy,
                                            ix:ix + (x1 - x0 - 1) * sx + 1:sx]
    return col


def col2im(col, sy, sx, ph, pw, H, W, out):
    """Adds col (C, kh, kw, n, oh, ow) back into out (C, n, H, W), zeroed
    first: the transpose of im2col."""
    C, kh, kw, n, oh, ow = col.shape
    out[...] = 0
    for i in range(kh):
        y0, y1, iy = _valid(oh, H, i, sy, ph)
        for j in range(kw):
            x0, x1, ix = _valid(ow, W, j, sx, pw)
            if y1 > y0 and x1 > x0:
                out[:, :, iy:iy + (y1 - y0 - 1) * sy + 1:sy,
                    ix:ix + (x1 - x0 - 1) * sx + 1:sx] += col[:, i, j, :, y0:y1, x0:x1]
    return out


def chunks(n, bytes_per_image):
    """Slices of the batch whose columns take about CHUNK_BYTES."""
    step = max(1, min(n, CHUNK_BYTES // max(1, bytes_per_image)))
    return [slice(a, min(n, a + step)) for a in range(0, n, step)]


def channel_major(x):
    """(N, C, H, W) array -> its (C, N, H, W) transpose, C-contiguous
    (a view when x is already stored channel-major)."""
    return numpy.ascontiguousarray(x.transpose(1, 0, 2, 3))


def conv_cnhw(x, W, stride, pad, b=None):
    """x: (C, N, H, W) -> y: (O, N, oh, ow) (both channel-major)."""
    (C, N, H, Wd), (O, _, kh, kw) = x.shape, W.shape
    (sy, sx), (ph, pw) = stride, pad
    oh, ow = out_size(H, kh, sy, ph), out_size(Wd, kw, sx, pw)
    Wm = W.reshape(O, C * kh * kw)
    y = numpy.empty((O, N, oh, ow), dtype=x.dtype)
    y2 = y.reshape(O, N * oh * ow)
    per_image = C * kh * kw * oh * ow
    col = None
    for s in chunks(N, per_image * x.itemsize):
        n = s.stop - s.start
        if col is None or col.shape[3] != n:
            col = numpy.empty((C, kh, kw, n, oh, ow), dtype=x.dtype)
        im2col(x[:, s], kh, kw, sy, sx, ph, pw, oh, ow, col)
        out = y2[:, s.start * oh * ow:s.stop * oh * ow]
        numpy.matmul(Wm, col.reshape(C * kh * kw, n * oh * ow), out=out)
        if b is not None:
            out += b[:, None]
    return y


class Convolution2D(function_node.FunctionNode):
    """y = conv(x, W) + b on NumPy arrays; y is stored channel-major."""

    def __init__(self, stride, pad):
        self.stride, self.pad = stride, pad

    def forward_cpu(self, inputs):
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        self.retain_inputs((0, 1))
        xc = x.transpose(1, 0, 2, 3)
        self.transforms = None
        if use_winograd(xc.shape, W.shape, self.stride, self.pad):
            y, *self.transforms = winograd.conv3x3(xc, W, b)
        else:
            y = conv_cnhw(xc, W, self.stride, self.pad, b)
        return y.transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        grad = Convolution2DGrad(self.stride, self.pad, indexes, self.transforms)
        self.transforms = None  # (recomputed by a second backward pass)
        return grad.apply((x, W, grad_outputs[0]))


def use_winograd(x_shape, W_shape, stride, pad):
    """Winograd's F(2x2, 3x3) for the 3x3 stride-1 'same' convolutions where
    it pays: images of at least WINOGRAD_MIN_PIXELS (6x6) and at least
    WINOGRAD_MIN_CHANNELS channels in and out. (On smaller images the
    transform of the weights, on fewer channels the transforms of the
    images, cost about what the 2.25x fewer multiplications save; the
    thresholds' measurements: benchmarks/results/design_measurements.md.)"""
    (C, _, H, W), (O, _, kh, kw) = x_shape, W_shape
    return ((kh, kw) == (3, 3) and stride == (1, 1) and pad == (1, 1)
            and H * W >= WINOGRAD_MIN_PIXELS and min(C, O) >= WINOGRAD_MIN_CHANNELS)


class Convolution2DGrad(function_node.FunctionNode):
    """(x, W, gy) -> the gradients (gx, gW, gb) asked for by ``indexes``;
    ``transforms``: the forward pass's Winograd transforms (V, U), if any."""

    def __init__(self, stride, pad, indexes, transforms=None):
        self.stride, self.pad, self.indexes = stride, pad, indexes
        self.transforms = transforms

    def forward_cpu(self, inputs):
        x, W, gy = inputs
        xc = x.transpose(1, 0, 2, 3)
        gyc = channel_major(gy)
        (C, N, H, Wd), (O, _, kh, kw), (_, _, oh, ow) = xc.shape, W.shape, gyc.shape
        (sy, sx), (ph, pw) = self.stride, self.pad
        Q = C * kh * kw
        gy2 = gyc.reshape(O, N * oh * ow)
        out = {}
        if 2 in self.indexes:
            out[2] = gy2.sum(axis=1)
        if use_winograd(xc.shape, W.shape, self.stride, self.pad):
            V, U = self.transforms or (None, None)
            if 1 in self.indexes:
                out[1] = winograd.grad_weight(gyc, winograd.input_transform(xc)
                                              if V is None else V)
            if 0 in self.indexes:
                U = winograd.weight_transform(W) if U is None else U
                out[0] = winograd.grad_input(gyc, U).transpose(1, 0, 2, 3)
            return tuple(out[i] for i in self.indexes)
        if 1 in self.indexes:
            out[1] = self._grad_W(xc, gy2, W.shape, oh, ow).reshape(W.shape)
        if 0 in self.indexes:
            if self.stride == (1, 1) and O < C and kh - 1 >= ph and kw - 1 >= pw:
                # The input gradient is the convolution of gy with the
                # flipped, transposed kernel: small columns, no scatter-add.
                Wf = numpy.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
                gx = conv_cnhw(gyc, Wf, (1, 1), (kh - 1 - ph, kw - 1 - pw))
            else:
                gx = numpy.empty((C, N, H, Wd), dtype=x.dtype)
                Wt = W.reshape(O, Q).T
                gcol = None
                for s in chunks(N, Q * oh * ow * x.itemsize):
                    n = s.stop - s.start
                    if gcol is None or gcol.shape[3] != n:
                        gcol = numpy.empty((C, kh, kw, n, oh, ow), dtype=x.dtype)
                    numpy.matmul(Wt, gy2[:, s.start * oh * ow:s.stop * oh * ow],
                                 out=gcol.reshape(Q, n * oh * ow))
                    col2im(gcol, sy, sx, ph, pw, H, Wd, gx[:, s])
            out[0] = gx.transpose(1, 0, 2, 3)
        return tuple(out[i] for i in self.indexes)

    def _grad_W(self, xc, gy2, shape, oh, ow):
        """gW = gy2 (O, M) times the columns' transpose (M, C kh kw), M = N oh ow:
        chunked over the batch when the partial sums cost less memory
        traffic than whole columns."""
        (C, N, _, _), (O, _, kh, kw) = xc.shape, shape
        (sy, sx), (ph, pw) = self.stride, self.pad
        Q = C * kh * kw
        parts = chunks(N, Q * oh * ow * xc.itemsize)
        if O * len(parts) > N * oh * ow:
            parts = [slice(0, N)]
        gW = col = None
        for s in parts:
            n = s.stop - s.start
            if col is None or col.shape[3] != n:
                col = numpy.empty((C, kh, kw, n, oh, ow), dtype=xc.dtype)
            im2col(xc[:, s], kh, kw, sy, sx, ph, pw, oh, ow, col)
            part = numpy.matmul(gy2[:, s.start * oh * ow:s.stop * oh * ow],
                                col.reshape(Q, n * oh * ow).T)
            if gW is None:
                gW = part
            else:
                gW += part
        return gW

    def backward(self, indexes, grad_outputs):
        raise NotImplementedError(
            'began.fast_cpu: no double backpropagation through convolutions '
            '(run with --no-fast-cpu)')


def convolution_2d(x, W, b=None, stride=1, pad=0):
    """chainer.functions.convolution_2d for NumPy arrays (the result is a
    channel-major array seen as (N, O, oh, ow))."""
    stride = (stride, stride) if isinstance(stride, int) else tuple(stride)
    pad = (pad, pad) if isinstance(pad, int) else tuple(pad)
    inputs = (x, W) if b is None else (x, W, b)
    y, = Convolution2D(stride, pad).apply(inputs)
    return y
