import math

import numpy
import pytest

from began.metrics.face_modes import CLEAN_THRESHOLD, mode_coverage, read_factors, report
from began.data.toyfaces import make_toyfaces, render_face

SEEDS = {32: 11, 48: 12, 64: 13, 96: 14}
_cache = {}


def faces(size, n=1000):
    """True toy faces, rendered once per test session."""
    key = (size, n)
    if key not in _cache:
        _cache[key] = make_toyfaces(n, size, seed=SEEDS[size])
    return _cache[key]


def to_generator_layout(images):
    """uint8 NHWC -> float32 NCHW in [-1, 1], as a generator outputs."""
    return images.transpose(0, 3, 1, 2).astype(numpy.float32) / 127.5 - 1.0


@pytest.mark.parametrize('size', [32, 48, 64, 96])
def test_reader_is_accurate_and_clean_on_true_faces(size):
    images, f = faces(size, 2000 if size == 32 else 1000)
    r = read_factors(images)
    correct = (r['hair'] == f['hair']) & (r['eye'] == f['eye'])
    assert correct.mean() >= 0.99
    assert r['clean'].mean() >= 0.95
    assert r['hair'].dtype == numpy.int64 and r['clean'].dtype == bool
    assert numpy.median(r['hair_dist']) < CLEAN_THRESHOLD / 2
    assert numpy.median(r['eye_dist']) < CLEAN_THRESHOLD / 2


def test_float_nchw_input_reads_the_same():
    images, _ = faces(32, 2000)
    a = read_factors(images[:200])
    b = read_factors(to_generator_layout(images[:200]))
    for k in ('hair', 'eye', 'clean'):
        numpy.testing.assert_array_equal(a[k], b[k])
    numpy.testing.assert_allclose(a['eye_dist'], b['eye_dist'], atol=0.5)
    # A single image and a chainer Variable are accepted too.
    import chainer
    one = read_factors(to_generator_layout(images[:1])[0])
    assert one['hair'][0] == a['hair'][0]
    var = read_factors(chainer.Variable(to_generator_layout(images[:3])))
    numpy.testing.assert_array_equal(var['eye'], a['eye'][:3])
    with pytest.raises(ValueError):
        read_factors(numpy.zeros((2, 32, 32), numpy.float32)[:, None, None])


@pytest.mark.parametrize('size', [32, 64])
def test_noise_is_not_clean(size):
    rng = numpy.random.RandomState(size)
    noise = rng.randint(0, 256, size=(300, size, size, 3)).astype(numpy.uint8)
    assert read_factors(noise)['clean'].mean() <= 0.02
    fnoise = rng.uniform(-1, 1, size=(300, 3, size, size)).astype(numpy.float32)
    assert read_factors(fnoise)['clean'].mean() <= 0.02
    # Gaussian noise around grey, as an untrained generator might output.
    gnoise = numpy.tanh(rng.normal(0, 0.5, size=(300, 3, size, size)))
    assert read_factors(gnoise.astype(numpy.float32))['clean'].mean() <= 0.02


def test_flat_grey_and_average_face_are_not_clean():
    levels = numpy.arange(0, 256, 5, dtype=numpy.uint8)
    grey = numpy.broadcast_to(levels[:, None, None, None], (len(levels), 48, 48, 3))
    assert read_factors(grey)['clean'].mean() <= 0.02
    # The mean of many faces (what a blurry, mode-averaging generator makes).
    images, _ = faces(32, 2000)
    mean = images.astype(numpy.float32).mean(0).round().astype(numpy.uint8)
    assert not read_factors(mean[None])['clean'][0]


def test_coverage_of_true_faces():
    images, f = faces(32, 2000)
    cov = mode_coverage(images)
    assert cov['modes_covered'] == 48 and cov['num_modes'] == 48
    assert cov['clean_pct'] >= 99.0
    assert cov['kl'] < 0.05
    with_true = mode_coverage(images, true_factors=f)
    assert with_true['modes_covered'] == 48
    assert with_true['kl'] < 0.01   # same samples as the reference


def test_coverage_of_half_the_modes():
    images, f = faces(32, 2000)
    half = images[f['hair'] < 4]
    cov = mode_coverage(half)
    assert cov['modes_covered'] == 24
    assert cov['kl'] == pytest.approx(math.log(2), abs=0.05)


def test_coverage_of_a_collapsed_generator():
    rng = numpy.random.RandomState(0)
    images = numpy.stack([render_face(rng, 32, hair=3, eye=2)[0] for _ in range(60)])
    cov = mode_coverage(images)
    assert cov['modes_covered'] == 1
    assert cov['clean_pct'] >= 99.0
    assert cov['kl'] == pytest.approx(math.log(48), abs=1e-3)


def test_coverage_of_noise():
    rng = numpy.random.RandomState(1)
    noise = rng.uniform(-1, 1, size=(300, 3, 32, 32)).astype(numpy.float32)
    cov = mode_coverage(noise)
    assert cov['modes_covered'] <= 3
    assert cov['clean_pct'] <= 2.0
    if cov['clean_pct'] == 0:
        assert cov['kl'] is None


def test_no_clean_face_leaves_face_kl_out_of_the_log_row():
    # A flat grey batch (an untrained G's output): no face reads cleanly, so
    # there is no generated mode distribution and KL is undefined, not NaN.
    grey = numpy.zeros((20, 3, 32, 32), numpy.float32)
    cov = mode_coverage(grey)
    assert (cov['modes_covered'], cov['clean_pct'], cov['kl']) == (0, 0.0, None)
    assert report(grey) == {'face_modes': 0, 'face_clean': 0.0}
    rng = numpy.random.RandomState(0)
    faces = numpy.stack([render_face(rng, 32, hair=1, eye=1)[0] for _ in range(10)])
    assert report(faces)['face_kl'] == pytest.approx(math.log(48), abs=1e-3)
