"""The speckle ratio: about 1 for the data itself, below for blur, above for pixel noise."""
import numpy
import pytest

from began.metrics.speckle import high_frequency_energy, speckle_ratio
from began.data.toyfaces import make_toyfaces


def faces(seed):
    images, _ = make_toyfaces(32, 32, seed=seed)
    return images.astype(numpy.float32).transpose(0, 3, 1, 2) / 127.5 - 1


def box_blur(x):
    padded = numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode='edge')
    h, w = x.shape[2:]
    return sum(padded[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9


def test_flat_images_have_no_high_frequency_energy():
    assert high_frequency_energy(numpy.full((2, 3, 8, 8), 0.3, numpy.float32)) < 1e-6
    # A one-pixel spike: |1 - 1/9| at the spike, 1/9 at its 8 neighbours, over 64 pixels.
    x = numpy.zeros((1, 1, 8, 8), numpy.float32)
    x[0, 0, 4, 4] = 1
    assert high_frequency_energy(x) == pytest.approx((8 / 9 + 8 / 9) / 64)


def test_ratio_tells_blur_from_speckle():
    real, other = faces(1), faces(2)
    rs = numpy.random.RandomState(0)
    speckled = numpy.clip(other + rs.normal(0, 0.2, other.shape), -1, 1).astype(numpy.float32)
    assert 0.8 < speckle_ratio(other, real) < 1.25      # more data: about 1
    assert speckle_ratio(box_blur(other), real) < 0.7    # blurred
    assert speckle_ratio(speckled, real) > 1.5           # speckled
    assert numpy.isnan(speckle_ratio(other, numpy.full_like(real, 0.3)))  # flat data
