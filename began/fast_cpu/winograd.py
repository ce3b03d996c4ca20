"""3x3 stride-1 convolutions by Winograd's minimal filtering, F(2x2, 3x3).

Each 2x2 block of outputs comes from a 4x4 patch d of the (padded) input:

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, per channel pair)

(Lavin and Gray, "Fast algorithms for convolutional neural networks", 2016).
The 16 elementwise products, summed over input channels, are 16 matrix
products with 16 / 36 of the multiplications of the direct method (2.25x
fewer); the transforms only add and halve, on arrays 4x the size of the
input or output. The input gradient is the same kind of convolution of the
output gradient with the flipped kernel; the weight gradient, by the adjoint
identity, is G^T [ sum over blocks of (A dY A^T) * (B^T d B) ] G.

Same maths as a direct convolution; the sums are formed differently, so
results agree to float32 rounding (tests/fast_cpu compare with Chainer's).
Arrays are channel-major: x (C, N, H, W), y (O, N, H, W).
"""
import numpy


#: Flipping the kernel (the input gradient) permutes G's rows by P (rows 0
#: and 3 swap): the flipped kernel's transform is U[P a, P b], transposed.
FLIP = (3, 1, 2, 0)
SAME = (0, 1, 2, 3)


def _tiles(size):
    return (size + 1) // 2


def input_transform(x, order=SAME):
    """x (C, N, H, W), padded by 1 -> V (16, C, N*th*tw), V[4 order[a] + order[b]]
    = (B^T d B)[a, b] over the 4x4 patches d at stride 2."""
    C, N, H, W = x.shape
    th, tw = _tiles(H), _tiles(W)
    xp = numpy.zeros((C, N, 2 * th + 2, 2 * tw + 2), dtype=x.dtype)
    xp[:, :, 1:H + 1, 1:W + 1] = x
    rows = numpy.empty((4, C, N, th, 2 * tw + 2), dtype=x.dtype)
    _bt([xp[:, :, k:k + 2 * th:2] for k in range(4)], rows)
    V = numpy.empty((16, C, N * th * tw), dtype=x.dtype)
    v = V.reshape(4, 4, C, N, th, tw)
    for a in range(4):
        _bt([rows[a, ..., k:k + 2 * tw:2] for k in range(4)],
            [v[order[a], order[b]] for b in range(4)])
    return V


def _bt(d, out):
    """out[0..3] = B^T applied to d[0..3]."""
    numpy.subtract(d[0], d[2], out=out[0])
    numpy.add(d[1], d[2], out=out[1])
    numpy.subtract(d[2], d[1], out=out[2])
    numpy.subtract(d[1], d[3], out=out[3])


def weight_transform(W):
    """W (O, C, 3, 3) -> U (16, O, C), U[4a+b] = (G g G^T)[a, b]."""
    rows = numpy.empty((4,) + W.shape[:2] + (3,), dtype=W.dtype)
    _g([W[:, :, k] for k in range(3)], rows)
    U = numpy.empty((4, 4) + W.shape[:2], dtype=W.dtype)
    for a in range(4):
        _g([rows[a, ..., k] for k in range(3)], U[a])
    return U.reshape(16, *W.shape[:2])


def _g(g, out):
    """out[0..3] = G applied to g[0..2]."""
    half = g[0].dtype.type(0.5)
    out[0] = g[0]
    numpy.add(g[0], g[2], out=out[1])
    numpy.subtract(out[1], g[1], out=out[2])
    out[1] += g[1]
    out[1] *= half
    out[2] *= half
    out[3] = g[2]


def output_transform(M, shape, order=SAME):
    """M (16, O, N*th*tw) -> y (O, N, H, W) = A^T m A for each block, where
    m[a, b] = M[4 order[a] + order[b]]."""
    O, N, H, W = shape
    th, tw = _tiles(H), _tiles(W)
    m = M.reshape(4, 4, O, N, th, tw)
    s = numpy.empty((2, 4, O, N, th, tw), dtype=M.dtype)
    for b in range(4):
        _at([m[order[a], order[b]] for a in range(4)], s[:, b])
    y = numpy.empty((O, N, 2 * th, 2 * tw), dtype=M.dtype)
    blocks = numpy.empty((2, O, N, th, tw), dtype=M.dtype)
    for r in range(2):
        _at(s[r], blocks)
        for c in range(2):
            y[:, :, r::2, c::2] = blocks[c]
    if (2 * th, 2 * tw) != (H, W):
        y = numpy.ascontiguousarray(y[:, :, :H, :W])
    return y


def _at(m, out):
    """out[0..1] = A^T applied to m[0..3]."""
    numpy.add(m[0], m[1], out=out[0])
    out[0] += m[2]
    numpy.subtract(m[1], m[2], out=out[1])
    out[1] -= m[3]


def conv3x3(x, W, b=None):
    """y = conv(x, W) + b, stride 1, pad 1: x (C, N, H, W) -> (O, N, H, W).
    Returns (y, V, U): the transformed input and weights, which the
    gradients reuse."""
    C, N, H, Wd = x.shape
    V, U = input_transform(x), weight_transform(W)
    y = output_transform(numpy.matmul(U, V), (W.shape[0], N, H, Wd))
    if b is not None:
        y += b[:, None, None, None]
    return y, V, U


def grad_input(gy, U):
    """The input gradient of conv3x3: the convolution of gy (O, N, H, W)
    with the flipped kernel, its channels swapped, whose transform is U's
    (FLIP)."""
    O, N, H, W = gy.shape
    M = numpy.matmul(U.transpose(0, 2, 1), input_transform(gy, FLIP))
    return output_transform(M, (U.shape[2], N, H, W), FLIP)


def grad_weight(gy, V):
    """The weight gradient of conv3x3 from gy (O, N, H, W) and the input's
    transform V: G^T [sum over blocks (A dY A^T) * V] G, (O, C, 3, 3)."""
    O, N, H, W = gy.shape
    th, tw = _tiles(H), _tiles(W)
    if (2 * th, 2 * tw) != (H, W):
        padded = numpy.zeros((O, N, 2 * th, 2 * tw), dtype=gy.dtype)
        padded[:, :, :H, :W] = gy
        gy = padded
    cols = numpy.empty((4, 2, O, N, th, tw), dtype=gy.dtype)
    for r in range(2):
        _a([gy[:, :, r::2, c::2] for c in range(2)], cols[:, r])
    gM = numpy.empty((16, O, N * th * tw), dtype=gy.dtype)
    g = gM.reshape(4, 4, O, N, th, tw)
    for b in range(4):
        _a(cols[b], g[:, b])
    d = numpy.matmul(gM, V.transpose(0, 2, 1)).reshape(4, 4, O, V.shape[1])
    rows = numpy.empty((3, 4, O, V.shape[1]), dtype=gy.dtype)
    _gt(d, rows)
    gW = numpy.empty((O, V.shape[1], 3, 3), dtype=gy.dtype)
    out = numpy.empty((3, O, V.shape[1]), dtype=gy.dtype)
    for i in range(3):
        _gt(rows[i], out)
        for j in range(3):
            gW[:, :, i, j] = out[j]
    return gW


def _a(y, out):
    """out[0..3] = A applied to y[0..1] (the adjoint of A^T)."""
    out[0] = y[0]
    numpy.add(y[0], y[1], out=out[1])
    numpy.subtract(y[0], y[1], out=out[2])
    numpy.negative(y[1], out=out[3])


def _gt(u, out):
    """out[0..2] = G^T applied to u[0..3]."""
    half = u[0].dtype.type(0.5)
    numpy.add(u[1], u[2], out=out[2])
    out[2] *= half
    numpy.add(u[0], out[2], out=out[0])
    numpy.subtract(u[1], u[2], out=out[1])
    out[1] *= half
    out[2] += u[3]
