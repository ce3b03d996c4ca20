"""The MMD term's cost: distances from |a|^2 + |b|^2 - 2ab^T and the median
on the points' device, equal to the direct formula to float rounding, in
memory of the order of n x m (not n x m x a point's size)."""
import tracemalloc

import chainer
import numpy
import pytest

from began.coverage import terms


def direct_mmd(fake, real, weight, scales=terms.MMD_SCALES):
    """The formula as written before: n x m x d differences, and the
    median in float64 on the host."""
    import chainer.functions as F
    n, m = fake.shape[0], real.shape[0]
    fake, real = F.reshape(fake, (n, -1)), real.reshape(m, -1)
    flat = real.astype(numpy.float64)
    d2 = ((flat[:, None, :] - flat[None, :, :]) ** 2).sum(axis=2)
    median2 = max(float(numpy.median(d2[numpy.triu_indices(m, 1)])), 1e-12)
    widths = [s * s * median2 for s in scales]

    def kernel(a, b):
        d2 = F.sum(F.square(F.expand_dims(a, 1) - F.expand_dims(b, 0)), axis=2)
        return sum(F.exp(-d2 / (2 * w)) for w in widths) / len(widths)
    k_ff, k_rr, k_fr = kernel(fake, fake), kernel(real, real).array, kernel(fake, real)
    off_ff = (F.sum(k_ff) - F.sum(k_ff * numpy.eye(n, dtype=k_ff.dtype))) / (n * (n - 1))
    off_rr = (k_rr.sum() - numpy.trace(k_rr)) / (m * (m - 1))
    return weight * (off_ff + off_rr - 2 * F.mean(k_fr))


@pytest.mark.parametrize('fake_shape,real_shape,spread', [
    ((16, 2), (24, 2), 0.05),            # the ring's points: modes 0.05 wide
    ((12, 3, 8, 8), (12, 3, 8, 8), 1.0),  # images
    ((10, 32), (20, 32), 30.0),           # D's codes (the post saw h's std reach ~80)
])
def test_the_mmd_equals_the_direct_formula(fake_shape, real_shape, spread):
    rs = numpy.random.RandomState(0)
    centres = rs.uniform(-2, 2, (4,) + fake_shape[1:]).astype(numpy.float32)

    def draw(shape):
        return (centres[rs.randint(0, 4, shape[0])]
                + spread * rs.normal(size=shape)).astype(numpy.float32)
    fake_array, real = draw(fake_shape), draw(real_shape)
    values, grads = [], []
    for formula in (terms.mmd, direct_mmd):
        fake = chainer.Variable(fake_array.copy())
        value = formula(fake, real, 0.7)
        value.backward()
        values.append(float(value.array))
        grads.append(fake.grad)
    assert values[0] == pytest.approx(values[1], rel=1e-4, abs=1e-6)
    scale = numpy.abs(grads[1]).max()
    numpy.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-4 * scale)


def test_the_median_stays_an_array_of_the_points_module():
    real = numpy.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], numpy.float32)
    median = terms.median_squared_distance(real)
    # (NumPy gives a 0-d result as a NumPy scalar; CuPy as a 0-d array on the device)
    assert isinstance(median, (numpy.ndarray, numpy.generic)) and numpy.ndim(median) == 0
    assert median == 16.0


def test_peak_memory_at_96x96_with_mmd_batch_256():
    # --mmd-batch 256 at 96x96: 256 fakes and 256 reals of 27,648 values. The
    # direct formula's n x n x d differences alone were 256 * 256 * 27,648
    # float64 values (14.5 GB); here the inputs and a few copies of them.
    n, d = 256, 3 * 96 * 96
    rs = numpy.random.RandomState(0)
    fake = chainer.Variable(rs.uniform(-1, 1, (n, 3, 96, 96)).astype(numpy.float32))
    real = rs.uniform(-1, 1, (n, 3, 96, 96)).astype(numpy.float32)
    one_side = n * d * 4
    tracemalloc.start()
    try:
        value = terms.mmd(fake, real, 1.0)
        value.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert numpy.isfinite(value.array) and numpy.isfinite(fake.grad).all()
    print(f'peak {peak / 2 ** 20:.0f} MiB, one side {one_side / 2 ** 20:.0f} MiB')
    assert peak < 4 * one_side, f'{peak / 2 ** 20:.0f} MiB'


@pytest.mark.parametrize('n', [2, 3, 8, 9])
def test_the_median_is_that_of_the_distinct_pairs(n):
    real = numpy.random.RandomState(n).normal(size=(n, 5)).astype(numpy.float32)
    pairs = [((real[i] - real[j]) ** 2).sum() for i in range(n) for j in range(i + 1, n)]
    assert terms.median_squared_distance(real) == pytest.approx(numpy.median(pairs), rel=1e-5)
